"""What the posture monitor tells the rest of openchair: events and a day's summary.

This is the small typed interface for the break scheduler and the service. It imports nothing
heavy (no camera, no model), so any process may import it:

    from openchair.posture.events import PostureEvent, PostureEventKind, PostureDaySummary

- ``nudge``: the person has been slouched for at least the configured time (``slouched_for_s``,
  ``reasons``); the companion shows it through the same channel as a break reminder.
- ``away``: nobody in view for ``away_after_s``; ``t_s`` is when they were last seen.
- ``back``: in view again; ``away_for_s`` is how long they were gone and ``was_break`` whether
  that was long enough to count as a movement break.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class PostureEventKind(StrEnum):
    NUDGE = "nudge"
    AWAY = "away"
    BACK = "back"


class SlouchReason(StrEnum):
    """Which of the person's calibrated measures is out of its band."""

    HEAD_FORWARD = "head_forward"
    SLUMPED = "slumped"
    SHOULDERS_RAISED = "shoulders_raised"
    LEANING_SIDEWAYS = "leaning_sideways"
    TOO_CLOSE = "too_close"
    NECK_BENT = "neck_bent"
    TORSO_BENT = "torso_bent"


@dataclass(frozen=True)
class PostureEvent:
    kind: PostureEventKind
    t_s: float
    reasons: tuple[SlouchReason, ...] = ()
    slouched_for_s: float = 0.0
    away_for_s: float = 0.0
    was_break: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = self.kind.value
        d["reasons"] = [r.value for r in self.reasons]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


@dataclass
class SittingStreak:
    """A stretch of sitting not interrupted by a break (a short absence does not end it)."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class PostureDaySummary:
    """One calendar day (in the monitor's time zone), in seconds."""

    date: str
    sitting_s: float = 0.0
    slouched_s: float = 0.0
    away_s: float = 0.0
    unobserved_s: float = 0.0
    nudges: int = 0
    breaks: int = 0
    streaks: list[SittingStreak] = field(default_factory=list)

    @property
    def slouched_min(self) -> float:
        return self.slouched_s / 60.0

    @property
    def longest_streak_s(self) -> float:
        return max((s.duration_s for s in self.streaks), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "sitting_min": round(self.sitting_s / 60, 2),
            "slouched_min": round(self.slouched_min, 2),
            "away_min": round(self.away_s / 60, 2),
            "unobserved_min": round(self.unobserved_s / 60, 2),
            "nudges": self.nudges,
            "breaks": self.breaks,
            "longest_streak_min": round(self.longest_streak_s / 60, 2),
            "streaks": [
                {"start_s": s.start_s, "end_s": s.end_s, "min": round(s.duration_s / 60, 2)}
                for s in self.streaks
            ],
        }
