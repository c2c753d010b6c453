"""A simulated chair runs as fast as it can: the loop builds no state frame nobody reads and
writes storage no more than once a wall second, while subscribers still get every frame and
``snapshot()`` still tells the truth."""

from __future__ import annotations

import asyncio
import itertools
import time

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.hardware.twin import TwinChair
from openchair.programs.model import Program, Step
from openchair.service import ChairService, ServiceOptions, StateFrame, build_service
from openchair.service.records import ListRecorder, SessionClosed, SessionProgress

SECONDS = 6.0
PROGRAM = Program(
    id="short",
    name="Short",
    description="one knead step on the lumbar",
    minutes=SECONDS / 60.0,
    step=[Step(seconds=SECONDS, technique="knead", zone="lumbar")],
)


def make() -> tuple[ChairService, TwinChair, ListRecorder, list[StateFrame]]:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]), seeds=[0])
    recorder = ListRecorder()
    service = build_service(
        ServiceOptions(speed=None, store=False),
        driver=twin,
        clock=SimulatedClock(),
        recorder=recorder,
    )
    published: list[StateFrame] = []
    hub = service.hub
    publish = hub.publish

    def spy(frame: StateFrame) -> None:
        published.append(frame)
        publish(frame)

    hub.publish = spy  # type: ignore[method-assign]
    return service, twin, recorder, published


def test_nobody_listening_means_no_frame_per_five_ticks_but_a_true_snapshot() -> None:
    service, twin, recorder, published = make()

    async def scenario() -> float:
        async with service:
            t0 = time.monotonic()
            assert (await service.start(PROGRAM, 3, maps=twin.bodies.true_maps())).accepted
            result = await service.wait_until_idle()
            wall = time.monotonic() - t0
            assert result is not None and result.ok
            frame = service.snapshot()  # the frame showing the end came before the answer
            assert frame is not None and frame.state == "done" and frame.activity == "idle"
            return wall

    wall = asyncio.run(scenario())
    ticks = service.loop.ticks
    assert ticks >= SECONDS / 0.01
    # At most one periodic frame per 50 ms of wall time, plus the start's and the end's.
    assert len(published) <= wall / 0.05 + 4 < ticks / 5
    # Storage: the session was opened and closed; progress at most once a wall second.
    progress = [n for n in recorder.notes if isinstance(n, SessionProgress)]
    assert len(progress) <= wall + 1
    closed = [n for n in recorder.notes if isinstance(n, SessionClosed)]
    assert len(closed) == 1 and closed[0].chair.outcome.value == "completed"


def test_a_subscriber_still_gets_a_frame_every_five_ticks_of_chair_time() -> None:
    service, twin, _recorder, published = make()

    async def scenario() -> list[StateFrame]:
        seen: list[StateFrame] = []
        async with service:
            sub = service.subscribe(maxlen=10_000)
            assert (await service.start(PROGRAM, 3, maps=twin.bodies.true_maps())).accepted
            await service.wait_until_idle()
            await asyncio.sleep(0.05)  # the last drain onto this loop
            while sub.pending():
                seen.append(await sub.next())
            sub.close()
        return seen

    seen = asyncio.run(scenario())
    ticks = service.loop.ticks
    assert len(published) >= ticks // 5
    running = [f for f in seen if f.activity == "session"]
    times = [f.chair_time_s for f in running]
    assert times == sorted(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps and max(gaps) <= 0.05 + 1e-9  # every 5 ticks at least, none skipped
