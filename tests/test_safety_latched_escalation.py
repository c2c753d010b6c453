"""A chair already stopped still gets its supply cut when an actuator then fails on.

The person presses stop during Heated Back; moments later the back heater's relay welds. The
stop latched the chair first, yet the relay can only be beaten by opening the supply relay: the
supervisor must still do that (the thermal cut-out is the second, independent way, not the only
one). Asserted on the twin's truth: the supply opens, the surface stops warming.
"""

from __future__ import annotations

import pytest

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.session import Session
from openchair.hardware.twin import TwinChair
from openchair.programs import ProgramLibrary
from openchair.safety.rules import HEATER_RELAY_STUCK, REMOTE_STOP


@pytest.mark.parametrize("stop_s", [30.0, 60.0])
def test_a_relay_that_welds_after_a_stop_still_opens_the_supply(stop_s: float) -> None:
    bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male", seed=1)])
    twin = TwinChair(bodies, seeds=[1])
    session = Session(ProgramLibrary(user_dir=None).get("heated-back"), bodies.true_maps(), twin)
    supervisor = session.driver.supervisor
    weld_s = stop_s + 5.0
    at_weld = peak_after = 0.0
    opened_s = None
    for k in range(int((weld_s + 60.0) / session.tick_s)):
        t = k * session.tick_s
        if t == pytest.approx(stop_s):
            supervisor.stop(now_s=t)
        if t == pytest.approx(weld_s):
            twin.inject("heater_relay_stuck_on")
            at_weld = float(twin.peek_truth().heater_temp_c.max())
        session.tick(t)
        truth = twin.peek_truth()
        if t > weld_s:
            peak_after = max(peak_after, float(truth.heater_temp_c.max()))
            if opened_s is None and bool(truth.supply_open[0]):
                opened_s = t
    rules = [e.rule for e in supervisor.events]
    assert rules[0] == REMOTE_STOP, "the stop stays the first reason"
    assert HEATER_RELAY_STUCK in rules
    assert opened_s is not None and opened_s - weld_s < 2.0, opened_s
    # Opened within two seconds: the surface cannot warm by more than a fraction of a degree.
    assert peak_after < at_weld + 0.5, (at_weld, peak_after)
    assert not bool(twin.peek_truth().cutout_open.any()), "the supervisor acted, not the cut-out"
