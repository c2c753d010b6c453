"""The body scan's motion: one light-contact sweep up the back, recording what a chair senses.

The rollers travel from the seat crease to the top of the track at full carriage speed while a
depth servo keeps them touching the back at ``limits.scan_contact_force_n``. Every tick records
the carriage position, the depth, the contact force and the shoulder sensor: nothing else, since a
real chair senses nothing else. :mod:`openchair.scan.estimate` turns the record into a body map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SERVO_GAIN_MM_PER_N = 0.8
SERVO_STEP_MAX_MM = 3.0
SCAN_WIDTH_MM = 70.0
NO_CONTACT_DEPTH_MM = 100.0
"""Deeper than this without feeling the back: the person is not against the backrest."""


@dataclass
class ScanRecord:
    """What the sweep sensed, tick by tick: arrays of shape (T, N)."""

    time_s: list[float] = field(default_factory=list)
    y_mm: list[FloatArray] = field(default_factory=list)
    depth_mm: list[FloatArray] = field(default_factory=list)
    force_n: list[FloatArray] = field(default_factory=list)
    force_soft_n: list[FloatArray] = field(default_factory=list)
    """The smaller of the left and right forces: the side without a tight spot under it."""
    shoulder: list[BoolArray] = field(default_factory=list)
    occupied: list[BoolArray] = field(default_factory=list)

    def add(self, r: Readings) -> None:
        self.time_s.append(r.time_s)
        self.y_mm.append(r.carriage_y_mm.copy())
        self.depth_mm.append(r.depth_mm.copy())
        self.force_n.append((r.force_left_n + r.force_right_n) / 2.0)
        self.force_soft_n.append(np.minimum(r.force_left_n, r.force_right_n))
        self.shoulder.append(r.shoulder_sensor.copy())
        self.occupied.append(r.occupied.copy())

    def stacked(self, name: str) -> npt.NDArray[np.generic]:
        return np.stack(getattr(self, name))


class ScanRoutine:
    """Closed-loop setpoints for the sweep, for N chairs at once. Feed it readings each tick."""

    def __init__(
        self,
        description: ChairDescription,
        batch_size: int,
        limits: SafetyLimits = DEFAULT_LIMITS,
    ) -> None:
        self.description = description
        self.limits = limits
        self.batch_size = batch_size
        self.record = ScanRecord()
        self.end_y_mm = description.carriage_y_max_mm
        self._started_s: float | None = None
        self.done = np.zeros(batch_size, dtype=bool)
        self.nobody = np.zeros(batch_size, dtype=bool)
        self.no_contact = np.zeros(batch_size, dtype=bool)
        self.records_used = np.zeros(batch_size, dtype=np.int64)
        """Per chair, how many records its own sweep made (later ones are the batch waiting)."""

    @property
    def finished(self) -> bool:
        return bool(self.done.all())

    def setpoints(self, r: Readings) -> Commands:
        """The next frame, from the latest readings only."""
        d, lim = self.description, self.limits
        if self._started_s is None:
            self._started_s = r.time_s
            self.nobody = ~r.occupied
        self.record.add(r)
        elapsed = r.time_s - self._started_s
        force = (r.force_left_n + r.force_right_n) / 2.0
        step = np.clip(
            SERVO_GAIN_MM_PER_N * (lim.scan_contact_force_n - force),
            -SERVO_STEP_MAX_MM,
            SERVO_STEP_MAX_MM,
        )
        depth = np.clip(r.depth_mm + step, 0.0, NO_CONTACT_DEPTH_MM)
        self.no_contact |= (r.depth_mm >= NO_CONTACT_DEPTH_MM - 1.0) & (
            force < lim.scan_contact_force_n / 4
        )
        at_top = r.carriage_y_mm >= self.end_y_mm - 2.0
        out_of_time = elapsed >= lim.scan_duration_max_s - 1.0
        self.records_used = np.where(self.done, self.records_used, len(self.record.time_s))
        self.done |= self.nobody | at_top | out_of_time
        frame = self.hold(r)
        sweeping = ~self.done
        frame.carriage_y_target_mm = np.where(sweeping, self.end_y_mm, frame.carriage_y_target_mm)
        frame.carriage_speed_limit_mm_s = np.where(sweeping, d.carriage_speed_max_mm_s, 0.0)
        frame.depth_target_mm = np.where(sweeping & r.occupied, depth, 0.0)
        return frame

    def hold(self, r: Readings) -> Commands:
        """The frame of a chair whose sweep is over: still, rollers retracting, nothing recorded."""
        d = self.description
        frame = Commands.safe(
            d, self.batch_size, np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm)
        )
        frame.width_target_mm[:] = SCAN_WIDTH_MM
        return frame
