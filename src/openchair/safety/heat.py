"""Rules about the heaters: the target cap, the 43 °C ceiling, broken or stuck sensors, and a
rise the heater cannot explain."""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import (
    HEATER_OFF_SETTLE_S,
    HEATER_RISE_UNEXPLAINED_C,
    HEATER_RISE_WINDOW_S,
    HEATER_STUCK_CHANGE_C,
    SafetyLimits,
)
from openchair.safety.rules import (
    HEATER_CEILING,
    HEATER_RUNAWAY,
    HEATER_SENSOR,
    HEATER_STUCK_SENSOR,
    HEATER_TARGET,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class HeatRules:
    """Owns, per heater, whether it is disabled for the session, since when it is off or driven,
    the reading at its last change, and a once-a-second history of readings."""

    def __init__(
        self,
        description: ChairDescription,
        limits: SafetyLimits,
        log: EventLog,
        session_start_s: float,
    ) -> None:
        self.limits = limits
        self.log = log
        n, h = log.batch_size, description.n_heaters
        # Column-major like the readings they are mixed with: mixing layouts in one operation is
        # several times slower.
        self.disabled: BoolArray = np.zeros((n, h), dtype=bool, order="F")
        self._off_since: FloatArray = np.full((n, h), session_start_s, order="F")
        self._driven_since: FloatArray = np.full((n, h), np.nan, order="F")
        self._last_change_temp: FloatArray = np.full((n, h), np.nan, order="F")
        self._history: deque[tuple[float, FloatArray]] = deque()

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        lim, log = self.limits, self.log
        temps = r.heater_temp_c
        wanted = out.heater_target_c
        log.edge(
            HEATER_TARGET,
            (wanted > lim.heater_target_max_c).any(axis=1),
            now_s,
            lambda: wanted.max(axis=1),
            lim.heater_target_max_c,
        )
        target = np.minimum(wanted, lim.heater_target_max_c)
        implausible = (temps < lim.heater_sensor_min_plausible_c) | (
            temps > lim.heater_sensor_max_plausible_c
        )
        implausible_chair = implausible.any(axis=1)
        log.edge(
            HEATER_SENSOR,
            implausible_chair,
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_max_plausible_c,
        )
        if implausible_chair.any():
            self.disabled |= implausible
            self._driven_since[implausible] = np.nan
        # Stuck sensor: driven well below target, and the reading does not move.
        driven = (target > 0) & (temps < target - 2.0) & ~self.disabled
        start = driven & np.isnan(self._driven_since)
        np.copyto(self._driven_since, now_s, where=start)
        np.copyto(self._last_change_temp, temps, where=start)
        moved = driven & (np.abs(temps - self._last_change_temp) > HEATER_STUCK_CHANGE_C)
        np.copyto(self._driven_since, now_s, where=moved)
        np.copyto(self._last_change_temp, temps, where=moved)
        np.copyto(self._driven_since, np.nan, where=~driven)
        stuck = driven & ((now_s - self._driven_since) >= lim.heater_sensor_stuck_s)
        stuck_chair = stuck.any(axis=1)
        log.edge(
            HEATER_STUCK_SENSOR,
            stuck_chair,
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_stuck_s,
        )
        if stuck_chair.any():
            self.disabled |= stuck
        # Over the ceiling: off now (not latched: it may cool and resume).
        hot = temps >= lim.heater_surface_max_c
        log.edge(
            HEATER_CEILING,
            hot.any(axis=1),
            now_s,
            lambda: temps.max(axis=1),
            lim.heater_surface_max_c,
        )
        target = np.where(hot | self.disabled, 0.0, target)
        # A rise the heater cannot explain: off for a while, yet warming.
        off = target <= 0
        self._off_since = np.where(off, self._off_since, np.nan)
        self._off_since = np.where(off & np.isnan(self._off_since), now_s, self._off_since)
        # Once a second is enough to see a slow thermal rise.
        history = self._history
        if not history or now_s - history[-1][0] >= 1.0:
            history.append((now_s, temps.copy()))
        while history[0][0] < now_s - HEATER_RISE_WINDOW_S - 1.0:
            history.popleft()
        old_t, old_temps = history[0]
        if now_s - old_t >= HEATER_RISE_WINDOW_S - 0.5:
            settled = off & ((now_s - self._off_since) >= HEATER_OFF_SETTLE_S)
            rising = settled & ~implausible & (temps - old_temps > HEATER_RISE_UNEXPLAINED_C)
            log.edge(
                HEATER_RUNAWAY,
                rising.any(axis=1),
                now_s,
                lambda: (temps - old_temps).max(axis=1),
                HEATER_RISE_UNEXPLAINED_C,
            )
        out.heater_target_c = target


def _extreme(temps: FloatArray) -> FloatArray:
    """Per chair, the reading furthest from room temperature (what an alarm should show)."""
    far = np.abs(temps - 22.0)
    return np.asarray(temps[np.arange(temps.shape[0]), far.argmax(axis=1)], dtype=np.float64)
