"""Rules about the chair's board and the control loop: stop button, watchdog, a lost driver, a
missed deadline, an impossible encoder jump. Each latches the safe state."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import BoardFault, ChairDescription, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import ENCODER_MARGIN_MM, SafetyLimits
from openchair.safety.rules import (
    BOARD_WATCHDOG,
    CONTROL_DEADLINE,
    DRIVER_LOST,
    ENCODER_JUMP,
    STOP_BUTTON,
)

FloatArray = npt.NDArray[np.float64]


class BoardRules:
    """Owns the last carriage reading and its time (for the encoder rule) and the loop's
    lateness as reported for the tick being filtered."""

    def __init__(self, description: ChairDescription, limits: SafetyLimits, log: EventLog) -> None:
        self.description = description
        self.limits = limits
        self.log = log
        n = log.batch_size
        self.late_s = 0.0
        self._last_y: FloatArray = np.full(n, np.nan)
        self._last_read_s = np.nan

    def check(self, r: Readings, now_s: float) -> None:
        lim, log = self.limits, self.log
        n = log.batch_size
        watchdog = (r.fault_flags & int(BoardFault.WATCHDOG)) != 0
        stale = now_s - r.time_s
        if (
            not (stale > lim.driver_silent_s or self.late_s > lim.control_deadline_miss_s)
            and not r.stop_button.any()
            and not watchdog.any()
            and log.resting(_CHECK_RULES)
        ):
            return  # the common case: none of these rules acts now, nor did at the last tick
        log.edge(STOP_BUTTON, r.stop_button, now_s, 1.0, 0.0)
        log.edge(BOARD_WATCHDOG, watchdog, now_s, 1.0, 0.0)
        log.edge(
            DRIVER_LOST, np.full(n, stale > lim.driver_silent_s), now_s, stale, lim.driver_silent_s
        )
        log.edge(
            CONTROL_DEADLINE,
            np.full(n, self.late_s > lim.control_deadline_miss_s),
            now_s,
            self.late_s,
            lim.control_deadline_miss_s,
        )

    def encoder(self, r: Readings, now_s: float) -> None:
        """A carriage reading that moved further than the motor can is a broken encoder."""
        d = self.description
        dt = now_s - self._last_read_s if np.isfinite(self._last_read_s) else 0.0
        if dt > 0:
            possible = d.carriage_speed_max_mm_s * dt * 3 + ENCODER_MARGIN_MM
            jump = np.abs(r.carriage_y_mm - self._last_y)
            self.log.edge(
                ENCODER_JUMP,
                jump > possible,  # a reading that is not a number is no jump (NaN > x is False)
                now_s,
                lambda: np.nan_to_num(jump),
                possible,
            )
        self._last_y = r.carriage_y_mm.copy()
        self._last_read_s = now_s


_CHECK_RULES = frozenset({STOP_BUTTON, BOARD_WATCHDOG, DRIVER_LOST, CONTROL_DEADLINE})
