"""The self-test as an activity of the control loop, in lockstep with its ticks.

The self-test (``openchair.selftest``) is written as a procedure that waits on a ticker between
frames. Here it runs on a helper thread whose ticker hands the turn back to the control thread
at every wait: the control thread ticks, lets the procedure run until its next wait, and only
then goes on. At any moment exactly one of the two threads touches the driver, and the loop's
clock decides when each tick happens. When the procedure deliberately sends nothing (the
watchdog check), the loop's ticks pass without a frame.

Its frames pass the service guard (the hard limits and the stop button), not the supervisor: it
must see the faults the supervisor would latch at once (docs/SELFTEST.md). A stop or fault
latched in the supervisor aborts it at the next tick, and that tick's frame is the safe state,
through the supervisor.
"""

from __future__ import annotations

import threading

import numpy as np

from openchair.control.session import SupervisedDriver
from openchair.hardware.contract import ChairDescription, ChairDriver, Commands, Readings
from openchair.safety.guard import ServiceGuard
from openchair.safety.limits import SafetyLimits
from openchair.selftest import SelfTestReport, Verdict, run_selftest
from openchair.service.activities import ActivityResult

TURN_TIMEOUT_S = 5.0
"""The procedure's work between two waits is milliseconds; longer means it is stuck."""


class SelfTestAbortedError(Exception):
    """Raised inside the self-test's thread when the loop stops it."""


class LockstepTicker:
    """The self-test's ticker: time is the loop's, and every wait is a turn handed back."""

    def __init__(self, t0_s: float) -> None:
        self.now = t0_s
        self.wake_at = t0_s
        self.abort = False
        self.go = threading.Event()
        self.back = threading.Event()

    def now_s(self) -> float:
        return self.now

    def sleep_until(self, t_s: float) -> None:
        self.wake_at = t_s
        self.back.set()
        self.go.wait()
        self.go.clear()
        if self.abort:
            raise SelfTestAbortedError


class _KeepReadings:
    """Passes everything to the driver and keeps the last readings (for the state frames)."""

    def __init__(self, inner: ChairDriver) -> None:
        self.inner = inner
        self.last: Readings | None = None
        self.wrote_at_s = float("nan")

    @property
    def description(self) -> ChairDescription:
        return self.inner.description

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def open(self) -> None:
        return None  # the loop opened the driver; the self-test must not reopen it

    def read(self, now_s: float) -> Readings:
        self.last = self.inner.read(now_s)
        return self.last

    def write(self, commands: Commands, now_s: float) -> None:
        self.inner.write(commands, now_s)
        self.wrote_at_s = now_s

    def close(self) -> None:
        return None  # the loop closes the driver, not the self-test


class SelfTestActivity:
    kind = "selftest"

    def __init__(
        self,
        driver: ChairDriver,
        supervised: SupervisedDriver,
        limits: SafetyLimits,
        start_s: float,
        person: str | None,
    ) -> None:
        self.start_s = start_s
        self.person = person
        self.uid: str | None = None
        self.supervised = supervised
        self._driver = _KeepReadings(driver)
        self._guard = ServiceGuard(self._driver, limits)
        self._limits = limits
        self.ticker = LockstepTicker(start_s)
        self._thread: threading.Thread | None = None
        self.report: SelfTestReport | None = None
        self.error: BaseException | None = None
        self.stopped_by: str | None = None
        self.part = "starting"
        self._finished = threading.Event()

    @property
    def readings(self) -> Readings | None:
        return self._driver.last

    def state_name(self) -> str:
        return "selftest"

    def _work(self) -> None:
        try:
            self.report = run_selftest(
                self._guard, self.ticker, limits=self._limits, progress=self._progress
            )
        except SelfTestAbortedError:
            pass
        except Exception as err:  # reported as the activity's result, never out of the loop
            self.error = err
        finally:
            self._finished.set()
            self.ticker.back.set()

    def _progress(self, part: str) -> None:
        self.part = part

    def _turn(self) -> None:
        """Let the procedure run until its next wait (or its end); the loop waits."""
        tk = self.ticker
        tk.back.clear()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="openchair-selftest")
            self._thread.start()
        else:
            tk.go.set()
        if not tk.back.wait(TURN_TIMEOUT_S):
            self.error = TimeoutError("the self-test stopped answering")
            tk.abort = True

    def tick(self, t: float, late_s: float) -> bool:
        tk = self.ticker
        tk.now = t
        sup = self.supervised.supervisor
        if bool(np.any(sup.latched)) and not self._finished.is_set():
            self.stopped_by = next((r for r in sup.latched_rule if r is not None), "stopped")
            tk.abort = True
            self._turn()
        if self.stopped_by is not None or self.error is not None:
            self._safe_frame(t)
            return False
        if self._thread is None or tk.wake_at <= t + 1e-9:
            self._turn()
            if self._finished.is_set() and self._driver.wrote_at_s != t:
                self._safe_frame(t)  # it ended without a frame for this tick: feed the board
        return not self._finished.is_set()

    def _safe_frame(self, t: float) -> None:
        d = self.supervised.description
        r = self.supervised.read(t)
        frame = Commands.safe(
            d,
            1,
            np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
            np.clip(r.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
            np.clip(r.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
        )
        self.supervised.write(frame, r, t)
        self._driver.last = r

    def result(self) -> ActivityResult:
        if self.stopped_by is not None:
            return ActivityResult("selftest", False, f"self-test stopped: {self.stopped_by}")
        if self.error is not None or self.report is None:
            return ActivityResult("selftest", False, f"self-test failed to run: {self.error}")
        report = self.report
        untested = ", ".join(p.part for p in report.parts if p.verdict is Verdict.SKIP)
        message = (
            "every part tested passed" + (f"; not tested: {untested}" if untested else "")
            if report.passed
            else "failed: " + ", ".join(report.failed_parts())
        )
        return ActivityResult(
            "selftest", report.passed, f"self-test: {message}", selftest=report,
            start_s=self.start_s,
        )  # fmt: skip
