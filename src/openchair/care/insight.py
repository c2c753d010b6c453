"""Pain over the weeks beside what the person did: massage sessions, breaks, sitting, slouching.

:func:`build_insight` puts the diary, the session history, the break records and (when the posture
monitor ran) its day summaries on one weekly time line; :meth:`Insight.to_dict` is what a page
draws, :func:`insight_png` the same as a picture. Nothing here claims a cause: the plot shows what
happened side by side.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from openchair.care.diary import BODY_REGIONS, DiaryEntry
from openchair.care.records import TAKEN, BreakRecord
from openchair.posture.events import PostureDaySummary
from openchair.store.history import HistoryEntry

WEEK = timedelta(days=7)


@dataclass
class WeekRow:
    start: date
    pain_mean: float | None = None
    pain_entries: int = 0
    sessions: int = 0
    massage_min: float = 0.0
    breaks_taken: int = 0
    breaks_skipped: int = 0
    sitting_min: float | None = None
    slouched_min: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "pain_mean": None if self.pain_mean is None else round(self.pain_mean, 2),
            "pain_entries": self.pain_entries,
            "sessions": self.sessions,
            "massage_min": round(self.massage_min, 1),
            "breaks_taken": self.breaks_taken,
            "breaks_skipped": self.breaks_skipped,
            "sitting_min": None if self.sitting_min is None else round(self.sitting_min, 1),
            "slouched_min": None if self.slouched_min is None else round(self.slouched_min, 1),
        }


@dataclass
class Insight:
    start: datetime
    end: datetime
    weeks: list[WeekRow]
    pain_points: list[tuple[datetime, int]]
    session_points: list[tuple[datetime, str, float]]
    areas: dict[str, int]
    programs: dict[str, int] = field(default_factory=dict)
    exercises: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": [w.to_dict() for w in self.weeks],
            "pain": [{"at": t.isoformat(), "pain": p} for t, p in self.pain_points],
            "sessions": [
                {"at": t.isoformat(), "program": p, "minutes": round(m, 1)}
                for t, p, m in self.session_points
            ],
            "areas": [
                {"region": r, "label": BODY_REGIONS[r][0], "entries": n}
                for r, n in sorted(self.areas.items(), key=lambda kv: -kv[1])
            ],
            "programs": dict(self.programs),
            "exercises": dict(self.exercises),
        }


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def build_insight(
    entries: Sequence[DiaryEntry],
    sessions: Sequence[HistoryEntry],
    breaks: Sequence[BreakRecord],
    start: datetime,
    end: datetime,
    posture: Sequence[PostureDaySummary] = (),
) -> Insight:
    """Everything between ``start`` and ``end``, in weeks counted from ``start``."""
    n_weeks = max(1, -(-(end - start) // WEEK))
    weeks = [WeekRow((start + k * WEEK).date()) for k in range(n_weeks)]

    def week_of(t: datetime) -> WeekRow | None:
        k = (_utc(t) - start) // WEEK
        return weeks[k] if 0 <= k < n_weeks else None

    pains: dict[int, list[int]] = {}
    areas: dict[str, int] = {}
    points = []
    for e in entries:
        row = week_of(e.at)
        if row is None:
            continue
        points.append((e.at, e.pain))
        pains.setdefault(weeks.index(row), []).append(e.pain)
        for a in e.areas:
            areas[a] = areas.get(a, 0) + 1
    for k, v in pains.items():
        weeks[k].pain_mean = sum(v) / len(v)
        weeks[k].pain_entries = len(v)
    session_points = []
    programs: dict[str, int] = {}
    for s in sessions:
        row = week_of(s.started_at)
        if row is None:
            continue
        row.sessions += 1
        row.massage_min += s.seconds / 60.0
        session_points.append((s.started_at, s.program_id, s.seconds / 60.0))
        programs[s.program_name] = programs.get(s.program_name, 0) + 1
    exercises: dict[str, int] = {}
    for b in breaks:
        row = week_of(b.at)
        if row is None:
            continue
        if b.outcome in TAKEN:
            row.breaks_taken += 1
            if b.exercise:
                exercises[b.exercise] = exercises.get(b.exercise, 0) + 1
        elif b.outcome == "skipped":
            row.breaks_skipped += 1
    for d in posture:
        day = date.fromisoformat(d.date)
        row = week_of(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        if row is None:
            continue
        row.sitting_min = (row.sitting_min or 0.0) + d.sitting_s / 60.0
        row.slouched_min = (row.slouched_min or 0.0) + d.slouched_s / 60.0
    return Insight(start, end, weeks, points, session_points, areas, programs, exercises)


def insight_png(ins: Insight, width_in: float = 8.0, height_in: float = 5.0) -> bytes:
    """Pain (daily dots, weekly mean) above, what was done each week below, as PNG bytes."""
    fig = insight_figure(ins, width_in, height_in)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def insight_figure(ins: Insight, width_in: float = 8.0, height_in: float = 5.0):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(width_in, height_in), sharex=True, height_ratios=[3, 2]
    )
    if ins.pain_points:
        t, p = zip(*ins.pain_points, strict=True)
        top.plot(t, p, "o", color="#e4572e", alpha=0.55, markersize=4, label="pain (each entry)")
    wk = [w for w in ins.weeks if w.pain_mean is not None]
    mids = [datetime(w.start.year, w.start.month, w.start.day, tzinfo=UTC) + WEEK / 2 for w in wk]
    if wk:
        top.plot(mids, [w.pain_mean for w in wk], "-", color="#8b1e0f", lw=2, label="weekly mean")
    for i, (t0, _, _) in enumerate(ins.session_points):
        top.axvline(t0, color="#2e86ab", alpha=0.25, lw=1, label="massage" if i == 0 else None)
    top.set_ylim(-0.3, 10.3)
    top.set_ylabel("pain 0-10")
    top.grid(alpha=0.3)
    top.legend(loc="upper right", fontsize=8, ncols=3)
    starts = [datetime(w.start.year, w.start.month, w.start.day, tzinfo=UTC) for w in ins.weeks]
    bar_w = timedelta(days=2)
    if any(w.breaks_taken for w in ins.weeks):
        bottom.bar(
            [s + timedelta(days=1.5) for s in starts],
            [w.breaks_taken for w in ins.weeks],
            width=bar_w,
            color="#58a55c",
            label="breaks taken",
        )
    if any(w.sessions for w in ins.weeks):
        bottom.bar(
            [s + timedelta(days=3.5) for s in starts],
            [w.sessions for w in ins.weeks],
            width=bar_w,
            color="#2e86ab",
            label="massage sessions",
        )
    if any(w.slouched_min is not None for w in ins.weeks):
        bottom.bar(
            [s + timedelta(days=5.5) for s in starts],
            [(w.slouched_min or 0.0) / 60.0 for w in ins.weeks],
            width=bar_w,
            color="#b07aa1",
            label="slouched hours",
        )
    bottom.set_ylabel("per week")
    bottom.grid(alpha=0.3, axis="y")
    if bottom.get_legend_handles_labels()[0]:
        bottom.legend(loc="upper right", fontsize=8, ncols=3)
    else:
        bottom.text(
            0.5,
            0.5,
            "no sessions or breaks recorded",
            ha="center",
            va="center",
            transform=bottom.transAxes,
            color="#55606d",
        )
    bottom.set_xlim(ins.start, ins.end)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
