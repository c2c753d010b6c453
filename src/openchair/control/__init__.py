"""The control runtime: clocks, the session state machine and the 100 Hz loop."""

from openchair.control.clock import Clock, RealClock, SimulatedClock
from openchair.control.loop import TICK_S, run_session
from openchair.control.record import ChairRecord, Outcome, SessionRecord
from openchair.control.session import LiveCommand, Session, State, SupervisedDriver

__all__ = [
    "TICK_S",
    "ChairRecord",
    "Clock",
    "LiveCommand",
    "Outcome",
    "RealClock",
    "Session",
    "SessionRecord",
    "SimulatedClock",
    "State",
    "SupervisedDriver",
    "run_session",
]
