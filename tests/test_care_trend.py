"""The persistence rule on made-up diaries over simulated weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.care.diary import DiaryEntry
from openchair.care.trend import pain_trend

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def diary(levels: list[float], seed: int = 0, noise: float = 0.0) -> list[DiaryEntry]:
    """One entry a day at 08:00, pain ``levels[d]`` (+ seeded noise), clipped to 0..10."""
    rng = np.random.default_rng(seed)
    out = []
    for d, level in enumerate(levels):
        p = int(np.clip(round(level + rng.normal(0.0, noise)), 0, 10)) if noise else round(level)
        out.append(DiaryEntry(START + timedelta(days=d), int(np.clip(p, 0, 10))))
    return out


def now_after(days: int) -> datetime:
    return START + timedelta(days=days - 1, hours=12)


def test_flat_pain_for_three_weeks_says_see_a_clinician() -> None:
    t = pain_trend(diary([5] * 21), now_after(21))
    assert t.kind == "not-improving" and t.see_clinician
    assert "3 weeks" in t.message


def test_flat_pain_for_two_weeks_is_not_yet_a_referral() -> None:
    t = pain_trend(diary([5] * 15), now_after(15))
    assert t.kind == "same" and not t.see_clinician


def test_getting_better_is_said_so() -> None:
    levels = [6 - 3 * d / 20 for d in range(21)]  # 6 → 3 over three weeks
    t = pain_trend(diary(levels), now_after(21))
    assert t.kind == "better" and not t.see_clinician
    assert "better" in t.message


def test_getting_worse_is_a_referral_even_early() -> None:
    levels = [3 + 3 * d / 14 for d in range(15)]
    t = pain_trend(diary(levels), now_after(15))
    assert t.kind == "worse" and t.see_clinician


def test_severe_pain_is_a_referral_at_once() -> None:
    t = pain_trend(diary([8, 8, 9]), now_after(3))
    assert t.kind == "severe" and t.see_clinician


def test_still_there_after_six_weeks_even_if_better() -> None:
    levels = [7 - 3 * d / 41 for d in range(43)]  # 7 → 4: better, but still there
    t = pain_trend(diary(levels), now_after(43))
    assert t.kind == "still-there" and t.see_clinician


def test_gone_after_six_weeks_is_fine() -> None:
    levels = [6 - 6 * d / 30 if d < 30 else 0 for d in range(43)]
    t = pain_trend(diary(levels), now_after(43))
    assert t.kind == "better" and not t.see_clinician


def test_a_long_gap_starts_a_new_episode() -> None:
    old = diary([6] * 30)
    later = [DiaryEntry(e.at + timedelta(days=60), 4) for e in diary([4] * 5)]
    t = pain_trend(old + later, later[-1].at + timedelta(hours=1))
    assert t.kind == "too-early" and t.episode_start == later[0].at


def test_no_entries() -> None:
    assert pain_trend([], START).kind == "no-entries"


@settings(max_examples=150, deadline=None)
@given(
    start=st.floats(1.0, 9.0),
    slope_per_week=st.floats(-2.5, 2.5),
    weeks=st.integers(1, 9),
    noise=st.sampled_from([0.0, 0.5, 1.0]),
    seed=st.integers(0, 10_000),
    every=st.sampled_from([1, 2]),
)
def test_rule_properties_over_random_diaries(
    start: float, slope_per_week: float, weeks: int, noise: float, seed: int, every: int
) -> None:
    days = weeks * 7
    levels = [start + slope_per_week * d / 7 for d in range(days)]
    entries = diary(levels, seed, noise)[::every]
    now = now_after(days)
    t = pain_trend(entries, now)
    first = [e.pain for e in entries if e.at < START + timedelta(days=7)]
    last = [e.pain for e in entries if e.at > now - timedelta(days=7)]
    base, cur = sum(first) / len(first), sum(last) / len(last)
    if cur >= 7:
        assert t.see_clinician
    # Never "better" unless the last week is lower than the first.
    if t.kind == "better":
        assert cur < base and not t.see_clinician
    if len(first) >= 2 and len(last) >= 2 and days >= 14:
        # Not lower after three weeks, or clearly higher at any time: see a clinician.
        if days >= 21 and cur >= base:
            assert t.see_clinician, (t.kind, base, cur)
        if cur >= base + 2:
            assert t.see_clinician
        # Clearly lower, under 6 weeks, not severe: told it is better.
        if cur <= base - 2 and days < 42:
            assert t.kind == "better"
        if days >= 42 and cur >= 2:
            assert t.see_clinician
    else:
        assert t.kind in ("too-early", "severe")
