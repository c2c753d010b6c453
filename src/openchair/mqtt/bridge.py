"""The MQTT client task that runs beside the chair service (``openchair serve --mqtt URL``).

Two halves, so the broker is never on the chair's path:

* the **watcher** follows the service's state frames for the bridge's whole life, connected or
  not, and leaves what to publish in a small outbox: the latest state (one slot, replaced), and a
  bounded queue of events and session summaries (the oldest dropped, and counted, if the broker
  stays away long);
* the **connection** logs in with a last will (``offline``, retained) on the availability topic,
  announces the chair (discovery, ``online``, the state), publishes the outbox, and carries out
  commands through the same ``ChairService`` methods as every other client. When the broker goes
  away it reconnects with exponential backoff and announces again; Home Assistant's birth
  message (``homeassistant/status`` = ``online``) also makes it announce again.

Commands are subscribed at QoS 0 on a clean session: the broker keeps nothing for the chair
while it is away, so nothing queued can be replayed later as a stale command; retained commands
and commands with an old timestamp are ignored (see ``commands``). The chair's safety does not
depend on any of this: the control thread and the supervisor run the same with or without a
broker, and a command that never arrives changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiomqtt

import openchair
from openchair.mqtt.commands import Dispatcher, Incoming, RefusalError, parse, result_payload
from openchair.mqtt.discovery import ChairInfo, device_config
from openchair.mqtt.settings import BrokerSettings
from openchair.mqtt.telemetry import (
    StateView,
    change_key,
    event_payload,
    fault_attributes,
    iso,
    session_summary,
)
from openchair.mqtt.topics import HA_STATUS_TOPIC, OFFLINE, ONLINE, ChairTopics
from openchair.programs.loader import ProgramError
from openchair.service.answer import Answer
from openchair.service.frame import StateFrame
from openchair.service.service import ChairService

log = logging.getLogger(__name__)

STATE_PERIOD_S = 1.0
"""The state goes out at least this often (fleet telemetry), and at once on a change."""
OUTBOX_MESSAGES = 256
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
KEEPALIVE_S = 10
"""The broker declares the chair gone (and sends its last will) after 1.5× this silence."""


COMMANDS_PER_S = 5.0
COMMAND_BURST = 20


@dataclass
class CommandBudget:
    """A token bucket: ``COMMAND_BURST`` commands at once, then ``COMMANDS_PER_S``."""

    rate_per_s: float = COMMANDS_PER_S
    burst: int = COMMAND_BURST
    tokens: float = float(COMMAND_BURST)
    at: float | None = None

    def take(self, now: float) -> bool:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate_per_s)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 0


@dataclass
class BridgeStats:
    """What happened, for tests, logs and ``openchair serve``'s console."""

    connects: int = 0
    announcements: int = 0
    commands: int = 0
    refused: int = 0
    ignored: int = 0
    published: int = 0
    dropped: int = 0
    last_error: str = ""
    refusals: list[str] = field(default_factory=list)


def _json(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def chair_info(service: ChairService) -> ChairInfo:
    """The chair as discovery shows it; a user program that does not load is left out."""
    names = []
    for pid in service.programs():
        try:
            names.append(service.program(pid).name)
        except ProgramError:
            continue
    return ChairInfo(
        model=service.loop.description.model,
        programs=tuple(names),
        sw_version=openchair.__version__,
    )


def clock_pace(service: ChairService) -> float:
    """Chair seconds per wall second: a simulated clock's pace or a sped-up real clock."""
    clock = service.loop.clock
    for attr in ("pace", "speed"):
        value = getattr(clock, attr, None)
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return 1.0


class MqttBridge:
    """``await bridge.run()`` until cancelled; the chair goes on whatever the broker does."""

    def __init__(
        self,
        service: ChairService,
        settings: BrokerSettings,
        topics: ChairTopics,
        *,
        now: Callable[[], datetime] = utc_now,
        state_period_s: float = STATE_PERIOD_S,
        backoff_min_s: float = BACKOFF_MIN_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        keepalive_s: int = KEEPALIVE_S,
        client_id: str | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.topics = topics
        self.now = now
        self.state_period_s = state_period_s
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.keepalive_s = keepalive_s
        self.client_id = client_id or f"openchair-{topics.chair_id}"
        self.info = chair_info(service)
        self.view = StateView(pace=clock_pace(service))
        self.dispatcher = Dispatcher(service, self.view, self._program_names)
        self.stats = BridgeStats()
        self.connected = asyncio.Event()
        self._latest_state: bytes | None = None
        self._latest_fault: bytes | None = None
        self._state_dirty = False
        self._outbox: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self._last_key: tuple[object, ...] | None = None
        self._last_sent = 0.0
        self._last_event_seq = 0
        self._last_latched: object = ()
        self._session: dict[str, object] | None = None
        self._last_summary: bytes | None = None
        self._budget = CommandBudget()

    # -- life -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch the chair and stay connected (reconnecting with backoff) until cancelled."""
        watcher = asyncio.create_task(self._watch(), name="openchair-mqtt-watch")
        try:
            await self._connect_forever()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _connect_forever(self) -> None:
        delay = self.backoff_min_s
        while True:
            try:
                await self._connection()
            except* aiomqtt.MqttError as group:
                err = group.exceptions[0]
                self.stats.last_error = str(err)
                log.warning(
                    "MQTT broker %s: %s; the chair carries on, retrying in %.1f s",
                    self.settings.describe(),
                    err,
                    delay,
                )
            except* Exception:
                self.stats.last_error = "unexpected error"
                log.exception("MQTT bridge: unexpected error; the chair carries on, retrying")
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                # Asked to stop while a connection task failed: a TaskGroup then raises the
                # failure, not the cancellation. Stopping wins.
                raise asyncio.CancelledError
            if self.connected.is_set():  # we had a working connection: start the backoff over
                delay = self.backoff_min_s
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max_s)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        return aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.password,
            identifier=self.client_id,
            will=aiomqtt.Will(self.topics.availability, OFFLINE, qos=1, retain=True),
            clean_session=True,
            keepalive=self.keepalive_s,
            timeout=10,
            tls_context=s.tls_context(),
            max_queued_outgoing_messages=OUTBOX_MESSAGES,
        )

    async def _connection(self) -> None:
        async with self._client() as client:
            self.stats.connects += 1
            tasks: set[asyncio.Task[None]] = set()
            try:
                await client.subscribe(self.topics.command_filter, qos=0)
                await client.subscribe(HA_STATUS_TOPIC, qos=0)
                await self._announce(client)
                self.connected.set()
                log.info("MQTT: connected to %s as %s", self.settings.describe(), self.client_id)
                tasks = {
                    asyncio.create_task(self._publisher(client), name="openchair-mqtt-out"),
                    asyncio.create_task(self._listener(client), name="openchair-mqtt-in"),
                }
                # Both run until the connection fails; the first failure ends the connection.
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            except asyncio.CancelledError:
                # Leaving on purpose, at any point after connecting: say so (a clean
                # disconnect sends no last will).
                await _end_all(tasks)
                with contextlib.suppress(aiomqtt.MqttError, asyncio.CancelledError):
                    await asyncio.wait_for(
                        client.publish(self.topics.availability, OFFLINE, qos=1, retain=True),
                        1.0,
                    )
                raise
            finally:
                await _end_all(tasks)

    async def _announce(self, client: aiomqtt.Client) -> None:
        """Discovery, availability and the current state: after every (re)connect and on Home
        Assistant's birth message."""
        t = self.topics
        await client.publish(t.discovery, _json(device_config(t, self.info)), qos=1, retain=True)
        await client.publish(t.availability, ONLINE, qos=1, retain=True)
        if self._latest_state is not None:
            await client.publish(t.state, self._latest_state, retain=True)
            self._state_dirty = False
        if self._latest_fault is not None:
            await client.publish(t.attributes, self._latest_fault, retain=True)
        self.stats.announcements += 1

    # -- out ------------------------------------------------------------------------------------

    async def _publisher(self, client: aiomqtt.Client) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._state_dirty and self._latest_state is not None:
                self._state_dirty = False
                await client.publish(self.topics.state, self._latest_state, retain=True)
                self.stats.published += 1
            while self._outbox:
                item = self._outbox[0]
                await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
                self._outbox.popleft()  # only once the broker has it
                self.stats.published += 1

    def _queue(self, item: Outgoing) -> None:
        if len(self._outbox) >= OUTBOX_MESSAGES:
            self._outbox.popleft()
            self.stats.dropped += 1
        self._outbox.append(item)
        self._wake.set()

    # -- the chair ------------------------------------------------------------------------------

    async def _watch(self) -> None:
        sub = self.service.subscribe(maxlen=8)
        try:
            async for frame in sub:
                self._on_frame(frame)
        finally:
            sub.close()

    def _on_frame(self, frame: StateFrame) -> None:
        now = self.now()
        self.view.observe(frame, now)
        for event in frame.recent_events:
            if event.seq > self._last_event_seq:
                self._last_event_seq = event.seq
                self._queue(Outgoing(self.topics.events, _json(event_payload(event, now))))
                if self._session is not None and event.session == self._session["session"]:
                    self._session["events"] = int(str(self._session["events"])) + 1
        self._follow_session(frame, now)
        payload = self.view.payload(frame, now)
        key = change_key(payload)
        mono = time.monotonic()
        if key != self._last_key or mono - self._last_sent >= self.state_period_s:
            self._last_key = key
            self._last_sent = mono
            self._latest_state = _json(payload)
            self._state_dirty = True
            self._wake.set()
        if frame.latched != self._last_latched:
            self._last_latched = frame.latched
            self._latest_fault = _json(fault_attributes(frame))
            self._queue(Outgoing(self.topics.attributes, self._latest_fault, retain=True))

    def _follow_session(self, frame: StateFrame, now: datetime) -> None:
        current = self._session
        if frame.activity == "session" and frame.session is not None:
            if current is None or current["session"] != frame.session:
                if current is not None:
                    self._end_session(current, frame, now)
                self._session = {
                    "session": frame.session,
                    "program": frame.program_id,
                    "program_name": frame.program_name,
                    "intensity": frame.intensity,
                    "started_at": now,
                    "events": 0,
                    "peak_temp": None,
                }
            session = self._session
            assert session is not None
            session["intensity"] = frame.intensity
            temps = [c for _, c, _ in frame.heaters]
            if temps:
                prev = session["peak_temp"]
                peak = max(temps)
                session["peak_temp"] = peak if prev is None else max(float(str(prev)), peak)
        elif current is not None:
            self._end_session(current, frame, now)
            self._session = None

    def _end_session(self, s: dict[str, object], frame: StateFrame, now: datetime) -> None:
        result = self.service.loop.last_result
        peak_force = self.view.payload(frame, now).get("peak_force_n")
        peak_temp = s["peak_temp"]
        reason = frame.message
        if result is not None and result.session == s["session"] and result.record is not None:
            chair = result.record.chairs[0]
            self.view.set_session_peak(chair.max_force_n)
            peak_force = chair.max_force_n
            peak_temp = chair.max_temp_c
            reason = chair.reason
        started = s["started_at"]
        summary = session_summary(
            frame,
            session=str(s["session"]),
            program_id=_str_or_none(s["program"]),
            program_name=_str_or_none(s["program_name"]),
            intensity=s["intensity"] if isinstance(s["intensity"], int) else None,
            started_at=started if isinstance(started, datetime) else None,
            ended_at=now,
            peak_force_n=float(peak_force) if isinstance(peak_force, int | float) else 0.0,
            peak_temp_c=float(peak_temp) if isinstance(peak_temp, int | float) else None,
            events=int(str(s["events"])),
            reason=reason,
        )
        self._last_summary = _json(summary)
        self._queue(Outgoing(self.topics.session, self._last_summary, retain=True, qos=1))

    # -- in -------------------------------------------------------------------------------------

    async def _listener(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if topic == HA_STATUS_TOPIC:
                if payload.strip() == ONLINE.encode():
                    log.info("MQTT: Home Assistant is back; announcing the chair again")
                    await self._announce(client)
                continue
            name = self.topics.command_name(topic)
            if name is None:
                continue
            await self._command(client, Incoming(name, payload, bool(message.retain)))

    async def _command(self, client: aiomqtt.Client, msg: Incoming) -> None:
        now = self.now()
        try:
            parsed = parse(msg, now)
        except RefusalError as refusal:
            reason = str(refusal)
            if msg.retained:
                self.stats.ignored += 1
            else:
                self.stats.refused += 1
            self.stats.refusals.append(reason)
            del self.stats.refusals[:-20]
            log.warning("MQTT command refused: %s", reason)
            refused = {"command": msg.command, "accepted": False, "reason": reason, "ts": iso(now)}
            await client.publish(self.topics.result, _json(refused))
            return
        if parsed.command != "stop" and not self._budget.take(time.monotonic()):
            # A flood (a looping automation, a stuck button) must not queue up in front of a
            # stop or keep the chair busy: refused, and the stop is never rate-limited.
            answer = Answer.refused("too many commands; wait a moment")
            self.stats.refused += 1
            await client.publish(
                self.topics.result, _json(result_payload(parsed.command, answer, now))
            )
            return
        self.stats.commands += 1
        # The service's call runs as its own task and is awaited through asyncio.wait, so that
        # cancelling the bridge always lands here (Python 3.11's wait_for inside the service can
        # swallow a cancellation that arrives as its answer does).
        call = asyncio.ensure_future(self.dispatcher.run(parsed))
        try:
            await asyncio.wait({call})
        except asyncio.CancelledError:
            call.cancel()
            raise
        answer = _without_name(call.result(), self.service.loop.person)
        if not answer.accepted:
            log.info("MQTT %s refused by the chair: %s", parsed.command, answer.reason)
        await client.publish(
            self.topics.result, _json(result_payload(parsed.command, answer, self.now()))
        )
        if parsed.command in ("program", "intensity"):
            frame = self.service.snapshot()
            if frame is not None:  # the select and the number show the choice at once
                self._last_key = None
                self._on_frame(frame)

    def _program_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for pid in self.service.programs():
            names[pid] = pid
            try:
                names[self.service.program(pid).name] = pid
            except ProgramError:
                continue
        return names


async def _end_all(tasks: set[asyncio.Task[None]]) -> None:
    """Cancel the connection's tasks until they have ended. Not a TaskGroup: Python 3.11's
    ``wait_for`` (inside aiomqtt's publish) can swallow a cancellation that meets a finished
    publish, and a TaskGroup cancels its tasks only once, so it would wait forever."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for t in pending:
            t.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    for t in tasks:
        if not t.cancelled() and t.exception() is not None:
            log.debug("MQTT connection task ended with %r", t.exception())


def _without_name(answer: Answer, person: str | None) -> Answer:
    """Who is seated is never published, not even inside a refusal ("no body map for ...")."""
    if not person or person not in answer.reason:
        return answer
    return Answer(
        answer.accepted, answer.reason.replace(person, "the person seated"), answer.session
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
