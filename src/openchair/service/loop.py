"""The control loop of the chair service: one thread, one driver, one supervisor, 100 Hz.

The thread owns the driver and the supervisor for the chair's whole life. Every tick it takes
the commands that arrived (a thread-safe queue), then either ticks the one running activity
(scan or session) or writes an idle frame (the safe state, holding position) through the
supervisor, so the board's watchdog is fed even while nobody is doing anything. It publishes a
:class:`StateFrame` every few ticks through the :class:`FrameHub` and hands notes for storage
to a :class:`Recorder`; neither can block it. Nothing a client sends can raise out of a tick:
values are checked when submitted, and an unexpected error ends the activity in the safe state
instead of ending the loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from openchair.body.bodymap import BodyMapBatch
from openchair.control.clock import Clock, SimulatedClock
from openchair.control.session import LiveCommand, Session, SupervisedDriver
from openchair.hardware.contract import ChairDriver, Commands, Readings
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.safety.supervisor import OCCUPANCY_STOP, SafetySupervisor
from openchair.scan.run import ScanSweep, provisional_map
from openchair.service.activities import ActivityResult, ScanActivity, SessionActivity
from openchair.service.answer import Answer
from openchair.service.frame import EventInfo, StateFrame
from openchair.service.hub import FrameHub
from openchair.service.records import (
    EventsHappened,
    MapScanned,
    NullRecorder,
    Recorder,
    SessionClosed,
    SessionOpened,
    SessionProgress,
)
from openchair.service.requests import (
    AnyRequest,
    LiveRequest,
    PersonRequest,
    ReclineRequest,
    ResetRequest,
    ScanRequest,
    SelfTestRequest,
    StartRequest,
    StopRequest,
    WaitRequest,
)
from openchair.service.selftest_activity import SelfTestActivity

log = logging.getLogger(__name__)

TICK_S = 0.01
PUBLISH_EVERY_TICKS = 5
"""A frame every 5 ticks: 20 Hz at 100 Hz, twice what the remote needs."""
PROGRESS_EVERY_S = 1.0
"""A running session is written to storage at least this often (chair time; on a simulated
clock running faster than real time, at most this often in wall time too)."""
RECENT_EVENTS = 20
MAX_IDLE_ERRORS = 50
"""Consecutive failed idle ticks (half a second) after which the loop gives up and closes."""
MAX_REQUESTS_PER_TICK = 64
"""A flood of commands is spread over ticks instead of making one tick late."""

Activity = ScanActivity | SessionActivity | SelfTestActivity
OnTick = Callable[["ChairLoop", float], None]


def _now() -> datetime:
    return datetime.now(UTC)


class ChairLoop:
    """The control thread. Create, :meth:`start`, :meth:`submit` requests, :meth:`halt`."""

    def __init__(
        self,
        driver: ChairDriver,
        clock: Clock,
        hub: FrameHub,
        *,
        limits: SafetyLimits = DEFAULT_LIMITS,
        recorder: Recorder | None = None,
        tick_s: float = TICK_S,
        publish_every: int = PUBLISH_EVERY_TICKS,
        hold_time_when_idle: bool = False,
        on_tick: OnTick | None = None,
    ) -> None:
        if driver.batch_size != 1:
            raise ValueError("the chair service drives one chair")
        self.driver = driver
        self.clock = clock
        self.hub = hub
        self.limits = limits
        self.recorder: Recorder = recorder or NullRecorder()
        self.tick_s = tick_s
        self.publish_every = publish_every
        self.hold_time_when_idle = hold_time_when_idle
        """Simulated time only: while idle with nothing to do, chair time stands still until
        a command comes (runs repeat exactly whatever the wall clock does)."""
        self.on_tick = on_tick
        self.description = driver.description
        self.maps: BodyMapBatch = provisional_map(1)
        self.has_map = False
        self.map_refused: str | None = None
        """Why the seated person's saved map was refused, until a scan gives them a map."""
        self.person: str | None = None
        self.supervisor = SafetySupervisor(self.description, self.maps, limits)
        self.supervised = SupervisedDriver(driver, self.supervisor)
        self.activity: Activity | None = None
        self.last_result: ActivityResult | None = None
        self.readings: Readings | None = None
        self.last_frame: Commands | None = None
        self.idle_recline: tuple[float, float] | None = None
        self.ticks = 0
        self.t_s = 0.0
        self.t0_s = 0.0
        self._clock_t0_s = 0.0
        self.lateness_s: list[float] | None = None
        """When a list, every tick's lateness is appended (benchmarks)."""
        self._requests: queue.SimpleQueue[AnyRequest] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiters: list[WaitRequest] = []
        self._events_seen = 0
        self._event_seq = 0
        self._recent: deque[EventInfo] = deque(maxlen=RECENT_EVENTS)
        self._frame_seq = 0
        self._last_progress_s = 0.0
        self._message = ""
        self._idle_errors = 0
        self._after = "idle"
        """What the frame says while idle: idle, or how the last session ended."""
        self.error: BaseException | None = None
        self._simulated = isinstance(clock, SimulatedClock)
        """Chair time is not wall time: a frame nobody reads and a progress note are paced by
        the wall clock, not by chair time (a fast simulation would otherwise build thousands a
        second). On a real clock both are as before, by chair time."""
        self._frame_wall_s = 0.0
        self._progress_wall_s = 0.0

    # -- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the driver (errors reach the caller) and start the control thread."""
        self.driver.open()
        # Chair time starts at 0 with the driver (the twin's own clock starts there); the
        # clock may have run for a while already (storage opened after it was made).
        self._clock_t0_s = self.clock.now_s()
        self._thread = threading.Thread(target=self._run, name="openchair-control", daemon=True)
        self._thread.start()

    def halt(self, timeout_s: float = 5.0) -> None:
        """Stop any activity, write the safe state, close the driver, end the thread."""
        self._halt.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, request: AnyRequest) -> None:
        """Any thread: the request is handled at the start of the next tick."""
        self._requests.put(request)
        self._wake.set()

    # -- the thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        k = 0
        clock = self.clock
        # An unpaced simulated clock never waits and is never late: set its time directly
        # instead of two calls per tick (the same effect as its sleep_until).
        instant = clock if isinstance(clock, SimulatedClock) and clock.pace is None else None
        halted = self._halt.is_set
        try:
            while not halted():
                t = self.t0_s + k * self.tick_s
                if self.hold_time_when_idle and self.activity is None:
                    self._wait_for_work()
                    if halted():
                        break
                due = self._clock_t0_s + t
                if instant is not None:
                    if due > instant.t_s:
                        instant.t_s = due
                    late = 0.0
                else:
                    clock.sleep_until(due)
                    late = clock.late_by_s(due)
                if self.lateness_s is not None:
                    self.lateness_s.append(late)
                self._tick(t, late)
                k += 1
        except BaseException as err:  # the thread must end in the safe state, whatever happened
            self.error = err
            log.exception("control loop failed")
        finally:
            self._shutdown(self.t0_s + k * self.tick_s)

    def _wait_for_work(self) -> None:
        while self._requests.empty() and not self._halt.is_set():
            self._wake.wait(0.1)
            self._wake.clear()

    def _tick(self, t: float, late: float) -> None:
        self.t_s = t
        handled = 0
        requests = self._requests
        while handled < MAX_REQUESTS_PER_TICK and not requests.empty():
            # Only this thread takes from the queue: not empty means get_nowait succeeds.
            self._handle_safely(requests.get_nowait(), t)
            handled += 1
        act = self.activity
        publish = handled > 0  # a client sees the effect of its command in the next frame
        if act is None:
            try:
                self._idle_tick(t, late)
                self._idle_errors = 0
            except Exception:
                # A driver that fails to read or write now and then (a noisy link) must not end
                # the service; one that keeps failing does (the loop then closes it safely).
                self._idle_errors += 1
                if self._idle_errors >= MAX_IDLE_ERRORS:
                    raise
                log.exception("idle tick failed (%d in a row)", self._idle_errors)
        else:
            try:
                alive = act.tick(t, late)
                self.readings = act.readings
            except Exception as err:  # a bug must not end the loop: safe state, latched
                log.exception("activity failed")
                self.supervisor.stop(now_s=t)
                self._message = f"internal error, chair stopped: {err}"
                alive = False
            if not alive:
                self._finish(t)
                publish = True
        new_events = self._collect_events(t)
        if self.on_tick is not None:
            try:
                self.on_tick(self, t)
            except Exception:  # a caller's hook (the CLI's view) must not end the loop
                log.exception("on_tick hook failed")
        if publish or new_events or (self.ticks % self.publish_every == 0 and self._frame_due()):
            self.hub.publish(self._frame(t))
        if self._waiters and self.activity is None:
            for w in self._waiters:
                w.done.set_result(self.last_result)
            self._waiters.clear()
        act = self.activity
        if (
            isinstance(act, SessionActivity)
            and t - self._last_progress_s >= PROGRESS_EVERY_S
            and self._progress_due()
        ):
            self._last_progress_s = t
            chair = act.session.record().chairs[0]
            self.recorder.note(SessionProgress(act.uid, chair, _now()))
        self.ticks += 1

    def _frame_due(self) -> bool:
        """A periodic frame: always for subscribers and on a real clock; on a simulated clock
        with nobody subscribed (``openchair run``), only the latest for ``snapshot()``, kept
        fresh at the frame rate in wall time."""
        if not self._simulated or self.hub.listening():
            return True
        now = time.monotonic()
        if now - self._frame_wall_s < self.publish_every * self.tick_s:
            return False
        self._frame_wall_s = now
        return True

    def _progress_due(self) -> bool:
        """Storage hears of a running session once a chair second; on a simulated clock at
        most once a wall second as well (the writer's work competes with the simulation)."""
        if not self._simulated:
            return True
        now = time.monotonic()
        if now - self._progress_wall_s < PROGRESS_EVERY_S:
            return False
        self._progress_wall_s = now
        return True

    def _idle_tick(self, t: float, late: float) -> None:
        sup, d = self.supervisor, self.description
        sup.note_tick_lateness(late)
        # Idle is no session: the auto-off timer only counts an activity's time.
        sup.begin_session(t)
        r = self.supervised.read(t)
        self.readings = r
        frame = Commands.safe(
            d,
            1,
            np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
            np.clip(r.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
            np.clip(r.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
        )
        if self.idle_recline is not None:
            frame.backrest_angle_target_deg = np.full(1, self.idle_recline[0])
            frame.legrest_angle_target_deg = np.full(1, self.idle_recline[1])
        self.last_frame = self.supervised.write(frame, r, t)

    def _shutdown(self, t: float) -> None:
        """Leave the chair safe: end a running activity as stopped, safe frame, close."""
        try:
            if self.activity is not None:
                self.supervisor.stop(now_s=t)
                for _ in range(3):
                    alive = self.activity.tick(t, 0.0)
                    t += self.tick_s
                    if not alive:
                        break
                self._finish(t)
            self._collect_events(t)
            r = self.supervised.read(t)
            d = self.description
            safe = Commands.safe(
                d,
                1,
                np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
                np.clip(r.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
                np.clip(r.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
            )
            self.supervised.write(safe, r, t)
        except Exception:
            log.exception("could not end the activity cleanly; closing the driver")
        finally:
            # close() itself puts the chair in its safe state (the contract), whatever happened.
            self.driver.close()
            for w in self._waiters:
                w.done.set_result(self.last_result)
            self._waiters.clear()
            self._refuse_pending("the chair service has stopped")

    def _refuse_pending(self, reason: str) -> None:
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return
            if isinstance(request, WaitRequest):
                request.done.set_result(self.last_result)
            elif isinstance(request, StopRequest):
                request.reply.set_result(Answer.ok("the chair is in its safe state"))
            else:
                request.reply.set_result(Answer.refused(reason))

    # -- requests -------------------------------------------------------------------------------

    def _handle_safely(self, request: AnyRequest, t: float) -> None:
        if isinstance(request, WaitRequest):
            if self.activity is None:
                request.done.set_result(self.last_result)
            else:
                self._waiters.append(request)
            return
        try:
            answer = self._handle(request, t)
        except Exception as err:  # never out of the loop; the client gets the reason
            log.exception("command failed")
            answer = Answer.refused(f"could not do that: {err}")
        if not request.reply.done():
            request.reply.set_result(answer)

    def _handle(self, request: AnyRequest, t: float) -> Answer:
        sup = self.supervisor
        act = self.activity
        if isinstance(request, StopRequest):
            sup.stop(now_s=t)
            return Answer.ok("stopped: the chair goes to its safe state")
        if isinstance(request, ResetRequest):
            if act is not None:
                return Answer.refused(f"a {act.kind} is running; stop it first")
            sup.reset()
            self._message = ""
            return Answer.ok("stops and faults cleared")
        if isinstance(request, PersonRequest):
            if act is not None:
                who = act.person or "a guest"
                return Answer.refused(f"a {act.kind} is running for {who}; stop it first")
            self.person = request.person
            if request.maps is not None:
                self.maps, self.has_map = request.maps, True
            else:
                self.maps, self.has_map = provisional_map(1), False
            sup.set_maps(self.maps)
            self.map_refused = request.map_refused
            if self.map_refused is not None:
                return Answer.ok(
                    f"{request.person} is seated; their saved body map was refused "
                    f"({self.map_refused}): scan first"
                )
            return Answer.ok(f"{request.person or 'a guest'} is seated")
        if isinstance(request, ReclineRequest):
            if isinstance(act, SessionActivity):
                act.session.command(LiveCommand("recline", request.preset))
                return Answer.ok(f"recline: {request.preset}")
            if act is not None:
                return Answer.refused(f"a {act.kind} is running; recline after it")
            refusal = self._refuse_if_latched()
            if refusal:
                return refusal
            self.idle_recline = request.angles
            return Answer.ok(f"recline: {request.preset}")
        if isinstance(request, LiveRequest):
            if not isinstance(act, SessionActivity):
                return Answer.refused("no session is running")
            cmd = request.command
            only = request.only_program
            if only is not None and act.session.program.id != only:
                return Answer.refused(f"the running program is not {only} mode")
            if request.intensity_to is not None:
                cmd = LiveCommand("intensity", request.intensity_to - act.session.intensity)
            act.session.command(cmd)
            return Answer.ok(f"{cmd.kind}: done")
        if isinstance(request, SelfTestRequest):
            if act is not None:
                return Answer.refused(f"a {act.kind} is running; stop it first")
            refusal = self._refuse_if_latched()
            if refusal:
                return refusal
            self.activity = SelfTestActivity(
                self.driver, self.supervised, self.limits, t, self.person
            )
            self.idle_recline = None
            self._after = "idle"
            self._message = "self-test running"
            return Answer.ok("self-test started (about a minute of chair time)")
        if isinstance(request, ScanRequest | StartRequest):
            refusal = self._refuse_to_begin(act)
            if refusal:
                return refusal
            if isinstance(request, ScanRequest):
                return self._begin_scan(t)
            return self._begin_session(request, t)
        raise TypeError(f"unknown request {type(request).__name__}")

    def _refuse_if_latched(self) -> Answer | None:
        rule = self.supervisor.latched_rule[0]
        if rule is None:
            return None
        if rule == OCCUPANCY_STOP and self._seated():
            # The person left and is back: their own new command acknowledges it.
            self.supervisor.reset()
            return None
        return Answer.refused(f"a stop or fault is latched: {rule}; reset it first")

    def _seated(self) -> bool:
        if self.readings is None:  # before the first tick: ask the chair
            self.readings = self.supervised.read(self.t_s)
        r = self.readings
        return r is not None and bool(r.occupied[0])

    def _refuse_to_begin(self, act: Activity | None) -> Answer | None:
        if act is not None:
            what = (
                f"a session ({act.session.program.name})"
                if isinstance(act, SessionActivity)
                else f"a {act.kind}"
            )
            return Answer.refused(f"{what} is running; stop it first")
        if not self._seated():
            return Answer.refused("nobody is seated")
        return self._refuse_if_latched()

    def _begin_scan(self, t: float) -> Answer:
        sup = self.supervisor
        sup.set_maps(provisional_map(1))
        sup.begin_session(t)
        sweep = ScanSweep(self.supervised, limits=self.limits, start_s=t, tick_s=self.tick_s)
        self.activity = ScanActivity(sweep, self.person, self.maps)
        self._after = "idle"
        self.idle_recline = None
        self._message = "scanning the back"
        return Answer.ok("scanning the back (about 17 s)")

    def _begin_session(self, request: StartRequest, t: float) -> Answer:
        maps = request.maps
        if maps is None:
            if not self.has_map:
                who = self.person or "this person"
                if self.map_refused is not None:
                    return Answer.refused(
                        f"the saved body map of {who} was refused ({self.map_refused}): scan first"
                    )
                return Answer.refused(f"no body map for {who} yet: scan first")
            maps = self.maps
        session = Session(
            request.program,
            maps,
            self.driver,
            intensity=request.intensity,
            tick_s=self.tick_s,
            limits=self.limits,
            start_s=t,
            supervisor=self.supervisor,
        )
        uid = uuid.uuid4().hex
        self.activity = SessionActivity(session, uid, self.person)
        self._after = "idle"
        self.idle_recline = None
        self._last_progress_s = t
        program = request.program
        self._message = f"{program.name} started"
        self.recorder.note(
            SessionOpened(
                uid,
                self.person,
                program.id or program.name,
                program.name,
                request.intensity,
                _now(),
            )
        )
        return Answer.ok(f"{program.name} started", session=uid)

    def _finish(self, t: float) -> None:
        act = self.activity
        if act is None:
            return
        self._collect_events(t)  # while the events still belong to the activity
        self.activity = None
        result = act.result()
        if isinstance(act, ScanActivity):
            if result.ok and result.maps is not None:
                self.maps, self.has_map = result.maps, True
                self.map_refused = None
                m = result.scan.chairs[0].body_map if result.scan is not None else None
                if self.person is not None and m is not None:
                    self.recorder.note(MapScanned(self.person, m, _now()))
            self.supervisor.set_maps(self.maps)
        elif isinstance(act, SessionActivity) and result.record is not None:
            self.recorder.note(SessionClosed(act.uid, result.record.chairs[0], _now()))
        self._message = result.message
        self._after = "idle"
        if result.record is not None:
            self._after = {"completed": "done"}.get(
                result.record.chairs[0].outcome.value, result.record.chairs[0].outcome.value
            )
        elif not result.ok:
            self._after = "stopped" if self.supervisor.latched_rule[0] else "idle"
        self.last_result = result
        # Waiters hear of the end after the frame that shows it is published (_tick), so a
        # snapshot taken once the wait returns shows the chair idle; _shutdown tells them too.

    # -- what others see ------------------------------------------------------------------------

    def _collect_events(self, t: float) -> bool:
        events = self.supervisor.events
        if len(events) == self._events_seen:
            return False
        act = self.activity
        start = act.start_s if act is not None else t
        new = []
        for e in events[self._events_seen :]:
            self._event_seq += 1
            new.append(
                EventInfo(
                    seq=self._event_seq,
                    time_s=e.time_s - start,
                    chair_time_s=e.time_s,
                    rule=e.rule,
                    value=e.value,
                    limit=e.limit,
                    reaction=e.reaction,
                    activity=act.kind if act is not None else "idle",
                    session=act.uid if act is not None else None,
                )
            )
        self._events_seen = len(events)
        self._recent.extend(new)
        self.recorder.note(EventsHappened(tuple(new), _now()))
        return True

    def _frame(self, t: float) -> StateFrame:
        self._frame_seq += 1
        r = self.readings
        act = self.activity
        d = self.description
        frame = self.last_frame
        kwargs: dict[str, object] = {}
        if isinstance(act, SessionActivity):
            s = act.session
            frame = s.last_frame or frame
            step = s.compiled.step_at(min(s.program_tick, s.compiled.n_ticks - 1))
            elapsed = min(s.program_tick * s.tick_s, s.compiled.duration_s)
            kwargs = {
                "program_id": s.program.id or s.program.name,
                "program_name": s.program.name,
                "session": act.uid,
                "step_index": int(step),
                "step_name": s.compiled.step_label(step),
                "elapsed_s": elapsed,
                "time_left_s": s.compiled.duration_s - elapsed,
                "intensity": s.intensity,
                "focus": s.focus,
            }
            state = act.state_name()
        elif isinstance(act, ScanActivity):
            state = "scanning"
            kwargs = {"elapsed_s": t - act.start_s}
        elif isinstance(act, SelfTestActivity):
            state = "selftest"
            kwargs = {"elapsed_s": t - act.start_s, "step_name": act.part}
        else:
            state = self._after
            if self.supervisor.latched_rule[0] is not None and state == "idle":
                state = "stopped"
        heat_on = (
            [bool(v > 0) for v in frame.heater_target_c[0]]
            if frame is not None
            else [False] * d.n_heaters
        )
        return StateFrame(
            seq=self._frame_seq,
            chair_time_s=t - self.t0_s,
            activity=act.kind if act is not None else "idle",
            state=state,
            person=self.person,
            seated=self._seated(),
            roller_y_mm=float(r.carriage_y_mm[0]) if r is not None else 0.0,
            roller_depth_mm=float(r.depth_mm[0]) if r is not None else 0.0,
            roller_force_n=float(max(r.force_left_n[0], r.force_right_n[0]))
            if r is not None
            else 0.0,
            cushions_kpa=tuple(
                (z, float(p)) for z, p in zip(d.air_zones, r.air_pressure_kpa[0], strict=True)
            )
            if r is not None
            else (),
            heaters=tuple(
                (h, float(c), heat_on[i])
                for i, (h, c) in enumerate(zip(d.heaters, r.heater_temp_c[0], strict=True))
            )
            if r is not None
            else (),
            backrest_deg=float(r.backrest_angle_deg[0]) if r is not None else 0.0,
            legrest_deg=float(r.legrest_angle_deg[0]) if r is not None else 0.0,
            latched=self.supervisor.latched_rule[0],
            recent_events=tuple(self._recent),
            message=self._message,
            **kwargs,  # type: ignore[arg-type]
        )
