"""What the posture monitor's day tells the daily plan.

The posture monitor sums each day up as sitting, slouched and away time and the stretches of
sitting between breaks (``PostureDaySummary``). The plan (``care/plan.py``) reads that day and
says, in words a person reads, what it changed and why:

- **Slouched a long time** (``SLOUCHED_LONG_MIN`` or more): the evening program is After the
  Office, which works the neck, shoulders and upper back that a slouch loads, unless a pain rule
  chose another one (then the stretching session carries the neck and upper back instead); the
  stretching session starts with neck and upper-back stretches. ``SLOUCHED_VERY_LONG_MIN`` or
  more also lengthens the stretching session by ``EXTRA_UPPER_STRETCHES`` of them.
- **A long unbroken stretch of sitting** (at least ``LONG_STREAK_FACTOR`` x the break interval):
  an extra short stretch for the hips and lower back right after work.
- **Away time counts as movement**: when the monitor watched at least ``MIN_COVERAGE`` of the
  work period, whether the day was "a long day at the desk" is decided from the work period
  minus the time away from the desk, not from the work period alone.

Pure: the same summary and settings always give the same answer. The rules are written down
in docs/POSTURE.md and docs/CARE.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openchair.posture.events import PostureDaySummary

SLOUCHED_LONG_MIN = 30.0
"""Slouched minutes in a day from which the evening turns to the neck and upper back."""
SLOUCHED_VERY_LONG_MIN = 90.0
"""Slouched minutes from which the stretching session is also lengthened."""
EXTRA_UPPER_STRETCHES = 2
LONG_STREAK_FACTOR = 1.5
"""A stretch of sitting this many break intervals long means a break was missed."""
EXTRA_STRETCH_SET = 2
MIN_COVERAGE = 0.5
"""Share of the work period the monitor must have watched before its away time is trusted."""
UPPER_AREAS = ("neck", "upper-back", "shoulders")
LOWER_AREAS = ("hips", "lower-back")


def minutes_text(minutes: float) -> str:
    """``74 minutes`` or ``2 h 05 min``: how a person reads a length of time."""
    m = round(minutes)
    if m < 120:
        return "1 minute" if m == 1 else f"{m} minutes"
    return f"{m // 60} h {m % 60:02d} min"


@dataclass(frozen=True)
class PostureContext:
    """One posture day as the plan uses it (minutes)."""

    date: str
    sitting_min: float
    slouched_min: float
    away_min: float
    longest_streak_min: float
    breaks: int

    @classmethod
    def from_summary(cls, s: PostureDaySummary) -> PostureContext:
        return cls(
            date=s.date,
            sitting_min=s.sitting_s / 60.0,
            slouched_min=s.slouched_min,
            away_min=s.away_s / 60.0,
            longest_streak_min=s.longest_streak_s / 60.0,
            breaks=s.breaks,
        )

    # -- the rules ------------------------------------------------------------------------------
    @property
    def slouched_long(self) -> bool:
        return self.slouched_min >= SLOUCHED_LONG_MIN

    @property
    def slouched_very_long(self) -> bool:
        return self.slouched_min >= SLOUCHED_VERY_LONG_MIN

    def slouch_sentence(self) -> str:
        return f"You sat slouched for {minutes_text(self.slouched_min)} today"

    def long_streak(self, every_minutes: int) -> bool:
        return self.longest_streak_min >= LONG_STREAK_FACTOR * every_minutes

    def desk_hours(self, shift: tuple[datetime, datetime] | None) -> tuple[float, str] | None:
        """Hours at the desk with the time away taken off, and a sentence saying so; None when
        the monitor watched too little of the work period to say (then the shift length
        counts, as without the monitor)."""
        if shift is None:
            return None
        shift_min = (shift[1] - shift[0]).total_seconds() / 60.0
        watched = self.sitting_min + self.away_min
        if shift_min <= 0 or watched < MIN_COVERAGE * shift_min or self.away_min < 1.0:
            return None
        desk_min = max(0.0, shift_min - self.away_min)
        return desk_min / 60.0, (
            f"you were away from the desk for {minutes_text(self.away_min)} today, which "
            "counts as movement"
        )


def posture_for(days: list[PostureDaySummary], day: str) -> PostureContext | None:
    """The context of ``day`` (YYYY-MM-DD) among a person's kept days, if the monitor saw it."""
    for s in days:
        if s.date == day:
            return PostureContext.from_summary(s)
    return None
