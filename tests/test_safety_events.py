"""The supervisor's event log is bounded (a service runs for months); its readers lose nothing."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.hardware.twin import TwinChair
from openchair.safety import events as ev
from openchair.safety.events import EventList, EventLog, SafetyEvent
from openchair.safety.limits import EVENT_HOLDOFF_S
from openchair.service import ServiceOptions, build_service
from openchair.service.loop import MAX_REQUESTS_PER_TICK
from openchair.service.records import EventsHappened, ListRecorder

RULES = ("roller_force", "roller_depth", "air_pressure")


def event(k: int, rule: str = "roller_force") -> SafetyEvent:
    return SafetyEvent(float(k), 0, rule, float(k), 1.0, "clamp")


@settings(max_examples=100, deadline=None)
@given(
    keep=st.integers(1, 40),
    bursts=st.lists(st.lists(st.sampled_from(RULES), max_size=40), max_size=30),
)
def test_a_reader_following_by_position_sees_every_event_once_and_memory_stays_bounded(
    keep: int, bursts: list[list[str]]
) -> None:
    """As the service loop and a session read it: ``events[seen:]``, then ``seen = len(...)``."""
    log = EventList(keep)
    seen, k = 0, 0
    got: list[float] = []
    for burst in bursts:
        burst = burst[:keep]  # a reader that reads at least every ``keep`` events
        for rule in burst:
            log.append(event(k, rule))
            k += 1
            assert log.kept <= keep + max(1, keep // 8)
        got.extend(e.time_s for e in log[seen:])
        seen = len(log)
    assert got == [float(i) for i in range(k)]
    assert len(log) == k and sum(log.counts.values()) == k
    flat = [r for b in bursts for r in b[:keep]]
    assert log.counts == {r: flat.count(r) for r in set(flat)}
    # What is kept is the latest, in order, and an index names an event by its number.
    kept = list(log)
    assert [e.time_s for e in kept] == [float(i) for i in range(k - len(kept), k)]
    if k:
        assert log[-1].time_s == k - 1 and log[k - 1] is log[-1]
        assert log[len(log) - len(kept)] is kept[0]


def test_a_dropped_event_is_named_as_dropped_not_another() -> None:
    log = EventList(4)
    for k in range(20):
        log.append(event(k))
    assert len(log) == 20 and log.dropped >= 15
    with pytest.raises(IndexError, match="dropped"):
        _ = log[0]
    with pytest.raises(IndexError, match="only 20 events"):
        _ = log[20]
    assert [e.time_s for e in log[0:]] == [e.time_s for e in log]  # what is left
    assert [e.time_s for e in log[10::-1]] == []  # all of those are gone
    assert [e.time_s for e in log[19:15:-2]] == [19.0, 17.0]


def test_the_log_of_a_supervisor_is_bounded_per_chair_of_its_batch() -> None:
    log = EventLog(3, keep_per_chair=5)
    t = 0.0
    for _ in range(200):  # a rule that starts and stops over and over, on every chair
        t += EVENT_HOLDOFF_S + 0.01
        log.edge("roller_force", np.ones(3, dtype=bool), t, 10.0, 5.0)
        t += EVENT_HOLDOFF_S + 0.01
        log.edge("roller_force", np.zeros(3, dtype=bool), t, 10.0, 5.0)
    assert len(log.events) == 600 and log.events.counts["roller_force"] == 600
    assert log.events.kept <= 15 + 15 // 8


def test_a_long_running_service_reports_every_event_with_a_bounded_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stop and reset, over and over: each stop is an event; the loop hands every one on to the
    history and its clients while the supervisor keeps only the last few. The loop reads the
    log every tick, and a tick handles at most MAX_REQUESTS_PER_TICK commands: a log keeping
    more than that loses nothing (the default keeps 10,000)."""
    keep = MAX_REQUESTS_PER_TICK + 8
    monkeypatch.setattr(ev, "EVENTS_KEPT_PER_CHAIR", keep)
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "female")]))
    recorder = ListRecorder()
    service = build_service(
        ServiceOptions(speed=None, store=False),
        driver=twin,
        clock=SimulatedClock(),
        recorder=recorder,
    )
    stops = 3 * keep

    async def scenario() -> None:
        async with service:
            for _ in range(stops):
                assert (await service.stop()).accepted
                assert (await service.reset()).accepted
            await asyncio.sleep(0.05)

    asyncio.run(scenario())
    sup = service.loop.supervisor
    log = sup.events
    assert isinstance(log, EventList)
    assert len(log) >= stops and log.counts["remote_stop"] == stops
    assert log.dropped > 0 and log.kept <= keep + keep // 8
    told = [e for n in recorder.notes if isinstance(n, EventsHappened) for e in n.events]
    assert [e.rule for e in told].count("remote_stop") == stops
    assert [e.seq for e in told] == list(range(1, len(told) + 1))
