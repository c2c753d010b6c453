"""A reading that is not a finite number (NaN, ±inf) latches its chair in the safe state.

A serial board or a broken encoder can send one. The supervisor must not raise: the chair with the
bad value is latched by ``reading_not_finite`` in the tick it arrives, the frame its driver gets
is the safe state, and the other chairs of the batch get exactly the frames they would have got.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control import Session, State
from openchair.control.clock import SimulatedClock
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.twin import TwinChair, TwinPhysics
from openchair.programs import ProgramLibrary
from openchair.programs.model import Program, Step
from openchair.safety import supervisor as sv
from openchair.safety.readings import HELD_FIELDS, OTHER_FIELDS
from openchair.service import ServiceOptions, build_service
from openchair.service.records import ListRecorder

N = 3
TICKS = 300
LAST_AT = 150
"""From tick 100 on the rollers press 30-40 mm deep; 150 ticks after the last fault are 1.5 s,
enough to retract 45 mm at the depth motor's 30 mm/s."""
BODIES = BodyBatch.from_params([BodyParams.from_percentile(50, "male", seed=i) for i in range(N)])
PROGRAM = ProgramLibrary(user_dir=None).get("quick")
FIELDS = (*HELD_FIELDS, *OTHER_FIELDS)
BAD = (np.nan, np.inf, -np.inf)


class Corrupting:
    """The twin, with one value of one reading replaced by ``value`` at read number ``at``
    (counted from ``arm()``); every frame written is kept."""

    def __init__(
        self, inner: TwinChair, field: str = "", chair: int = 0, column: int = 0, at: int = -1
    ) -> None:
        self.inner = inner
        self.field, self.chair, self.column, self.at = field, chair, column, at
        self.value = np.nan
        self.reads = -1  # not armed: the session's own first look at the chair
        self.frames: list[Commands] = []

    def arm(self) -> None:
        self.reads = 0

    @property
    def description(self) -> ChairDescription:
        return self.inner.description

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def open(self) -> None:
        self.inner.open()

    def read(self, now_s: float) -> Readings:
        r = self.inner.read(now_s)
        if self.reads >= 0:
            self.reads += 1
            if self.reads - 1 == self.at:
                values = np.array(getattr(r, self.field), dtype=np.float64)
                if values.ndim == 1:
                    values[self.chair] = self.value
                else:
                    values[self.chair, self.column % values.shape[1]] = self.value
                r = dataclasses.replace(r)
                setattr(r, self.field, values)
        return r

    def write(self, commands: Commands, now_s: float) -> None:
        self.frames.append(commands.copy())
        self.inner.write(commands, now_s)

    def close(self) -> None:
        self.inner.close()


def run(driver: Corrupting) -> tuple[Session, list[np.ndarray]]:
    """``TICKS`` ticks of the quick program; the twin's true carriage and depth at each."""
    session = Session(PROGRAM, BODIES.true_maps(), driver)
    driver.arm()
    truth = []
    for k in range(TICKS):
        session.tick(k * session.tick_s)
        t = driver.inner.truth
        truth.append(np.stack([t.carriage_y_mm, t.depth_mm]))
    return session, truth


@cache
def reference() -> list[Commands]:
    """The frames of the same ticks with every reading a number."""
    driver = Corrupting(TwinChair(BODIES, seeds=list(range(N))))
    run(driver)
    return driver.frames


def frame_of(frame: Commands, chair: int) -> dict[str, np.ndarray]:
    return {f.name: getattr(frame, f.name)[chair] for f in dataclasses.fields(frame)}


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def is_safe(frame: Commands, chair: int) -> bool:
    return bool(
        frame.depth_target_mm[chair] == 0
        and frame.carriage_speed_limit_mm_s[chair] == 0
        and frame.knead_speed_cpm[chair] == 0
        and frame.tap_rate_hz[chair] == 0
        and np.all(frame.air_pressure_target_kpa[chair] == 0)
        and np.all(frame.heater_target_c[chair] == 0)
        and frame.foot_roller_level[chair] == 0
    )


@settings(max_examples=40, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    chair=st.integers(0, N - 1),
    column=st.integers(0, 10),
    at=st.integers(0, LAST_AT),
    value=st.sampled_from(BAD),
)
def test_a_reading_that_is_not_a_number_latches_only_its_chair_in_the_safe_state(
    field: str, chair: int, column: int, at: int, value: float
) -> None:
    driver = Corrupting(TwinChair(BODIES, seeds=list(range(N))), field, chair, column, at)
    driver.value = value
    session, truth = run(driver)  # no exception out of the supervisor
    ref = reference()
    sup = session.driver.supervisor
    assert sup.latched_rule == [sv.READING_NOT_FINITE if i == chair else None for i in range(N)]
    [event] = sup.events
    assert (event.chair, event.rule) == (chair, sv.READING_NOT_FINITE)
    assert event.time_s == pytest.approx(at * session.tick_s)  # within the tick it arrived
    assert session.state[chair] == State.FAULT
    assert session.reason[chair] == sv.READING_NOT_FINITE
    for k, frame in enumerate(driver.frames):
        frame.validate(driver.description)  # every frame a valid one for the chair
        for i in range(N):
            if i == chair and k >= at:
                assert is_safe(frame, i), (k, i)
            else:  # the other chairs, and this one before: exactly the frames without the fault
                assert same(frame_of(frame, i), frame_of(ref[k], i)), (k, i)
    # On the twin's truth: from the latch on, the carriage holds still, and the rollers go no
    # deeper than one tick at full speed and the depth motor's braking distance, then retract.
    carriage, depth = np.array([t[:, chair] for t in truth[at:]]).T
    v, accel = driver.description.depth_speed_max_mm_s, TwinPhysics().depth_accel_mm_s2
    assert np.ptp(carriage) < 1.0
    assert depth.max() <= depth[0] + v * session.tick_s + v**2 / (2 * accel) + 1e-9
    assert depth[-1] < 1.0


def test_a_readings_time_that_is_not_a_number_latches_every_chair() -> None:
    """The readings' time is the whole batch's: no chair's readings can be judged without it."""
    driver = Corrupting(TwinChair(BODIES, seeds=list(range(N))))
    session = Session(PROGRAM, BODIES.true_maps(), driver)
    session.tick(0.0)
    r = dataclasses.replace(driver.read(0.01), time_s=np.nan)
    frame = session.driver.write(Commands.safe(driver.description, N), r, 0.01)
    assert session.driver.supervisor.latched_rule == [sv.READING_NOT_FINITE] * N
    assert all(is_safe(frame, i) for i in range(N))


class NanOnce(Corrupting):
    """One chair whose board sends a carriage position that is not a number once."""

    def __init__(self, inner: TwinChair, at: int) -> None:
        super().__init__(inner, "carriage_y_mm", 0, 0, at)
        self.arm()


def test_the_service_stops_the_session_with_a_reason_and_stays_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "female")]), seeds=[0])
    driver = NanOnce(twin, at=40)
    service = build_service(
        ServiceOptions(store=False), driver=driver, clock=SimulatedClock(), recorder=ListRecorder()
    )
    program = Program(
        id="short",
        name="Short",
        description="one knead step on the lumbar",
        minutes=20 / 60,
        step=[Step(seconds=20, technique="knead", zone="lumbar")],
    )

    async def scenario() -> None:
        async with service:
            assert (await service.start(program, 3, maps=twin.bodies.true_maps())).accepted
            result = await asyncio.wait_for(service.wait_until_idle(), 10.0)
            assert result is not None and result.record is not None
            chair = result.record.chairs[0]
            assert (chair.outcome.value, chair.reason) == ("fault", sv.READING_NOT_FINITE)
            # The service is up and says why the chair will not start until reset.
            again = await service.start(program, 3, maps=twin.bodies.true_maps())
            assert not again.accepted and sv.READING_NOT_FINITE in again.reason
            assert (await service.reset()).accepted
            assert (await service.start(program, 3, maps=twin.bodies.true_maps())).accepted
            assert (await service.stop()).accepted
            await asyncio.wait_for(service.wait_until_idle(), 10.0)

    with caplog.at_level(logging.ERROR):
        asyncio.run(scenario())
    assert service.loop.error is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing raised
    assert all(np.isfinite(f.carriage_y_target_mm).all() for f in driver.frames)


def test_every_number_field_of_the_readings_is_screened() -> None:
    """A field added to ``Readings`` later is screened too, or this fails."""
    r = Corrupting(TwinChair(BODIES, seeds=list(range(N)))).read(0.0)
    numbers = {
        f.name
        for f in dataclasses.fields(r)
        if isinstance(getattr(r, f.name), np.ndarray) and getattr(r, f.name).dtype.kind == "f"
    }
    assert numbers == set(FIELDS)
