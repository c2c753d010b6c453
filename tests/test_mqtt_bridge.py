"""The chair on a real Mosquitto: announce, commands, refusals, bad payloads, retained and stale
commands, Home Assistant's birth message, broker ACLs, and a broker that goes away.

Each test runs the chair service on the twin in real time (a simulated clock held to wall
time) and the bridge as an asyncio task beside it, exactly as ``openchair serve --mqtt`` does.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mqtt_helpers import PERSON, chair_service, is_result, is_state, listening
from openchair.mqtt.bridge import MqttBridge
from openchair.mqtt.link import mqtt_stop
from openchair.mqtt.localbroker import LocalBroker
from openchair.mqtt.settings import BrokerSettings
from openchair.mqtt.topics import ChairTopics
from openchair.service.service import ChairService

CHAIR = "test-chair"
T = ChairTopics(CHAIR)


@pytest.fixture(scope="module")
def broker() -> Iterator[LocalBroker]:
    with LocalBroker() as b:
        yield b


@asynccontextmanager
async def running_chair(
    port: int,
    *,
    username: str | None = None,
    password: str | None = None,
    seat: bool = True,
    backoff_min_s: float = 0.2,
) -> AsyncIterator[tuple[ChairService, MqttBridge]]:
    service = chair_service()
    settings = BrokerSettings("127.0.0.1", port, username=username, password=password)
    async with service:
        if seat:
            assert (await service.select_person(PERSON)).accepted
        bridge = MqttBridge(
            service, settings, T, backoff_min_s=backoff_min_s, backoff_max_s=1.0, keepalive_s=5
        )
        task = asyncio.create_task(bridge.run())
        try:
            yield service, bridge
        finally:
            await mqtt_stop(task)


async def until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


def test_chair_announces_itself_with_availability_and_state(broker: LocalBroker) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "homeassistant/device/+/config", "openchair/#") as ha,
            running_chair(broker.port) as (_, bridge),
        ):
            config = (await ha.wait_for(lambda s: s.topic == T.discovery)).json()
            assert config["availability_topic"] == T.availability
            assert "program" in config["components"]  # type: ignore[operator]
            online = await ha.wait_for(lambda s: s.topic == T.availability)
            assert online.payload == b"online"
            state = (await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))).json()
            assert state["state"] == "idle" and state["fault"] == "OFF"
            assert "person" not in state and PERSON not in json.dumps(state)  # never who
            # Telemetry once a second while nothing changes.
            n = len(ha.seen)
            await ha.wait_for(is_state(lambda p: True), timeout_s=2.5, after=n)
            await ha.wait_for(is_state(lambda p: True), timeout_s=2.5, after=len(ha.seen))
            assert bridge.stats.connects == 1
        # Leaving on purpose says offline (a clean disconnect sends no last will).
        async with listening(broker.port, T.availability) as after:
            gone = await after.wait_for(lambda s: s.topic == T.availability)
            assert gone.payload == b"offline" and gone.retain

    run(main)


def test_commands_go_through_the_service_and_stop_is_always_accepted(
    broker: LocalBroker,
) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "openchair/#") as ha,
            running_chair(broker.port) as (service, bridge),
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            await ha.publish(T.command("program"), "Quick")
            assert (await ha.wait_for(is_result("program"))).json()["accepted"] is True
            await ha.wait_for(is_state(lambda p: p["program_name"] == "Quick"))
            await ha.publish(T.command("intensity"), "2")
            assert (await ha.wait_for(is_result("intensity"))).json()["accepted"] is True
            await ha.publish(T.command("start"), "PRESS")
            started = (await ha.wait_for(is_result("start"))).json()
            assert started["accepted"] is True, started
            running = (await ha.wait_for(is_state(lambda p: p["state"] == "running"))).json()
            assert running["program"] == "quick" and running["intensity"] == 2
            assert running["step"]
            ends = datetime.fromisoformat(str(running["ends_at"]))
            assert ends.tzinfo is not None and ends > datetime.now(UTC)
            frame = service.snapshot()
            assert frame is not None and frame.time_left_s is not None
            expected = datetime.now(UTC) + timedelta(seconds=frame.time_left_s)
            assert abs((ends - expected).total_seconds()) < 3.0
            # Live commands while running, same methods as every client.
            await ha.publish(T.command("intensity"), "3")
            assert (await ha.wait_for(is_result("intensity"))).json()["accepted"] is True
            await ha.wait_for(is_state(lambda p: p["intensity"] == 3))
            await ha.publish(T.command("pause"), "PRESS")
            await ha.wait_for(is_state(lambda p: p["state"] == "paused"))
            await ha.publish(T.command("resume"), "PRESS")
            await ha.wait_for(is_state(lambda p: p["state"] == "running"), after=len(ha.seen))
            # A stop with a nonsense payload still stops: a stop is never unsafe.
            await ha.publish(T.command("stop"), b"\xff\x00 whatever")
            stop = (await ha.wait_for(is_result("stop"))).json()
            assert stop["accepted"] is True
            stopped = (await ha.wait_for(is_state(lambda p: p["state"] == "stopped"))).json()
            assert stopped["fault"] == "OFF"  # a stop someone asked for is not a fault
            summary = (await ha.wait_for(lambda s: s.topic == T.session and not s.retain)).json()
            assert summary["outcome"] == "stopped" and summary["program"] == "quick"
            assert summary["session"] == started["session"]
            result = service.loop.last_result
            assert result is not None and result.record is not None
            # The peak is the session record's (every tick), not a sample of the frames.
            peak = result.record.chairs[0].max_force_n
            assert summary["peak_force_n"] == round(peak, 1)
            # The chair is in its safe state: no session, the stop latched.
            frame = service.snapshot()
            assert frame is not None and frame.activity == "idle" and frame.latched is not None
            assert bridge.stats.refused == 0

    run(main)


def test_refusals_are_the_services_own_and_published_back(broker: LocalBroker) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "openchair/#") as ha,
            running_chair(broker.port) as (service, _),
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            await ha.publish(T.command("heat"), "ON")
            heat = (await ha.wait_for(is_result("heat"))).json()
            direct = await service.heat(True)
            assert heat["accepted"] is False and heat["reason"] == direct.reason
            await ha.publish(T.command("start"), json.dumps({"program": "no-such"}))
            start = (await ha.wait_for(is_result("start"))).json()
            direct = await service.start("no-such", 3)
            assert start["accepted"] is False and start["reason"] == direct.reason
            await ha.publish(T.command("start"), json.dumps({"program": "quick", "intensity": 9}))
            high = (await ha.wait_for(is_result("start"), after=len(ha.seen))).json()
            assert (
                high["accepted"] is False
                and high["reason"] == (await service.start("quick", 9)).reason
            )
            await ha.publish(T.command("intensity"), "9")
            nine = (await ha.wait_for(is_result("intensity"))).json()
            assert nine["accepted"] is False and "outside 1..5" in str(nine["reason"])
            frame = service.snapshot()
            assert frame is not None and frame.activity == "idle"

    run(main)


BAD = [
    ("intensity", b"abc", "not a whole number"),
    ("intensity", b"3.5", "not a whole number"),
    ("intensity", b"nan", "not a whole number"),
    ("intensity", b'{"value": true}', "not a whole number"),
    ("intensity", b"[1, 2]", "not a whole number"),
    ("heat", b"maybe", "expected ON or OFF"),
    ("program", b"\xff\xfe\x00binary", "not UTF-8"),
    ("program", b"x" * 100_000, "over 512"),
    ("start", b"{not json", "not a JSON object"),
    ("start", b"go now", "expected 'PRESS'"),
    ("explode", b"PRESS", "unknown command"),
    ("start", json.dumps({"ts": "yesterday"}).encode(), "'ts' must be"),
]


def test_malformed_payloads_are_refused_with_a_reason_and_never_crash(
    broker: LocalBroker, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "openchair/#") as ha,
            running_chair(broker.port) as (service, bridge),
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            for command, payload, reason in BAD:
                n = len(ha.seen)
                await ha.publish(T.command(command), payload)
                answer = (await ha.wait_for(is_result(command), after=n)).json()
                assert answer["accepted"] is False, (command, payload[:20])
                assert reason in str(answer["reason"]), (answer, reason)
            assert bridge.stats.refused == len(BAD)
            assert bridge.stats.commands == 0
            frame = service.snapshot()
            assert frame is not None and frame.activity == "idle" and frame.latched is None
            # Still listening and still obeying well-formed commands.
            await ha.publish(T.command("program"), "quick")
            assert (await ha.wait_for(is_result("program"), after=len(ha.seen) - 1)).json()[
                "accepted"
            ]

    with caplog.at_level("WARNING", logger="openchair.mqtt.bridge"):
        run(main)
    assert sum("MQTT command refused" in r.getMessage() for r in caplog.records) == len(BAD)


def test_retained_and_stale_commands_are_never_carried_out(broker: LocalBroker) -> None:
    async def main() -> None:
        async with listening(broker.port, "openchair/#") as ha:
            # Left on the broker before the chair connects: a start, retained.
            await ha.publish(T.command("start"), json.dumps({"program": "quick"}), retain=True)
            async with running_chair(broker.port) as (service, bridge):
                ignored = (await ha.wait_for(is_result("start"))).json()
                assert ignored["accepted"] is False and "retained" in str(ignored["reason"])
                old = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
                await ha.publish(T.command("stop"), json.dumps({"ts": old}))
                stale = (await ha.wait_for(is_result("stop"))).json()
                assert stale["accepted"] is False and "stale" in str(stale["reason"])
                await asyncio.sleep(0.3)
                frame = service.snapshot()
                assert frame is not None and frame.activity == "idle"
                assert frame.latched is None  # the minute-old stop did not run
                assert bridge.stats.ignored == 1 and bridge.stats.commands == 0
            await ha.publish(T.command("start"), b"", retain=True)  # clear it

    run(main)


def test_home_assistants_birth_message_makes_the_chair_announce_again(
    broker: LocalBroker,
) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "homeassistant/device/#", T.availability) as ha,
            running_chair(broker.port) as (_, bridge),
        ):
            await ha.wait_for(lambda s: s.topic == T.discovery)
            await until(lambda: bridge.stats.announcements == 1)
            n = len(ha.seen)
            await ha.publish("homeassistant/status", "online")
            again = await ha.wait_for(lambda s: s.topic == T.discovery, after=n)
            assert not again.retain  # delivered live: a fresh announcement
            await ha.wait_for(lambda s: s.topic == T.availability, after=n)
            # The bridge counts an announcement once all of it is sent; the messages can reach
            # Home Assistant's side first.
            await until(lambda: bridge.stats.announcements == 2)
            await ha.publish("homeassistant/status", "offline")
            await asyncio.sleep(0.2)
            assert bridge.stats.announcements == 2

    run(main)


ACL = """\
# The chair's own account: its topics and Home Assistant's discovery and status.
user chair
topic readwrite openchair/test-chair/#
topic readwrite homeassistant/#

# Home Assistant (the owner's): reads everything of the chair, writes its commands.
user homeassistant
topic read openchair/test-chair/#
topic write openchair/test-chair/cmd/#
topic readwrite homeassistant/#

# A guest account on the same broker: may watch the chair's state, nothing else.
user guest
topic read openchair/+/state
"""


def test_an_account_the_owner_did_not_allow_cannot_command_the_chair() -> None:
    users = {"chair": "chair-pw", "homeassistant": "ha-pw", "guest": "guest-pw"}

    async def main(port: int) -> None:
        async with (
            running_chair(port, username="chair", password="chair-pw") as (service, _),
            listening(port, "openchair/#", username="homeassistant", password="ha-pw") as ha,
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            async with listening(
                port, "openchair/#", username="guest", password="guest-pw"
            ) as guest:
                # The guest sees the state, but its commands never reach the chair.
                await guest.wait_for(is_state(lambda p: True))
                assert all(s.topic.endswith("/state") for s in guest.seen)
                await guest.publish(T.command("program"), "quick")
                await guest.publish(T.command("start"), "PRESS")
                await asyncio.sleep(0.5)
                assert not any(s.topic == T.result for s in ha.seen)
                frame = service.snapshot()
                assert frame is not None and frame.activity == "idle"
                # The owner's Home Assistant account can.
                await ha.publish(T.command("program"), "quick")
                await ha.publish(T.command("start"), "PRESS")
                start = (await ha.wait_for(is_result("start"))).json()
                assert start["accepted"] is True
                await ha.publish(T.command("stop"), "PRESS")
                await ha.wait_for(is_state(lambda p: p["state"] == "stopped"))

    with LocalBroker(users=users, acl=ACL) as b:
        asyncio.run(main(b.port))


def test_wrong_password_keeps_the_chair_running_and_retrying() -> None:
    async def main(port: int) -> None:
        async with running_chair(port, username="chair", password="wrong") as (service, bridge):
            await until(lambda: bridge.stats.last_error != "", 5.0)
            assert not bridge.connected.is_set()
            assert (await service.start("quick", 2)).accepted
            await asyncio.sleep(0.3)
            frame = service.snapshot()
            assert frame is not None and frame.state == "running"

    with LocalBroker(users={"chair": "right"}, acl="user chair\ntopic readwrite #\n") as b:
        asyncio.run(main(b.port))


@pytest.mark.slow
def test_broker_goes_away_chair_keeps_massaging_and_no_old_command_runs_later() -> None:
    async def main(b: LocalBroker) -> None:
        async with running_chair(b.port, backoff_min_s=1.5) as (service, bridge):
            await until(bridge.connected.is_set)
            assert (await service.start("quick", 2)).accepted
            await asyncio.sleep(0.5)
            b.stop()
            # Broker gone: the chair goes on, its session and its supervisor untouched.
            await until(lambda: not bridge.connected.is_set(), 5.0)
            before = service.snapshot()
            assert before is not None and before.elapsed_s is not None
            await asyncio.sleep(1.5)
            during = service.snapshot()
            assert during is not None and during.state == "running" and during.latched is None
            assert during.elapsed_s is not None and during.elapsed_s > before.elapsed_s + 1.0
            # The broker is back; before the chair reconnects, someone sends a stop (and a
            # retained one). Neither may run when the chair comes back.
            b.start()
            async with listening(b.port, "openchair/#", "homeassistant/device/#") as ha:
                await ha.publish(T.command("stop"), "PRESS")
                await ha.publish(T.command("pause"), "PRESS", retain=True)
                assert not bridge.connected.is_set()
                # Reconnects with backoff and announces again on the empty new broker.
                await ha.wait_for(lambda s: s.topic == T.discovery, timeout_s=10.0)
                await ha.wait_for(lambda s: s.topic == T.availability and s.payload == b"online")
                await until(lambda: bridge.stats.connects >= 2)
                ignored = (await ha.wait_for(is_result("pause"))).json()
                assert "retained" in str(ignored["reason"])
                await asyncio.sleep(0.5)
                now = service.snapshot()
                assert now is not None and now.state == "running" and now.latched is None
                await ha.wait_for(is_state(lambda p: p["state"] == "running"))
                await ha.publish(T.command("pause"), b"", retain=True)
            await service.stop()

    b = LocalBroker()
    b.start()
    try:
        asyncio.run(main(b))
    finally:
        b.stop()


def test_a_fault_shows_as_it_happens_event_fault_entity_and_session_summary(
    broker: LocalBroker,
) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "openchair/#") as ha,
            running_chair(broker.port) as (service, _),
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            started = await service.start("heated-back", 2)
            assert started.accepted
            await ha.wait_for(is_state(lambda p: p["state"] == "running"))
            twin = service.loop.driver
            # A heater's sensor opens: the supervisor switches that heater off and the session
            # goes on; the event is published as it happens.
            twin.inject("temp_sensor_open")  # type: ignore[attr-defined]
            event = (await ha.wait_for(lambda s: s.topic == T.events)).json()
            assert event["rule"] == "heater_sensor" and event["session"] is not None
            frame = service.snapshot()
            assert frame is not None and frame.state == "running" and frame.latched is None
            # The roller's position jumps: a latching fault ends the session in the safe state.
            twin.inject("encoder_glitch")  # type: ignore[attr-defined]
            state = (
                await ha.wait_for(is_state(lambda p: p["fault"] == "ON" and p["session"] is None))
            ).json()
            assert state["fault_rule"] == state["latched"] == "encoder_jump"
            fault = await ha.wait_for(
                lambda s: s.topic == T.attributes and not s.retain and b'"rule":"' in s.payload
            )
            assert fault.json()["rule"] == state["latched"]
            summary = (await ha.wait_for(lambda s: s.topic == T.session and not s.retain)).json()
            assert summary["session"] == started.session
            assert summary["outcome"] == "fault" and int(str(summary["safety_events"])) >= 2
            frame = service.snapshot()
            assert frame is not None and frame.activity == "idle"
            assert not any(on for _, _, on in frame.heaters)  # the chair went safe

    run(main)


def test_a_flood_of_commands_is_cut_short_and_a_stop_still_gets_through(
    broker: LocalBroker,
) -> None:
    async def main() -> None:
        async with (
            listening(broker.port, "openchair/#") as ha,
            running_chair(broker.port) as (service, bridge),
        ):
            await ha.wait_for(is_state(lambda p: p["seated"] == "ON"))
            assert (await service.start("quick", 2)).accepted
            for _ in range(60):
                await ha.publish(T.command("intensity"), "3")
            await ha.publish(T.command("stop"), "PRESS")
            stop = (await ha.wait_for(is_result("stop"), timeout_s=5.0)).json()
            assert stop["accepted"] is True
            answers = [s.json() for s in ha.seen if is_result("intensity")(s)]
            assert len(answers) == 60
            assert sum(not a["accepted"] for a in answers) >= 30
            assert all(
                "too many commands" in str(a["reason"]) for a in answers if not a["accepted"]
            )
            assert bridge.stats.commands <= 30

    run(main)


def test_the_chair_talks_to_a_tls_broker_with_its_own_ca(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    settings = BrokerSettings.from_url("mqtts://127.0.0.1:1", tls_ca=str(cert))
    assert settings.tls and settings.tls_ca == str(cert)

    async def main(port: int) -> None:
        service = chair_service()
        tls = BrokerSettings.from_url(f"mqtts://127.0.0.1:{port}", tls_ca=str(cert))
        async with service:
            bridge = MqttBridge(service, tls, T, backoff_min_s=0.2, keepalive_s=5)
            task = asyncio.create_task(bridge.run())
            try:
                await until(bridge.connected.is_set, 10.0)
            finally:
                await mqtt_stop(task)
            # Without the CA the broker's certificate is not trusted: no connection, and the
            # chair carries on.
            plain = BrokerSettings("127.0.0.1", port, tls=True)
            untrusting = MqttBridge(service, plain, T, backoff_min_s=0.2, keepalive_s=5)
            task = asyncio.create_task(untrusting.run())
            try:
                await until(lambda: "certificate" in untrusting.stats.last_error.lower(), 10.0)
                assert not untrusting.connected.is_set()
            finally:
                await mqtt_stop(task)

    with LocalBroker(tls=(str(cert), str(key))) as b:
        asyncio.run(main(b.port))
