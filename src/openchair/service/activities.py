"""Activities of the one control loop: a scan or a session, one at a time.

An activity is ticked by the loop's thread with the loop's clock and writes through the loop's
one supervised driver; it owns no thread, clock or supervisor of its own. Between activities
the loop writes idle frames itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openchair.body.bodymap import BodyMapBatch
from openchair.control.record import SessionRecord
from openchair.control.session import Session, State
from openchair.hardware.contract import Readings
from openchair.scan.run import ScanResult, ScanSweep
from openchair.selftest import SelfTestReport


@dataclass(frozen=True)
class ActivityResult:
    """How an activity ended. ``kind``: scan, session or selftest; ``message`` for a person."""

    kind: str
    ok: bool
    message: str
    session: str | None = None
    record: SessionRecord | None = None
    scan: ScanResult | None = None
    maps: BodyMapBatch | None = None
    selftest: SelfTestReport | None = None
    start_s: float = 0.0
    """The loop's clock when the activity began (a session: the program's start)."""


class SessionActivity:
    kind = "session"

    def __init__(self, session: Session, uid: str, person: str | None) -> None:
        self.session = session
        self.uid = uid
        self.person = person
        self.start_s = session.start_s

    @property
    def readings(self) -> Readings | None:
        return self.session.last_readings

    def tick(self, t: float, late_s: float) -> bool:
        return self.session.tick(t, late_s)

    def state_name(self) -> str:
        s = self.session
        state = State(int(s.state[0]))
        if state is State.RUNNING and s.paused:
            return "paused"
        return state.name.lower()

    def result(self) -> ActivityResult:
        record = self.session.record()
        chair = record.chairs[0]
        return ActivityResult(
            "session",
            chair.outcome.value == "completed",
            f"{record.program_id}: {chair.outcome.value} ({chair.reason})",
            session=self.uid,
            record=record,
            start_s=self.start_s,
        )


class ScanActivity:
    kind = "scan"

    def __init__(self, sweep: ScanSweep, person: str | None, previous: BodyMapBatch) -> None:
        self.sweep = sweep
        self.person = person
        self.previous = previous
        self.start_s = sweep.start_s
        self.uid: str | None = None
        self._readings: Readings | None = None
        self.stopped_by: str | None = None

    @property
    def readings(self) -> Readings | None:
        return self._readings

    def tick(self, t: float, late_s: float) -> bool:
        sup = self.sweep.supervised.supervisor
        sup.note_tick_lateness(late_s)
        alive = self.sweep.tick(t)
        self._readings = self.sweep.last_readings
        if bool(np.any(sup.latched)):
            # A stop or a fault ends the scan: what it felt so far is no body map.
            self.stopped_by = next((r for r in sup.latched_rule if r is not None), "stopped")
            return False
        return alive

    def state_name(self) -> str:
        return "scanning"

    def result(self) -> ActivityResult:
        if self.stopped_by is not None:
            return ActivityResult("scan", False, f"scan stopped: {self.stopped_by}")
        result = self.sweep.result()
        chair = result.chairs[0]
        if chair.body_map is None:
            return ActivityResult("scan", False, f"scan: {chair.message}", scan=result)
        return ActivityResult("scan", True, chair.message, scan=result, maps=result.maps())
