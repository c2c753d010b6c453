"""What subscribers see: one immutable, JSON-ready picture of the chair per publication."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventInfo:
    """A safety event as the state stream and the history carry it.

    ``seq`` numbers the chair's events from 1 for the service's life, so a subscriber that sees
    the same event in several frames (``recent_events``) counts it once. ``time_s`` is seconds
    from the start of the activity it happened in (a program's start for a session), as every
    time openchair prints; ``chair_time_s`` is the loop's clock.
    """

    seq: int
    time_s: float
    chair_time_s: float
    rule: str
    value: float
    limit: float
    reaction: str
    activity: str
    session: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "time_s": round(self.time_s, 3),
            "rule": self.rule,
            "value": _finite(self.value, 3),
            "limit": _finite(self.limit, 3),
            "reaction": self.reaction,
            "activity": self.activity,
            "session": self.session,
        }


@dataclass(frozen=True)
class StateFrame:
    """The chair's state at one tick. ``state`` is one of idle, scanning, running, paused,
    finishing, done, stopped, fault (the last three while idle after a session ended that way)."""

    seq: int
    chair_time_s: float
    activity: str
    state: str
    person: str | None
    seated: bool
    program_id: str | None = None
    program_name: str | None = None
    session: str | None = None
    step_index: int | None = None
    step_name: str | None = None
    elapsed_s: float | None = None
    time_left_s: float | None = None
    intensity: int | None = None
    focus: str | None = None
    roller_y_mm: float = 0.0
    roller_depth_mm: float = 0.0
    roller_force_n: float = 0.0
    cushions_kpa: tuple[tuple[str, float], ...] = ()
    heaters: tuple[tuple[str, float, bool], ...] = ()
    backrest_deg: float = 0.0
    legrest_deg: float = 0.0
    latched: str | None = None
    recent_events: tuple[EventInfo, ...] = field(default=())
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        """Plain JSON types only: no numpy, no NaN (a missing value is ``None``)."""
        return {
            "seq": self.seq,
            "chair_time_s": round(self.chair_time_s, 3),
            "activity": self.activity,
            "state": self.state,
            "person": self.person,
            "seated": self.seated,
            "program": {"id": self.program_id, "name": self.program_name}
            if self.program_id is not None
            else None,
            "session": self.session,
            "step": {"index": self.step_index, "name": self.step_name}
            if self.step_index is not None or self.step_name is not None
            else None,
            "elapsed_s": _opt(self.elapsed_s, 2),
            "time_left_s": _opt(self.time_left_s, 2),
            "intensity": self.intensity,
            "focus": self.focus,
            "roller": {
                "y_mm": _finite(self.roller_y_mm, 1),
                "depth_mm": _finite(self.roller_depth_mm, 1),
                "force_n": _finite(self.roller_force_n, 1),
            },
            "cushions_kpa": {z: _finite(p, 2) for z, p in self.cushions_kpa},
            "heaters": {h: {"temp_c": _finite(c, 2), "on": on} for h, c, on in self.heaters},
            "recline": {
                "backrest_deg": _finite(self.backrest_deg, 1),
                "legrest_deg": _finite(self.legrest_deg, 1),
            },
            "latched": self.latched,
            "recent_events": [e.to_dict() for e in self.recent_events],
            "message": self.message,
        }


def _finite(value: float, digits: int) -> float | None:
    v = float(value)
    return round(v, digits) if math.isfinite(v) else None


def _opt(value: float | None, digits: int) -> float | None:
    return None if value is None else _finite(value, digits)
