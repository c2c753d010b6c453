"""Rules about the recline motors: a current spike means something is caught."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import RECLINE_REVERSE_DEG, SafetyLimits
from openchair.safety.rules import RECLINE_OBSTRUCTION

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ReclineRules:
    """Owns which chairs' recline is locked for the session, where it holds, and until when it
    reverses."""

    def __init__(self, description: ChairDescription, limits: SafetyLimits, log: EventLog) -> None:
        self.description = description
        self.limits = limits
        self.log = log
        n = log.batch_size
        self._locked: BoolArray = np.zeros(n, dtype=bool)
        self._hold: FloatArray = np.zeros((n, 2))
        self._reverse_until: FloatArray = np.full(n, -np.inf)

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        lim, d = self.limits, self.description
        spike = (r.backrest_current_a > lim.recline_current_spike_a) | (
            r.legrest_current_a > lim.recline_current_spike_a
        )
        new = spike & ~self._locked
        if new.any():
            # Stop, and back off briefly the way the motor came.
            back_dir = np.sign(out.backrest_angle_target_deg - r.backrest_angle_deg)
            leg_dir = np.sign(out.legrest_angle_target_deg - r.legrest_angle_deg)
            self._hold[new, 0] = np.clip(
                r.backrest_angle_deg - RECLINE_REVERSE_DEG * back_dir,
                d.backrest_angle_min_deg,
                d.backrest_angle_max_deg,
            )[new]
            self._hold[new, 1] = np.clip(
                r.legrest_angle_deg - RECLINE_REVERSE_DEG * leg_dir,
                d.legrest_angle_min_deg,
                d.legrest_angle_max_deg,
            )[new]
            self._reverse_until[new] = now_s + lim.recline_reverse_s
            self._locked |= new
        if spike.any() or not self.log.resting(_RULES):
            self.log.edge(
                RECLINE_OBSTRUCTION,
                spike,
                now_s,
                np.maximum(r.backrest_current_a, r.legrest_current_a),
                lim.recline_current_spike_a,
            )
        locked = self._locked
        if locked.any():
            reversing = now_s < self._reverse_until
            hold_b = np.where(reversing, self._hold[:, 0], r.backrest_angle_deg)
            hold_l = np.where(reversing, self._hold[:, 1], r.legrest_angle_deg)
            # After the brief reverse the recline stays where it is for the rest of the session.
            self._hold[:, 0] = np.where(reversing, self._hold[:, 0], hold_b)
            self._hold[:, 1] = np.where(reversing, self._hold[:, 1], hold_l)
            out.backrest_angle_target_deg = np.where(
                locked,
                np.clip(hold_b, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
                out.backrest_angle_target_deg,
            )
            out.legrest_angle_target_deg = np.where(
                locked,
                np.clip(hold_l, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
                out.legrest_angle_target_deg,
            )


_RULES = frozenset({RECLINE_OBSTRUCTION})
