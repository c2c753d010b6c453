"""Rules about the person and the session's length: nobody seated (pause, then stop), and the
30-minute auto-off."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import SafetyLimits
from openchair.safety.rules import OCCUPANCY_PAUSE, OCCUPANCY_STOP, SESSION_AUTO_OFF

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class PresenceRules:
    """Owns when each seat went empty, which chairs are paused and which must finish."""

    def __init__(self, limits: SafetyLimits, log: EventLog, session_start_s: float) -> None:
        self.limits = limits
        self.log = log
        n = log.batch_size
        self.session_start_s = session_start_s
        self.unoccupied_since: FloatArray = np.full(n, np.nan)
        self.finish_requested: BoolArray = np.zeros(n, dtype=bool)
        self.paused: BoolArray = np.zeros(n, dtype=bool)

    def reset(self, chair: int) -> None:
        self.unoccupied_since[chair] = np.nan
        self.finish_requested[chair] = False

    def occupancy(self, r: Readings, now_s: float) -> None:
        lim, log = self.limits, self.log
        empty = ~r.occupied
        if not empty.any() and log.resting(_OCCUPANCY_RULES):
            # The common case: everyone seated now and at the last tick.
            self.unoccupied_since.fill(np.nan)
            self.paused = empty
            return
        newly = empty & np.isnan(self.unoccupied_since)
        self.unoccupied_since[newly] = now_s
        self.unoccupied_since[~empty] = np.nan
        away = np.where(empty, now_s - self.unoccupied_since, 0.0)
        log.edge(OCCUPANCY_PAUSE, empty, now_s, away, lim.unoccupied_pause_s)
        self.paused = empty & ~log.latched
        log.edge(
            OCCUPANCY_STOP,
            empty & (away >= lim.unoccupied_stop_s),
            now_s,
            away,
            lim.unoccupied_stop_s,
        )

    def auto_off(self, now_s: float) -> None:
        running = now_s - self.session_start_s
        if running < self.limits.session_auto_off_s and self.log.resting(_AUTO_OFF_RULES):
            return  # the common case: the session is shorter, and was at the last tick
        over = np.full(self.log.batch_size, running >= self.limits.session_auto_off_s)
        self.log.edge(SESSION_AUTO_OFF, over, now_s, running, self.limits.session_auto_off_s)
        self.finish_requested |= over


_OCCUPANCY_RULES = frozenset({OCCUPANCY_PAUSE, OCCUPANCY_STOP})
_AUTO_OFF_RULES = frozenset({SESSION_AUTO_OFF})
