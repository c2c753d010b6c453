"""Rules about the air cushions: never above 45 kPa, no valve inflating longer than 10 s."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.compiled import kernel
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import AIR_VENT_PAUSE_S, SafetyLimits
from openchair.safety.rules import AIR_PRESSURE, AIR_VALVE_TIME

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class AirRules:
    """Owns, per zone, since when its valve inflates and until when it must vent."""

    def __init__(self, description: ChairDescription, limits: SafetyLimits, log: EventLog) -> None:
        self.limits = limits
        self.log = log
        n, z = log.batch_size, description.n_air_zones
        # Column-major like the readings it is mixed with.
        self._inflating_since: FloatArray = np.full((n, z), np.nan, order="F")
        self._vent_until: FloatArray = np.full((n, z), -np.inf, order="F")
        self._kernel_limits = np.array(
            [limits.air_pressure_max_kpa, limits.air_valve_inflate_max_s, AIR_VENT_PAUSE_S]
        )
        """The limits the kernel reads, in its order (passed in, never compiled in: a cached
        kernel would keep an old limit)."""

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        """One call into the air kernel (every zone of every chair, read once), then the
        events."""
        lim, log = self.limits, self.log
        n = r.batch_size
        target = np.empty_like(out.air_pressure_target_kpa)
        acts = np.zeros((2, n), dtype=np.bool_)
        inflated_s = np.zeros(n)
        _air_tick(
            out.air_pressure_target_kpa,
            r.air_pressure_kpa,
            now_s,
            self._kernel_limits,
            self._inflating_since,
            self._vent_until,
            target,
            acts,
            inflated_s,
        )
        out.air_pressure_target_kpa = target
        if not acts.any() and log.resting(_RULES):
            return  # the common case: neither rule acts now, nor did at the last tick
        log.edge(
            AIR_PRESSURE,
            acts[0],
            now_s,
            lambda: r.air_pressure_kpa.max(axis=1),
            lim.air_pressure_max_kpa,
        )
        log.edge(AIR_VALVE_TIME, acts[1], now_s, inflated_s, lim.air_valve_inflate_max_s)


_RULES = frozenset({AIR_PRESSURE, AIR_VALVE_TIME})


@kernel
def _air_tick(
    wanted_kpa: FloatArray,
    pressure_kpa: FloatArray,
    now_s: float,
    lim: FloatArray,
    inflating_since: FloatArray,
    vent_until: FloatArray,
    target_out: FloatArray,
    acts: BoolArray,
    inflated_s: FloatArray,
) -> None:
    """Per chair: a zone over pressure (``acts[0]``), a valve inflating too long (``acts[1]``,
    for those chairs the longest inflation in ``inflated_s``), and the targets that may go
    (``target_out``: vented where over pressure or in a vent pause). ``lim``: most pressure,
    longest inflation, vent pause."""
    max_kpa, inflate_max_s, pause_s = lim[0], lim[1], lim[2]
    n, z = pressure_kpa.shape
    for i in range(n):
        longest = 0.0
        for j in range(z):
            p = pressure_kpa[i, j]
            w = wanted_kpa[i, j]
            target = w if (w < max_kpa or w != w) else max_kpa
            if p > max_kpa:
                acts[0, i] = True
            if target > p + 0.5:
                if np.isnan(inflating_since[i, j]):
                    inflating_since[i, j] = now_s
                if now_s - inflating_since[i, j] > inflate_max_s:
                    acts[1, i] = True
                    vent_until[i, j] = now_s + pause_s
                longest = max(longest, now_s - inflating_since[i, j])
            else:
                inflating_since[i, j] = np.nan
            target_out[i, j] = target
        if acts[1, i]:
            inflated_s[i] = longest
        for j in range(z):
            if pressure_kpa[i, j] > max_kpa or now_s < vent_until[i, j]:
                inflating_since[i, j] = np.nan
                target_out[i, j] = 0.0
