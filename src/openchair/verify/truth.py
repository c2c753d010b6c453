"""What the seated body truly got, on the twin: peaks of true force (against the person's true
pain threshold), true depth (against the true comfortable depth), true surface temperature and
true cushion pressure, per chair.

Safety is judged on these, not on what the chair sensed: a sensor that lies makes the sensed
peaks look fine while the body is hurt. ``run --json``, ``selftest --json`` and the safety tests
report them beside the sensed peaks, also for a while after a session, with the controller gone
and the person still seated.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.body.batch import BodyBatch
from openchair.body.track import flat_index, grid_cell
from openchair.hardware.twin.chair import TwinChair, TwinTruth

FloatArray = npt.NDArray[np.float64]

UNATTENDED_S = 120.0
"""After a fault, how long the chair is followed with the controller gone (person seated)."""
CONTACT_FORCE_N = 2.0
"""Rollers pressing with at least this force are on the body: their depth is judged."""


class TruthPeaks:
    """Running peaks of the body's true values, per chair of a twin batch."""

    def __init__(self, bodies: BodyBatch) -> None:
        n = bodies.batch_size
        pain = bodies.pain_threshold_paraspinal_n
        truth = bodies.true_maps()
        depth = truth.along_track(truth.comfortable_depth_mm)
        # Cell i holds grid points i and i + 1: the lower threshold, the deeper depth (as the
        # verifier reads them).
        self._pain_cells = np.minimum(pain[:, :-1], pain[:, 1:])
        self._depth_cells = np.maximum(depth[:, :-1], depth[:, 1:])
        self.force_n: FloatArray = np.zeros(n)
        self.force_ratio: FloatArray = np.zeros(n)
        """Largest true force / true pain threshold where the roller was."""
        self.depth_over_mm: FloatArray = np.full(n, -np.inf)
        """Largest true depth past the true comfortable depth while pressing (< 0: never)."""
        self.temp_c: FloatArray = np.zeros(n)
        self.pressure_kpa: FloatArray = np.zeros(n)
        self.seconds_over_43_c: FloatArray = np.zeros(n)

    def observe(self, t: TwinTruth, dt_s: float = 0.01, surface_max_c: float = 43.0) -> None:
        force = np.maximum(t.force_left_n, t.force_right_n)
        cell = flat_index(self._depth_cells, grid_cell(t.carriage_y_mm))
        np.maximum(self.force_n, force, out=self.force_n)
        np.maximum(self.force_ratio, force / self._pain_cells.take(cell), out=self.force_ratio)
        over = np.where(
            force >= CONTACT_FORCE_N, t.depth_mm - self._depth_cells.take(cell), -np.inf
        )
        np.maximum(self.depth_over_mm, over, out=self.depth_over_mm)
        temp = t.heater_temp_c.max(axis=1)
        np.maximum(self.temp_c, temp, out=self.temp_c)
        self.seconds_over_43_c += np.where(temp > surface_max_c, dt_s, 0.0)
        np.maximum(self.pressure_kpa, t.air_pressure_kpa.max(axis=1), out=self.pressure_kpa)

    def chair(self, i: int) -> dict[str, float]:
        """Chair ``i``'s true peaks, for JSON."""
        return {
            "max_force_n": round(float(self.force_n[i]), 2),
            "max_force_over_pain_threshold": round(float(self.force_ratio[i]), 3),
            "max_depth_past_comfortable_mm": round(float(max(self.depth_over_mm[i], -999.0)), 1),
            "max_surface_temp_c": round(float(self.temp_c[i]), 2),
            "seconds_surface_above_43_c": round(float(self.seconds_over_43_c[i]), 2),
            "max_pressure_kpa": round(float(self.pressure_kpa[i]), 2),
        }


def follow_unattended(
    twin: TwinChair, peaks: TruthPeaks, seconds: float = UNATTENDED_S, dt_s: float = 0.01
) -> dict[str, float]:
    """Let the twin run on with no more frames (the controller gone, the person seated) and
    keep the peaks; returns what the board's own protections left at the end."""
    t0 = twin.time_s
    for k in range(round(seconds / dt_s)):
        twin.read(t0 + (k + 1) * dt_s)
        peaks.observe(twin.peek_truth(), dt_s)
    truth = twin.peek_truth()
    return {
        "followed_unattended_s": seconds,
        "supply_open_at_end": float(truth.supply_open.any()),
        "surface_temp_at_end_c": round(float(truth.heater_temp_c.max()), 2),
    }
