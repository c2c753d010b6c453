"""The session record: what happened, chair by chair, and every safety event."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import REGION_NAMES
from openchair.hardware.contract import Readings
from openchair.safety.limits import SafetyLimits
from openchair.safety.supervisor import SafetyEvent

FloatArray = npt.NDArray[np.float64]


class Outcome(enum.StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAULT = "fault"
    RUNNING = "running"


@dataclass
class ChairRecord:
    chair: int
    outcome: Outcome
    reason: str
    seconds: float
    seconds_by_zone: dict[str, float]
    max_force_n: float
    max_depth_mm: float
    max_pressure_kpa: float
    max_temp_c: float

    def to_dict(self) -> dict[str, object]:
        return {
            "chair": self.chair,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "seconds": round(self.seconds, 2),
            "seconds_by_zone": {k: round(v, 1) for k, v in self.seconds_by_zone.items()},
            "max_force_n": round(self.max_force_n, 1),
            "max_depth_mm": round(self.max_depth_mm, 1),
            "max_pressure_kpa": round(self.max_pressure_kpa, 2),
            "max_temp_c": round(self.max_temp_c, 2),
        }


@dataclass
class SessionRecord:
    program_id: str
    chairs: list[ChairRecord]
    events: list[SafetyEvent]
    limits: dict[str, float] = field(default_factory=dict)
    truth: list[dict[str, float]] | None = None
    """On the twin: per chair, the body's true peaks (beside the sensed ones in ``chairs``)."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "program": self.program_id,
            "chairs": [c.to_dict() for c in self.chairs],
            "limits": self.limits,
            "safety_events": [e.to_dict() for e in self.events],
        }
        if self.truth is not None:
            out["truth"] = self.truth
        return out


class Accumulator:
    """Running maxima and time per zone, updated every tick without a loop over chairs."""

    WORKING_DEPTH_MM = 1.0

    def __init__(self, maps: BodyMapBatch, tick_s: float) -> None:
        n = maps.batch_size
        self.tick_s = tick_s
        self.max_force = np.zeros(n)
        self.max_depth = np.zeros(n)
        self.max_pressure = np.zeros(n)
        self.max_temp = np.full(n, -np.inf)
        self.set_maps(maps)
        self.zone_ticks = np.zeros((n, len(REGION_NAMES)), dtype=np.int64)

    def set_maps(self, maps: BodyMapBatch) -> None:
        bounds = [maps.region_bounds_mm(r) for r in REGION_NAMES]
        self._lo = np.stack([b[0] for b in bounds], axis=1)
        self._hi = np.stack([b[1] for b in bounds], axis=1)

    def add(self, r: Readings, plausible_temp: tuple[float, float]) -> None:
        force = np.maximum(r.force_left_n, r.force_right_n)
        self.max_force = np.maximum(self.max_force, force)
        self.max_depth = np.maximum(self.max_depth, r.depth_mm)
        self.max_pressure = np.maximum(self.max_pressure, r.air_pressure_kpa.max(axis=1))
        lo, hi = plausible_temp
        temps = np.where(
            (r.heater_temp_c >= lo) & (r.heater_temp_c <= hi), r.heater_temp_c, -np.inf
        )
        self.max_temp = np.maximum(self.max_temp, temps.max(axis=1))
        working = r.depth_mm > self.WORKING_DEPTH_MM
        y = r.carriage_y_mm[:, None]
        inside = (y >= self._lo) & (y < self._hi) & working[:, None]
        self.zone_ticks += inside

    def limits_dict(self, limits: SafetyLimits) -> dict[str, float]:
        return {
            "roller_force_hard_max_n": limits.roller_force_hard_max_n,
            "roller_depth_hard_max_mm": limits.roller_depth_hard_max_mm,
            "air_pressure_max_kpa": limits.air_pressure_max_kpa,
            "heater_surface_max_c": limits.heater_surface_max_c,
        }
