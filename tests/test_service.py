"""The chair service: commands from several clients, the state stream, the one loop."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.hardware.contract import Readings
from openchair.hardware.recording import RecordingDriver
from openchair.hardware.twin import TwinChair
from openchair.programs.manual import ManualSettings
from openchair.programs.model import Program, Step
from openchair.service import ChairService, ServiceOptions, StateFrame, Subscription, build_service
from openchair.service.records import ListRecorder, SessionClosed, SessionOpened

BODY = BodyParams.from_percentile(50, "female")


def short_program(seconds: float = 20.0) -> Program:
    """A program short enough to run to its end many times in a test."""
    return Program(
        id="short",
        name="Short",
        description="one knead step on the lumbar",
        minutes=seconds / 60.0,
        step=[Step(seconds=seconds, technique="knead", zone="lumbar")],
    )


def make(
    *, pace: float | None = None, hold: bool | None = None
) -> tuple[ChairService, TwinChair, RecordingDriver, ListRecorder]:
    twin = TwinChair(BodyBatch.from_params([BODY]), seeds=[0])
    spy = RecordingDriver(twin)
    recorder = ListRecorder()
    service = build_service(
        ServiceOptions(speed=pace, store=False),
        driver=spy,
        clock=SimulatedClock(pace=pace),
        recorder=recorder,
    )
    if hold is not None:
        service.loop.hold_time_when_idle = hold
    return service, twin, spy, recorder


async def until(sub: Subscription, ok: Callable[[StateFrame], bool]) -> StateFrame:
    """The first frame for which ``ok`` holds (within 5 s of wall time)."""

    async def wait() -> StateFrame:
        while True:
            frame = await sub.next()
            if ok(frame):
                return frame

    return await asyncio.wait_for(wait(), 5.0)


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


def test_two_clients_sending_conflicting_commands_get_one_answer_each() -> None:
    service, twin, spy, recorder = make()

    async def scenario() -> None:
        async with service:
            maps = twin.bodies.true_maps()
            a, b = await asyncio.gather(
                service.start(short_program(), 3, maps=maps),
                service.start("quick", 3, maps=maps),
            )
            assert [a.accepted, b.accepted].count(True) == 1
            refused = b if a.accepted else a
            assert "is running; stop it first" in refused.reason
            # The other client tries to seat someone else and scan meanwhile: refused.
            who = await service.select_person(None)
            assert not who.accepted and "running" in who.reason
            assert not (await service.scan()).accepted
            # One client pauses while the other stops: the stop wins and holds.
            _pause, stop = await asyncio.gather(service.pause(), service.stop())
            assert stop.accepted
            result = await service.wait_until_idle()
            assert result is not None and result.record is not None
            assert result.record.chairs[0].outcome.value == "stopped"
            assert result.record.chairs[0].reason == "remote_stop"
            late = await service.intensity(+1)
            assert not late.accepted and late.reason == "no session is running"

    run(scenario)
    # The stop reached the chair on the tick it arrived: that tick's frame is the safe state.
    [stop_event] = [e for e in service.loop.supervisor.events if e.rule == "remote_stop"]
    [frame] = [f for t, f in spy.writes if t == stop_event.time_s]
    assert frame.depth_target_mm[0] == 0 and frame.knead_speed_cpm[0] == 0
    assert frame.heater_target_c.max() == 0 and frame.air_pressure_target_kpa.max() == 0
    assert spy.frames[-1].depth_target_mm[0] == 0
    kinds = [type(n) for n in recorder.notes]
    assert kinds.count(SessionOpened) == 1 and kinds.count(SessionClosed) == 1


def test_bad_values_are_refused_with_reasons_and_the_session_runs_on() -> None:
    service, twin, _spy, _ = make()

    async def scenario() -> None:
        async with service:
            assert (await service.start(short_program(), 3, maps=twin.bodies.true_maps())).accepted
            answers = {
                "focus": await service.focus("elbow"),
                "nan": await service.shoulder_nudge(math.nan),
                "far": await service.shoulder_nudge(400),
                "text": await service.shoulder_nudge("up"),  # type: ignore[arg-type]
                "value": await service.intensity(value=9),
                "delta": await service.intensity(+7),
                "both": await service.intensity(+1, value=2),
                "recline": await service.recline("upside-down"),
                "heat": await service.heat("hot"),  # type: ignore[arg-type]
                "program": await service.start("no-such-program"),
                "manual": await service.manual(speed=3),
            }
            assert not any(a.accepted for a in answers.values())
            assert "unknown zone 'elbow'" in answers["focus"].reason
            assert "lumbar" in answers["focus"].reason  # it says what to choose
            assert "not a finite number" in answers["nan"].reason
            assert "outside ±50 mm" in answers["far"].reason
            assert "not a number" in answers["text"].reason
            assert "intensity 9 is outside 1..5" in answers["value"].reason
            assert "outside ±1..±4" in answers["delta"].reason
            assert "unknown recline preset" in answers["recline"].reason
            assert "unknown program 'no-such-program'" in answers["program"].reason
            assert "no manual session" in answers["manual"].reason
            # Good values still work, and the session is still running after all that.
            sub = service.subscribe()
            assert (await service.focus("mid-back")).accepted
            assert (await service.intensity(value=4)).accepted
            assert (await service.shoulder_nudge(10)).accepted
            frame = await until(sub, lambda f: f.intensity == 4 and f.focus == "mid-back")
            assert frame.state == "running"
            result = await service.wait_until_idle()
            assert result is not None and result.record is not None
            assert result.record.chairs[0].outcome.value == "completed"

    run(scenario)
    assert service.loop.error is None


def test_manual_mode_changes_reach_the_running_session() -> None:
    service, twin, spy, _ = make()

    async def scenario() -> None:
        async with service:
            settings = ManualSettings(minutes=5, zone="lumbar")
            assert (await service.start(settings, 2, maps=twin.bodies.true_maps())).accepted
            bad = await service.manual(speed=9)
            assert not bad.accepted and "speed" in bad.reason
            sub = service.subscribe()
            assert (await service.manual(zone="upper-back", heat=True)).accepted
            await until(sub, lambda f: any(on for _, _, on in f.heaters))
            await service.stop()
            await service.wait_until_idle()

    run(scenario)
    assert max(f.heater_target_c[0, 0] for f in spy.frames) > 0  # heat came on after the change


def test_a_stop_during_the_scan_still_holds_when_a_session_is_asked_for() -> None:
    service, twin, _spy, _ = make()

    async def scenario() -> None:
        async with service:
            assert (await service.scan()).accepted
            assert (await service.stop()).accepted
            scanned = await service.wait_until_idle()
            assert scanned is not None and not scanned.ok
            assert "remote_stop" in scanned.message
            refused = await service.start(short_program(), maps=twin.bodies.true_maps())
            assert not refused.accepted
            assert refused.reason == "a stop or fault is latched: remote_stop; reset it first"
            frame = service.snapshot()
            assert frame is not None and frame.latched == "remote_stop"
            assert (await service.reset()).accepted
            # A scan that was stopped leaves no body map for the next session.
            assert "scan first" in (await service.start(short_program())).reason
            assert (await service.start(short_program(), maps=twin.bodies.true_maps())).accepted
            await service.stop()
            await service.wait_until_idle()

    run(scenario)


def test_idle_frames_keep_the_watchdog_fed_while_nobody_chooses() -> None:
    """Ten seconds of chair time between the scan and the session: no board_watchdog."""
    service, twin, spy, _ = make(pace=200.0, hold=False)

    async def scenario() -> None:
        async with service:
            assert (await service.scan()).accepted
            scanned = await service.wait_until_idle()
            assert scanned is not None and scanned.ok
            t_end = service.loop.t_s
            while service.loop.t_s < t_end + 10.0:  # the person takes their time
                await asyncio.sleep(0.01)
            assert (await service.start(short_program(5.0))).accepted
            result = await service.wait_until_idle()
            assert result is not None and result.record is not None
            assert result.record.chairs[0].outcome.value == "completed"
            assert not [e for e in result.record.events if e.rule == "board_watchdog"]

    run(scenario)
    assert not twin.truth.in_safe_state.any()
    gaps = np.diff([t for t, _ in spy.writes])
    assert gaps.max() <= 0.0101  # a frame every tick, idle or not


def test_a_stalled_subscriber_slows_neither_the_loop_nor_the_others() -> None:
    service, twin, _spy, _ = make(pace=5.0)

    async def scenario() -> None:
        async with service:
            stalled = service.subscribe(maxlen=8)
            follower = service.subscribe()
            assert (await service.start(short_program(), maps=twin.bodies.true_maps())).accepted
            seen: list[StateFrame] = []
            wall0, chair0 = time.monotonic(), service.loop.t_s
            while time.monotonic() - wall0 < 1.0:
                seen.append(await follower.next())
            wall = time.monotonic() - wall0
            chair = service.loop.t_s - chair0
            # The loop never waited for the subscriber that never reads: chair time went on
            # (at up to 5× real time; less only if the machine is short of CPU), and that
            # subscriber holds its 8 newest frames, having lost the older ones.
            assert chair >= min(1.0, 0.8 * 5.0 * wall)
            assert stalled.pending() == 8 and stalled.dropped >= len(seen) - 8
            # The follower got every frame in order, at 20 frames per chair second.
            seqs = [f.seq for f in seen]
            assert seqs == sorted(seqs) and len(seqs) >= 10 * chair
            assert {f.state for f in seen} <= {"idle", "running"}
            json.dumps(seen[-1].to_dict())  # JSON-ready
            await service.stop()
            await service.wait_until_idle()

    run(scenario)


def test_frames_carry_safety_events_as_they_happen() -> None:
    service, twin, _spy, _ = make()

    async def scenario() -> None:
        async with service:
            sub = service.subscribe(maxlen=100_000)
            assert (await service.start(short_program(), maps=twin.bodies.true_maps())).accepted
            twin.press_stop_button()
            await service.wait_until_idle()
            await asyncio.sleep(0.05)  # the last frames' hand-off to this asyncio loop
            frames = []
            while sub.pending():
                frames.append(await sub.next())
            events = {e.seq: e for f in frames for e in f.recent_events}
            assert [e.rule for e in events.values()] == ["stop_button"]
            last = frames[-1].to_dict()
            assert last["state"] == "stopped" and last["latched"] == "stop_button"
            assert last["recent_events"][0]["activity"] == "session"  # type: ignore[index]

    run(scenario)


def test_closing_the_service_mid_session_ends_it_stopped_and_leaves_the_chair_safe() -> None:
    service, twin, spy, recorder = make(pace=50.0)

    async def scenario() -> None:
        service.open()
        assert (await service.start(short_program(), maps=twin.bodies.true_maps())).accepted
        await asyncio.sleep(0.2)
        await asyncio.to_thread(service.close)

    run(scenario)
    closed = [n for n in recorder.notes if isinstance(n, SessionClosed)]
    assert closed and closed[0].chair.outcome.value == "stopped"
    last = spy.frames[-1]
    assert last.depth_target_mm[0] == 0 and last.knead_speed_cpm[0] == 0
    assert last.air_pressure_target_kpa.max() == 0 and last.heater_target_c.max() == 0
    assert not service.loop.running


def test_nothing_starts_when_nobody_is_seated() -> None:
    service, twin, _spy, _ = make()
    twin.inject("occupant_leaves")

    async def scenario() -> None:
        async with service:
            assert (await service.scan()).reason == "nobody is seated"
            answer = await service.start(short_program(), maps=twin.bodies.true_maps())
            assert answer.reason == "nobody is seated"

    run(scenario)


@pytest.mark.parametrize("name", ["nobody-known", ""])
def test_unknown_people_are_refused(name: str) -> None:
    service, _twin, _spy, _ = make()

    async def scenario() -> None:
        async with service:
            answer = await service.select_person(name)
            assert not answer.accepted and "unknown person" in answer.reason

    run(scenario)


def test_the_self_test_runs_as_an_activity_of_the_loop_and_finds_a_fault() -> None:
    service, twin, spy, _ = make()
    twin.inject("pump_dead")

    async def scenario() -> None:
        async with service:
            assert (await service.selftest()).accepted
            busy = await service.start(short_program(), maps=twin.bodies.true_maps())
            assert busy.reason == "a selftest is running; stop it first"
            result = await service.wait_until_idle()
            assert result is not None and result.selftest is not None
            failed = result.selftest.failed_parts()
            assert "air pump" in failed and "watchdog" not in failed
            # The chair goes on as before: idle frames, then a session.
            answer = await service.start(short_program(5.0), maps=twin.bodies.true_maps())
            assert answer.accepted
            assert (await service.wait_until_idle()) is not None

    run(scenario)
    writes = [t for t, _ in spy.writes]
    gaps = sorted(np.diff(writes))
    # One silence only: the self-test's watchdog check (0.30 s without a frame).
    assert gaps[-1] == pytest.approx(0.31, abs=0.011) and gaps[-2] <= 0.0101


def test_a_stop_aborts_the_self_test_with_the_safe_state_on_that_tick() -> None:
    service, _twin, spy, _ = make(pace=50.0)

    async def scenario() -> None:
        async with service:
            assert (await service.selftest()).accepted
            await asyncio.sleep(0.1)
            assert (await service.stop()).accepted
            result = await service.wait_until_idle()
            assert result is not None and result.message == "self-test stopped: remote_stop"

    run(scenario)
    [stop_event] = [e for e in service.loop.supervisor.events if e.rule == "remote_stop"]
    [frame] = [f for t, f in spy.writes if t == stop_event.time_s]
    assert frame.depth_target_mm[0] == 0 and frame.air_pressure_target_kpa.max() == 0


def test_subscribers_of_a_closed_asyncio_loop_are_forgotten() -> None:
    service, _twin, _spy, _ = make(pace=100.0, hold=False)

    async def leave_a_subscriber_behind() -> None:
        service.subscribe()  # never closed: its asyncio loop ends with asyncio.run
        # Counted while its loop lives (once the loop is gone, the next frame may forget it
        # before the test looks).
        assert service.hub.subscriber_count() == 1

    service.open()
    try:
        asyncio.run(leave_a_subscriber_behind())
        deadline = time.monotonic() + 5
        while service.hub.subscriber_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert service.hub.subscriber_count() == 0
        assert service.loop.running
    finally:
        service.close()


class FlakyDriver(RecordingDriver):
    """The twin behind a link that fails reads: ``fail_reads`` of them, from the 20th on."""

    def __init__(self, inner: TwinChair, fail_reads: int) -> None:
        super().__init__(inner)
        self.fail_reads = fail_reads
        self.reads = 0
        self.closed = False

    def read(self, now_s: float) -> Readings:
        self.reads += 1
        if self.reads >= 20 and self.fail_reads > 0:
            self.fail_reads -= 1
            raise OSError("serial link: no answer")
        return super().read(now_s)

    def close(self) -> None:
        self.closed = True
        super().close()


@pytest.mark.parametrize("failures", [3, 10_000])
def test_a_failing_link_is_ridden_out_briefly_and_otherwise_closed_safely(failures: int) -> None:
    twin = TwinChair(BodyBatch.from_params([BODY]), seeds=[0])
    flaky = FlakyDriver(twin, failures)
    service = build_service(
        ServiceOptions(speed=100.0, store=False), driver=flaky, clock=SimulatedClock(pace=100.0)
    )
    service.loop.hold_time_when_idle = False
    service.open()
    deadline = time.monotonic() + 10
    while service.loop.ticks < 150 and service.loop.running and time.monotonic() < deadline:
        time.sleep(0.01)
    still_running = service.loop.running
    service.close()
    if failures == 3:
        assert still_running and service.loop.error is None
    else:
        assert not still_running and isinstance(service.loop.error, OSError)
    assert flaky.closed  # either way the driver was closed: the chair's safe state
