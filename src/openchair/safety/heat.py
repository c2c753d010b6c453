"""Rules about the heaters: the target cap, the 43 °C ceiling, broken or stuck sensors, and a
rise the heater cannot explain."""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import (
    HEATER_CURRENT_OFF_S,
    HEATER_CURRENT_ON_FRACTION,
    HEATER_DRIVEN_MARGIN_C,
    HEATER_NO_CURRENT_S,
    HEATER_OFF_SETTLE_S,
    HEATER_OVERRUN_C,
    HEATER_RESPONSE_RISE_C,
    HEATER_RESPONSE_S,
    HEATER_RISE_UNEXPLAINED_C,
    HEATER_RISE_WINDOW_S,
    HEATER_SENSOR_FROZEN_S,
    HEATER_STUCK_CHANGE_C,
    SafetyLimits,
)
from openchair.safety.rules import (
    HEATER_CEILING,
    HEATER_NO_CURRENT,
    HEATER_RELAY_STUCK,
    HEATER_RUNAWAY,
    HEATER_SENSOR,
    HEATER_SENSOR_FROZEN,
    HEATER_STUCK_SENSOR,
    HEATER_TARGET,
    HEATER_UNRESPONSIVE,
    HEATER_UNSUPERVISED,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class HeatRules:
    """Owns, per heater, whether it is disabled for the session, since when it is off, driven,
    powered, drawing current while off or reading the same bits, the readings it compares
    against, the target last sent, and a once-a-second history of readings.

    A heater whose sensor failed is switched off for the session; with the board sensing heater
    current the chair still sees whether it obeys (a relay stuck on draws current), without it
    the heater is no longer supervised and the supply relay opens."""

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
        self.nominal_current_a = description.heater_current_a
        self._sent: FloatArray = np.zeros((n, h), order="F")
        self._cold_since: FloatArray = np.full((n, h), np.nan, order="F")
        self._leak_since: FloatArray = np.full((n, h), np.nan, order="F")
        self._on_since: FloatArray = np.full((n, h), np.nan, order="F")
        self._temp_at_on: FloatArray = np.full((n, h), np.nan, order="F")
        self._prev_temps: FloatArray = np.full((n, h), np.nan, order="F")
        self._same_since: FloatArray = np.full((n, h), np.nan, order="F")
        self._same_tracked = False
        self._current_tracked = False

    def sent(self, heater_target_c: FloatArray) -> None:
        """The heater targets of the frame that went to the chair (after every rule)."""
        self._sent = heater_target_c

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
        self._frozen(temps, implausible, now_s)
        sensing = self._currents(r, temps, now_s)
        if not sensing and self.disabled.any():
            log.edge(
                HEATER_UNSUPERVISED,
                self.disabled.any(axis=1),
                now_s,
                lambda: self.disabled.sum(axis=1).astype(np.float64),
                0.0,
            )
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

    def _frozen(self, temps: FloatArray, implausible: BoolArray, now_s: float) -> None:
        """A reading that keeps the same bits for HEATER_SENSOR_FROZEN_S is not a sensor."""
        same = temps == self._prev_temps
        self._prev_temps = temps.copy(order="F")
        if not same.any():
            # The common case, cheaply: every reading moved.
            if self._same_tracked:
                self._same_since.fill(np.nan)
                self._same_tracked = False
            self.log.edge(HEATER_SENSOR_FROZEN, False, now_s, 0.0, HEATER_SENSOR_FROZEN_S)
            return
        self._same_tracked = True
        np.copyto(self._same_since, np.nan, where=~same)
        np.copyto(self._same_since, now_s, where=same & np.isnan(self._same_since))
        frozen = same & ((now_s - self._same_since) >= HEATER_SENSOR_FROZEN_S) & ~implausible
        if frozen.any():
            self.log.edge(
                HEATER_SENSOR_FROZEN,
                frozen.any(axis=1),
                now_s,
                lambda: _extreme(temps),
                HEATER_SENSOR_FROZEN_S,
            )
            self.disabled |= frozen
        else:
            self.log.edge(HEATER_SENSOR_FROZEN, False, now_s, 0.0, HEATER_SENSOR_FROZEN_S)

    def _currents(self, r: Readings, temps: FloatArray, now_s: float) -> bool:
        """Heater current rules; False when the board senses no heater current."""
        currents = r.heater_current_a
        if self.nominal_current_a <= 0 or currents.shape != temps.shape:
            return False
        log = self.log
        on = currents > HEATER_CURRENT_ON_FRACTION * self.nominal_current_a
        if not on.any() and not self._sent.any():
            # No heater powered, none asked to be (most massage programs), cheaply.
            if self._current_tracked:
                for since in (self._leak_since, self._on_since, self._cold_since):
                    since.fill(np.nan)
                self._current_tracked = False
            for rule in (HEATER_RELAY_STUCK, HEATER_NO_CURRENT, HEATER_UNRESPONSIVE):
                log.edge(rule, False, now_s, 0.0, 0.0)
            return True
        self._current_tracked = True
        # A relay stuck on: current while the frames sent said off, or while the reading is
        # past the target by more than the board's own on/off band.
        leak = on & ((self._sent <= 0) | (temps > self._sent + HEATER_OVERRUN_C))
        np.copyto(self._leak_since, np.nan, where=~leak)
        np.copyto(self._leak_since, now_s, where=leak & np.isnan(self._leak_since))
        stuck_on = leak & ((now_s - self._leak_since) >= HEATER_CURRENT_OFF_S)
        log.edge(
            HEATER_RELAY_STUCK,
            stuck_on.any(axis=1),
            now_s,
            lambda: currents.max(axis=1),
            HEATER_CURRENT_ON_FRACTION * self.nominal_current_a,
        )
        # Driven well above its reading, yet no current: its cut-out opened, or it is broken.
        cold = ~on & (self._sent > temps + HEATER_DRIVEN_MARGIN_C) & ~self.disabled
        np.copyto(self._cold_since, np.nan, where=~cold)
        np.copyto(self._cold_since, now_s, where=cold & np.isnan(self._cold_since))
        dead = cold & ((now_s - self._cold_since) >= HEATER_NO_CURRENT_S)
        log.edge(
            HEATER_NO_CURRENT,
            dead.any(axis=1),
            now_s,
            lambda: currents.max(axis=1),
            HEATER_CURRENT_ON_FRACTION * self.nominal_current_a,
        )
        if dead.any():
            self.disabled |= dead
        # A sensor that does not respond to its heater: powered without a break, yet not warmer.
        start = on & np.isnan(self._on_since)
        np.copyto(self._on_since, now_s, where=start)
        np.copyto(self._temp_at_on, temps, where=start)
        np.copyto(self._on_since, np.nan, where=~on)
        dull = (
            on
            & ((now_s - self._on_since) >= HEATER_RESPONSE_S)
            & (temps - self._temp_at_on < HEATER_RESPONSE_RISE_C)
            & ~self.disabled
        )
        log.edge(
            HEATER_UNRESPONSIVE,
            dull.any(axis=1),
            now_s,
            lambda: (temps - self._temp_at_on).max(axis=1),
            HEATER_RESPONSE_RISE_C,
        )
        if dull.any():
            self.disabled |= dull
        return True


def _extreme(temps: FloatArray) -> FloatArray:
    """Per chair, the reading furthest from room temperature (what an alarm should show)."""
    far = np.abs(temps - 22.0)
    return np.asarray(temps[np.arange(temps.shape[0]), far.argmax(axis=1)], dtype=np.float64)
