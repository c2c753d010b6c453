"""Rules about the heaters: the target cap, the 43 °C ceiling, broken or stuck sensors, and a
rise the heater cannot explain."""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from openchair.compiled import kernel
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
        self._kernel_limits = np.array(
            [
                limits.heater_target_max_c,
                limits.heater_sensor_min_plausible_c,
                limits.heater_sensor_max_plausible_c,
                limits.heater_sensor_stuck_s,
                limits.heater_surface_max_c,
                HEATER_STUCK_CHANGE_C,
                HEATER_SENSOR_FROZEN_S,
                HEATER_CURRENT_ON_FRACTION * description.heater_current_a,
                HEATER_OVERRUN_C,
                HEATER_CURRENT_OFF_S,
                HEATER_DRIVEN_MARGIN_C,
                HEATER_NO_CURRENT_S,
                HEATER_RESPONSE_S,
                HEATER_RESPONSE_RISE_C,
                HEATER_OFF_SETTLE_S,
                HEATER_RISE_UNEXPLAINED_C,
            ]
        )
        """The limits the kernel reads, in the order ``_heat_tick`` unpacks them."""

    def sent(self, heater_target_c: FloatArray) -> None:
        """The heater targets of the frame that went to the chair (after every rule)."""
        self._sent = heater_target_c

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        """One call into the heat kernel (every heater of every chair, read once), then the
        events of the rules that act, in the table's order."""
        lim, log = self.limits, self.log
        temps = r.heater_temp_c
        wanted = out.heater_target_c
        currents = r.heater_current_a
        sensing = self.nominal_current_a > 0 and currents.shape == temps.shape
        if not sensing:
            currents = temps  # not read by the kernel: no current rules without sensing
        # Once a second is enough to see a slow thermal rise.
        history = self._history
        if not history or now_s - history[-1][0] >= 1.0:
            history.append((now_s, temps.copy()))
        while history[0][0] < now_s - HEATER_RISE_WINDOW_S - 1.0:
            history.popleft()
        old_t, old_temps = history[0]
        check_rise = now_s - old_t >= HEATER_RISE_WINDOW_S - 0.5
        target = np.empty(temps.shape, order="F")
        acts = np.zeros((_N_FLAGS, temps.shape[0]), dtype=np.bool_)
        _heat_tick(
            temps,
            wanted,
            currents,
            self._sent,
            old_temps,
            now_s,
            sensing,
            check_rise,
            self._kernel_limits,
            self.disabled,
            self._driven_since,
            self._last_change_temp,
            self._prev_temps,
            self._same_since,
            self._leak_since,
            self._cold_since,
            self._on_since,
            self._temp_at_on,
            self._off_since,
            target,
            acts,
        )
        out.heater_target_c = target
        if not acts.any() and log.resting(_RULES) and not (not sensing and self.disabled.any()):
            return  # the common case: no heat rule acts now, nor did at the last tick
        log.edge(
            HEATER_TARGET,
            acts[_TARGET],
            now_s,
            lambda: wanted.max(axis=1),
            lim.heater_target_max_c,
        )
        log.edge(
            HEATER_SENSOR,
            acts[_SENSOR],
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_max_plausible_c,
        )
        log.edge(
            HEATER_STUCK_SENSOR,
            acts[_STUCK],
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_stuck_s,
        )
        log.edge(
            HEATER_SENSOR_FROZEN,
            acts[_FROZEN],
            now_s,
            lambda: _extreme(temps),
            HEATER_SENSOR_FROZEN_S,
        )
        if sensing:
            on_a = HEATER_CURRENT_ON_FRACTION * self.nominal_current_a
            log.edge(HEATER_RELAY_STUCK, acts[_RELAY], now_s, lambda: currents.max(axis=1), on_a)
            log.edge(
                HEATER_NO_CURRENT, acts[_NO_CURRENT], now_s, lambda: currents.max(axis=1), on_a
            )
            log.edge(
                HEATER_UNRESPONSIVE,
                acts[_DULL],
                now_s,
                lambda: (temps - self._temp_at_on).max(axis=1),
                HEATER_RESPONSE_RISE_C,
            )
        elif self.disabled.any():
            log.edge(
                HEATER_UNSUPERVISED,
                self.disabled.any(axis=1),
                now_s,
                lambda: self.disabled.sum(axis=1).astype(np.float64),
                0.0,
            )
        log.edge(
            HEATER_CEILING,
            acts[_HOT],
            now_s,
            lambda: temps.max(axis=1),
            lim.heater_surface_max_c,
        )
        if check_rise:
            log.edge(
                HEATER_RUNAWAY,
                acts[_RISING],
                now_s,
                lambda: (temps - old_temps).max(axis=1),
                HEATER_RISE_UNEXPLAINED_C,
            )


_TARGET, _SENSOR, _STUCK, _FROZEN, _RELAY, _NO_CURRENT, _DULL, _HOT, _RISING = range(9)
_N_FLAGS = 9
_RULES = frozenset(
    {
        HEATER_TARGET,
        HEATER_SENSOR,
        HEATER_STUCK_SENSOR,
        HEATER_SENSOR_FROZEN,
        HEATER_RELAY_STUCK,
        HEATER_NO_CURRENT,
        HEATER_UNRESPONSIVE,
        HEATER_UNSUPERVISED,
        HEATER_CEILING,
        HEATER_RUNAWAY,
    }
)
"""Rows of the kernel's per-chair flags: where each heat rule acts this tick."""


@kernel
def _minimum(a: float, b: float) -> float:
    """``np.minimum`` of two numbers (a NaN wins)."""
    return a if (a < b or a != a) else b


@kernel
def _heat_tick(
    temps: FloatArray,
    wanted: FloatArray,
    currents: FloatArray,
    sent: FloatArray,
    old_temps: FloatArray,
    now_s: float,
    sensing: bool,
    check_rise: bool,
    lim: FloatArray,
    disabled: BoolArray,
    driven_since: FloatArray,
    last_change_temp: FloatArray,
    prev_temps: FloatArray,
    same_since: FloatArray,
    leak_since: FloatArray,
    cold_since: FloatArray,
    on_since: FloatArray,
    temp_at_on: FloatArray,
    off_since: FloatArray,
    target_out: FloatArray,
    acts: BoolArray,
) -> None:
    """Every heat rule for every heater of every chair, in the order a person reads them.

    ``lim``: the values of ``limits.py`` as ``HeatRules._kernel_limits`` lists them (passed
    in, never compiled in: a cached kernel would keep an old limit).
    Writes the capped targets into ``target_out``, where each rule acts into ``acts`` (rows as
    ``_TARGET`` ...), and updates the per-heater state arrays in place."""
    (target_max_c, plausible_min_c, plausible_max_c, stuck_s, surface_max_c, stuck_change_c) = (
        lim[0],
        lim[1],
        lim[2],
        lim[3],
        lim[4],
        lim[5],
    )
    (frozen_s, on_a, overrun_c, current_off_s, driven_margin_c, no_current_s) = (
        lim[6],
        lim[7],
        lim[8],
        lim[9],
        lim[10],
        lim[11],
    )
    response_s, response_rise_c, off_settle_s, rise_c = lim[12], lim[13], lim[14], lim[15]
    n, h = temps.shape
    nan = np.nan
    # No heater powered and none asked to be (most massage programs): the current rules rest.
    currents_rest = True
    if sensing:
        for i in range(n):
            for j in range(h):
                if currents[i, j] > on_a or sent[i, j] != 0:
                    currents_rest = False
    for i in range(n):
        for j in range(h):
            t = temps[i, j]
            w = wanted[i, j]
            if w > target_max_c:
                acts[_TARGET, i] = True
            tg = _minimum(w, target_max_c)
            implausible = (t < plausible_min_c) or (t > plausible_max_c)
            if implausible:
                acts[_SENSOR, i] = True
                disabled[i, j] = True
                driven_since[i, j] = nan
            # Stuck sensor: driven well below target, and the reading does not move.
            driven = (tg > 0) and (t < tg - 2.0) and not disabled[i, j]
            if driven:
                if np.isnan(driven_since[i, j]):
                    driven_since[i, j] = now_s
                    last_change_temp[i, j] = t
                if abs(t - last_change_temp[i, j]) > stuck_change_c:
                    driven_since[i, j] = now_s
                    last_change_temp[i, j] = t
                if now_s - driven_since[i, j] >= stuck_s:
                    acts[_STUCK, i] = True
                    disabled[i, j] = True
            else:
                driven_since[i, j] = nan
            # Frozen: a reading that keeps the same bits for HEATER_SENSOR_FROZEN_S.
            same = t == prev_temps[i, j]
            prev_temps[i, j] = t
            if not same:
                same_since[i, j] = nan
            else:
                if np.isnan(same_since[i, j]):
                    same_since[i, j] = now_s
                if now_s - same_since[i, j] >= frozen_s and not implausible:
                    acts[_FROZEN, i] = True
                    disabled[i, j] = True
            if sensing and currents_rest:
                leak_since[i, j] = nan
                cold_since[i, j] = nan
                on_since[i, j] = nan
            elif sensing:
                c = currents[i, j]
                s = sent[i, j]
                on = c > on_a
                # A relay stuck on: current while the frames sent said off, or while the
                # reading is past the target by more than the board's own on/off band.
                if on and (s <= 0 or t > s + overrun_c):
                    if np.isnan(leak_since[i, j]):
                        leak_since[i, j] = now_s
                    if now_s - leak_since[i, j] >= current_off_s:
                        acts[_RELAY, i] = True
                else:
                    leak_since[i, j] = nan
                # Driven well above its reading, yet no current: cut-out open, or broken.
                if not on and s > t + driven_margin_c and not disabled[i, j]:
                    if np.isnan(cold_since[i, j]):
                        cold_since[i, j] = now_s
                    if now_s - cold_since[i, j] >= no_current_s:
                        acts[_NO_CURRENT, i] = True
                        disabled[i, j] = True
                else:
                    cold_since[i, j] = nan
                # A sensor that does not respond to its heater: powered without a break, yet
                # not warmer.
                if on:
                    if np.isnan(on_since[i, j]):
                        on_since[i, j] = now_s
                        temp_at_on[i, j] = t
                    if (
                        now_s - on_since[i, j] >= response_s
                        and t - temp_at_on[i, j] < response_rise_c
                        and not disabled[i, j]
                    ):
                        acts[_DULL, i] = True
                        disabled[i, j] = True
                else:
                    on_since[i, j] = nan
            # Over the ceiling: off now (not latched: it may cool and resume).
            hot = t >= surface_max_c
            if hot:
                acts[_HOT, i] = True
            if hot or disabled[i, j]:
                tg = 0.0
            # A rise the heater cannot explain: off for a while, yet warming.
            off = tg <= 0
            if not off:
                off_since[i, j] = nan
            elif np.isnan(off_since[i, j]):
                off_since[i, j] = now_s
            if (
                check_rise
                and off
                and now_s - off_since[i, j] >= off_settle_s
                and not implausible
                and t - old_temps[i, j] > rise_c
            ):
                acts[_RISING, i] = True
            target_out[i, j] = tg


def _extreme(temps: FloatArray) -> FloatArray:
    """Per chair, the reading furthest from room temperature (what an alarm should show)."""
    far = np.abs(temps - 22.0)
    return np.asarray(temps[np.arange(temps.shape[0]), far.argmax(axis=1)], dtype=np.float64)
