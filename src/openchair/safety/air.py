"""Rules about the air cushions: never above 45 kPa, no valve inflating longer than 10 s."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import AIR_VENT_PAUSE_S, SafetyLimits
from openchair.safety.rules import AIR_PRESSURE, AIR_VALVE_TIME

FloatArray = npt.NDArray[np.float64]


class AirRules:
    """Owns, per zone, since when its valve inflates and until when it must vent."""

    def __init__(self, description: ChairDescription, limits: SafetyLimits, log: EventLog) -> None:
        self.limits = limits
        self.log = log
        n, z = log.batch_size, description.n_air_zones
        # Column-major like the readings it is mixed with.
        self._inflating_since: FloatArray = np.full((n, z), np.nan, order="F")
        self._vent_until: FloatArray = np.full((n, z), -np.inf, order="F")
        self._vent_until_latest_s = -np.inf
        """The latest end of any valve's vent pause: past it, no valve is pausing."""

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        lim, log = self.limits, self.log
        target = np.minimum(out.air_pressure_target_kpa, lim.air_pressure_max_kpa)
        over = r.air_pressure_kpa > lim.air_pressure_max_kpa
        over_chair = over.any(axis=1)
        log.edge(
            AIR_PRESSURE,
            over_chair,
            now_s,
            lambda: r.air_pressure_kpa.max(axis=1),
            lim.air_pressure_max_kpa,
        )
        inflating = target > r.air_pressure_kpa + 0.5
        self._inflating_since = np.where(
            inflating,
            np.where(np.isnan(self._inflating_since), now_s, self._inflating_since),
            np.nan,
        )
        too_long = inflating & ((now_s - self._inflating_since) > lim.air_valve_inflate_max_s)
        too_long_chair = too_long.any(axis=1)
        log.edge(
            AIR_VALVE_TIME,
            too_long_chair,
            now_s,
            lambda: np.nan_to_num(now_s - self._inflating_since).max(axis=1),
            lim.air_valve_inflate_max_s,
        )
        if too_long_chair.any():
            self._vent_until = np.where(too_long, now_s + AIR_VENT_PAUSE_S, self._vent_until)
            self._vent_until_latest_s = float(self._vent_until.max())
        if not over_chair.any() and now_s >= self._vent_until_latest_s:
            # Nothing over pressure and no valve in its vent pause: the common case, cheaply.
            out.air_pressure_target_kpa = target
            return
        venting = over | (now_s < self._vent_until)
        self._inflating_since[venting] = np.nan
        out.air_pressure_target_kpa = np.where(venting, 0.0, target)
