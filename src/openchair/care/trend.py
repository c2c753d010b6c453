"""Is the pain getting better? The persistence rule, on the diary's own numbers.

The rule and its numbers (docs/CARE.md gives the sources):

- An **episode** starts at the first entry after the diary was left for more than 14 days (or at
  its first entry).
- Its **first week** (7 days from the start) is the baseline; the **last 7 days** are now. Each
  needs at least 2 entries, and the two weeks must not overlap (14 days or more of diary).
- **Better** is a fall of 2 points or 30 % (and at least 1 point) on the 0-10 scale: the change
  people with chronic pain call "much improved" (Farrar et al., Pain 2001). **Worse** is the same
  rise.
- **See a clinician** when the pain is worse; when it is severe (a 7-day mean of 7 or more, the NHS
  description of severe pain); when it has not got better after 3 weeks (NHS: see a GP if it does
  not improve within a few weeks; NHS inform: after 2 weeks of exercises); and whenever it is still
  there (mean 2 or more) after 6 weeks (NHS: back pain usually passes in about 4 to 6 weeks).
  Pain for more than 12 weeks counts as chronic and is named so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from openchair.care.diary import DiaryEntry

WINDOW_DAYS = 7
MIN_ENTRIES = 2
EPISODE_GAP_DAYS = 14
COMPARE_AFTER_DAYS = 14
REVIEW_AFTER_DAYS = 21
STILL_THERE_AFTER_DAYS = 42
STILL_THERE_NRS = 2.0
CHRONIC_AFTER_DAYS = 84
CHANGE_POINTS = 2.0
CHANGE_SHARE = 0.30
CHANGE_SHARE_MIN_POINTS = 1.0
SEVERE_NRS = 7.0

Kind = Literal[
    "no-entries", "too-early", "better", "same", "worse", "not-improving", "still-there", "severe"
]
SEE_CLINICIAN_KINDS = ("worse", "not-improving", "still-there", "severe")


@dataclass(frozen=True)
class Week:
    start: date
    mean: float
    entries: int
    peak: int

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "mean": round(self.mean, 2),
            "entries": self.entries,
            "peak": self.peak,
        }


@dataclass(frozen=True)
class PainTrend:
    kind: Kind
    message: str
    episode_start: datetime | None = None
    days: int = 0
    baseline: float | None = None
    current: float | None = None
    chronic: bool = False
    weeks: list[Week] = field(default_factory=list)

    @property
    def see_clinician(self) -> bool:
        return self.kind in SEE_CLINICIAN_KINDS

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "see_clinician": self.see_clinician,
            "message": self.message,
            "episode_start": self.episode_start.isoformat() if self.episode_start else None,
            "days": self.days,
            "baseline": None if self.baseline is None else round(self.baseline, 2),
            "current": None if self.current is None else round(self.current, 2),
            "chronic": self.chronic,
            "weeks": [w.to_dict() for w in self.weeks],
        }


def episode(entries: Sequence[DiaryEntry]) -> list[DiaryEntry]:
    """The entries since the diary was last left for more than ``EPISODE_GAP_DAYS``."""
    ordered = sorted(entries, key=lambda e: e.at)
    start = 0
    for i in range(1, len(ordered)):
        if ordered[i].at - ordered[i - 1].at > timedelta(days=EPISODE_GAP_DAYS):
            start = i
    return ordered[start:]


def weekly(entries: Sequence[DiaryEntry], start: datetime) -> list[Week]:
    """Mean pain per 7-day week counted from ``start`` (weeks without entries left out)."""
    buckets: dict[int, list[int]] = {}
    for e in entries:
        k = (e.at - start) // timedelta(days=WINDOW_DAYS)
        buckets.setdefault(k, []).append(e.pain)
    return [
        Week(
            (start + timedelta(days=WINDOW_DAYS * k)).date(),
            sum(v) / len(v),
            len(v),
            max(v),
        )
        for k, v in sorted(buckets.items())
    ]


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def _changed(base: float, now: float) -> int:
    """+1 worse, -1 better, 0 no clear change (2 points, or 30 % and at least 1 point)."""
    delta = now - base
    share = abs(delta) / base if base > 0 else (1.0 if delta else 0.0)
    clear = abs(delta) >= CHANGE_POINTS or (
        share >= CHANGE_SHARE and abs(delta) >= CHANGE_SHARE_MIN_POINTS
    )
    if not clear:
        return 0
    return 1 if delta > 0 else -1


def pain_trend(entries: Sequence[DiaryEntry], now: datetime) -> PainTrend:
    """The diary's verdict at ``now``: better, the same, or time to see a clinician (and why)."""
    ep = episode([e for e in entries if e.at <= now])
    if not ep:
        return PainTrend("no-entries", "No pain noted yet. Note it once a day, it takes seconds.")
    start = ep[0].at
    days = (now - start).days + 1  # the diary's day count: its first day is day 1
    weeks = weekly(ep, start)
    base_w = [e.pain for e in ep if e.at < start + timedelta(days=WINDOW_DAYS)]
    now_w = [e.pain for e in ep if e.at > now - timedelta(days=WINDOW_DAYS)]
    base = _mean(base_w) if len(base_w) >= MIN_ENTRIES else None
    cur = _mean(now_w) if len(now_w) >= MIN_ENTRIES else None
    chronic = days > CHRONIC_AFTER_DAYS and (cur or 0.0) >= STILL_THERE_NRS
    common = dict(
        episode_start=start, days=days, baseline=base, current=cur, chronic=chronic, weeks=weeks
    )
    if cur is not None and cur >= SEVERE_NRS:
        return PainTrend(
            "severe",
            f"Your pain has averaged {cur:.1f} out of 10 this week: that is severe. Please see a "
            "GP or physiotherapist soon; massage and exercise are not enough for pain like this.",
            **common,  # type: ignore[arg-type]
        )
    if base is None or cur is None or days < COMPARE_AFTER_DAYS:
        return PainTrend(
            "too-early",
            "Keep noting your pain: after two weeks openchair compares this week with your "
            "first week.",
            **common,  # type: ignore[arg-type]
        )
    change = _changed(base, cur)
    span = f"from {base:.1f} in your first week to {cur:.1f} this week"
    if change > 0:
        return PainTrend(
            "worse",
            f"Your pain is getting worse, {span}. Please see a GP or physiotherapist.",
            **common,  # type: ignore[arg-type]
        )
    if days >= STILL_THERE_AFTER_DAYS and cur >= STILL_THERE_NRS:
        weeks_n = days // 7
        lead = "It is better" if change < 0 else "It has not clearly changed"
        kind_word = " It now counts as long-lasting (chronic) pain." if chronic else ""
        return PainTrend(
            "still-there",
            f"{lead} ({span}), but after {weeks_n} weeks it is still there. Back pain usually "
            f"passes in 4 to 6 weeks: please see a GP or physiotherapist.{kind_word}",
            **common,  # type: ignore[arg-type]
        )
    if change < 0:
        return PainTrend(
            "better",
            f"Your pain is better, {span}. Keep up what you are doing.",
            **common,  # type: ignore[arg-type]
        )
    if days >= REVIEW_AFTER_DAYS:
        return PainTrend(
            "not-improving",
            f"Your pain has not improved after {days // 7} weeks ({span}). Please see a GP or "
            "physiotherapist.",
            **common,  # type: ignore[arg-type]
        )
    return PainTrend(
        "same",
        f"No clear change yet ({span}). If it has not improved by three weeks, openchair will "
        "suggest seeing a clinician.",
        **common,  # type: ignore[arg-type]
    )
