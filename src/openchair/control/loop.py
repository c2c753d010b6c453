"""The control loop: 100 Hz, one code path for real time and simulation.

Each tick: wait until it is due (the clock decides whether that takes real time), then let the
session read, decide and write through the supervisor. Ctrl-C stops the session safely: the next
frame is the safe state, and the record is still returned.
"""

from __future__ import annotations

from collections.abc import Callable

from openchair.control.clock import Clock
from openchair.control.record import SessionRecord
from openchair.control.session import LiveCommand, Session

TICK_S = 0.01

OnTick = Callable[[Session, float], None]


def run_session(
    session: Session,
    clock: Clock,
    *,
    on_tick: OnTick | None = None,
    max_ticks: int | None = None,
) -> SessionRecord:
    """Run until every chair is done (or ``max_ticks``); return the session record."""
    k = 0
    t = session.start_s
    try:
        while max_ticks is None or k < max_ticks:
            t = session.start_s + k * session.tick_s
            clock.sleep_until(t)
            late = clock.late_by_s(t)
            alive = session.tick(t, late)
            if on_tick is not None:
                on_tick(session, t)
            k += 1
            if not alive:
                break
    except KeyboardInterrupt:
        session.command(LiveCommand("stop"))
        session.tick(t + session.tick_s)
    return session.record()
