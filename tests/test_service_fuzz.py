"""Whatever clients send, the loop keeps running and every frame stays within the chair."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.hardware.recording import RecordingDriver
from openchair.hardware.twin import TwinChair
from openchair.safety.limits import DEFAULT_LIMITS
from openchair.service import Answer, ChairService, ServiceOptions, build_service

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["lumbar", "T7..L3", "quick", "relax", "zero-gravity", "neck", "manual"]),
)
COMMANDS = [
    "start", "pause", "resume", "stop", "reset", "intensity", "intensity_value", "focus",
    "heat", "shoulder_nudge", "recline", "manual", "scan", "select_person",
]  # fmt: skip


@pytest.fixture(scope="module")
def chair() -> Iterator[tuple[ChairService, RecordingDriver]]:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    spy = RecordingDriver(twin)
    service = build_service(
        ServiceOptions(speed=200.0, store=False), driver=spy, clock=SimulatedClock(pace=200.0)
    )
    service.loop.hold_time_when_idle = False
    service.open()
    yield service, spy
    service.close()


async def send(service: ChairService, name: str, value: Any, maps: Any) -> Answer:
    if name == "start":
        return await service.start(value, maps=maps)
    if name == "intensity":
        return await service.intensity(value)
    if name == "intensity_value":
        return await service.intensity(value=value)
    if name in ("focus", "heat", "shoulder_nudge", "recline", "select_person"):
        return await getattr(service, name)(value)  # type: ignore[no-any-return]
    if name == "manual":
        return await service.manual(zone=value)
    return await getattr(service, name)()  # type: ignore[no-any-return]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(COMMANDS), values), min_size=1, max_size=6))
def test_any_command_with_any_value_gets_an_answer_and_never_breaks_the_loop(
    chair: tuple[ChairService, RecordingDriver], commands: list[tuple[str, Any]]
) -> None:
    service, spy = chair
    maps = spy.inner.bodies.true_maps()  # type: ignore[attr-defined]

    async def scenario() -> list[Answer]:
        return list(
            await asyncio.gather(*(send(service, name, value, maps) for name, value in commands))
        )

    first = len(spy.frames)
    answers = asyncio.run(scenario())
    assert all(isinstance(a, Answer) and (a.accepted or a.reason) for a in answers)
    assert service.loop.running and service.loop.error is None
    for frame in spy.frames[first:]:
        frame.validate(spy.description)
        assert frame.depth_target_mm.max() <= DEFAULT_LIMITS.roller_depth_hard_max_mm
        assert frame.heater_target_c.max() <= DEFAULT_LIMITS.heater_target_max_c
    for (name, _), answer in zip(commands, answers, strict=True):
        if name == "stop":
            assert answer.accepted
