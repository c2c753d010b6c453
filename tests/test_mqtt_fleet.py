"""The fleet view: every chair's state from its telemetry, offline within seconds when it goes
silent, bounded memory, bad messages dropped; and ``openchair fleet`` on a real broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import urllib.request
from datetime import UTC, datetime, timedelta

import aiomqtt
import pytest
from typer.testing import CliRunner

from openchair.cli.app import _register_commands, app
from openchair.mqtt.fleet import FleetView
from openchair.mqtt.fleet_watch import FleetWatcher
from openchair.mqtt.fleet_web import serve_dashboard
from openchair.mqtt.localbroker import LocalBroker
from openchair.mqtt.settings import BrokerSettings

T0 = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)


def state(t: datetime, **fields: object) -> bytes:
    base: dict[str, object] = {
        "ts": t.isoformat(timespec="milliseconds"),
        "state": "idle",
        "seated": "OFF",
        "program_name": None,
        "session": None,
        "fault": "OFF",
        "fault_rule": None,
        "latched": None,
        "sessions_today": 0,
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_a_chair_shows_state_seated_program_and_fault_never_who() -> None:
    view = FleetView()
    t = T0 + timedelta(milliseconds=40)
    view.ingest("openchair/c1/availability", b"online", T0)
    view.ingest(
        "openchair/c1/state",
        state(T0, state="running", seated="ON", program_name="Quick", session="s1"),
        t,
    )
    c = view.summary(t)["chairs"][0]  # type: ignore[index]
    assert c["online"] and c["state"] == "running" and c["seated"] is True
    assert c["program"] == "Quick" and c["fault"] is None and c["sessions_today"] == 1
    assert set(c) == {
        "chair",
        "online",
        "state",
        "last_state",
        "seated",
        "program",
        "fault",
        "sessions_today",
        "events_today",
        "last_event",
        "last_seen",
        "silent_s",
    }
    lag = view.lag_percentiles()
    assert lag["p50"] == pytest.approx(40.0)


def test_silent_chair_goes_offline_within_seconds_even_before_its_last_will() -> None:
    view = FleetView(stale_after_s=5.0)
    view.ingest("openchair/c1/availability", b"online", T0)
    view.ingest("openchair/c1/state", state(T0, state="running"), T0)
    assert view.summary(T0 + timedelta(seconds=4.9))["counts"]["online"] == 1  # type: ignore[index]
    later = view.summary(T0 + timedelta(seconds=5.1))
    assert later["counts"]["online"] == 0  # type: ignore[index]
    assert later["chairs"][0]["state"] == "offline"  # type: ignore[index]
    assert later["chairs"][0]["last_state"] == "running"  # type: ignore[index]


def test_last_will_makes_a_chair_offline_at_once() -> None:
    view = FleetView()
    view.ingest("openchair/c1/state", state(T0), T0)
    view.ingest("openchair/c1/availability", b"offline", T0 + timedelta(seconds=0.1))
    assert view.summary(T0 + timedelta(seconds=0.2))["counts"]["online"] == 0  # type: ignore[index]


def test_an_old_retained_state_is_not_a_sign_of_life() -> None:
    view = FleetView()
    view.ingest("openchair/c1/state", state(T0), T0 + timedelta(hours=2), retained=True)
    s = view.summary(T0 + timedelta(hours=2))
    assert s["counts"]["online"] == 0  # type: ignore[index]
    assert s["chairs"][0]["last_seen"] == T0.isoformat(timespec="seconds")  # type: ignore[index]


def test_sessions_today_are_counted_once_and_reset_at_midnight() -> None:
    view = FleetView()
    for i, sid in enumerate(["a", "a", "b", "b", "c"]):
        view.ingest("openchair/c1/state", state(T0, session=sid), T0 + timedelta(seconds=i))
    summary = json.dumps({"session": "d", "ended_at": T0.isoformat()}).encode()
    view.ingest("openchair/c1/session", summary, T0 + timedelta(seconds=9))
    assert view.summary(T0 + timedelta(seconds=9))["chairs"][0]["sessions_today"] == 4  # type: ignore[index]
    tomorrow = T0 + timedelta(days=1)
    view.ingest("openchair/c1/state", state(tomorrow), tomorrow)
    assert view.summary(tomorrow)["chairs"][0]["sessions_today"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("openchair/c1/state", b"\xff\xfe"),
        ("openchair/c1/state", b"[1, 2]"),
        ("openchair/c1/state", b"{" * 10_000),
        ("openchair/c1/state", b"x" * 100_000),
        ("openchair/c1/availability", b"maybe"),
        ("openchair/c1/other", b"{}"),
        ("openchair/bad id/state", b"{}"),
        ("elsewhere/c1/state", b"{}"),
    ],
)
def test_malformed_messages_are_dropped_and_counted(topic: str, payload: bytes) -> None:
    view = FleetView()
    view.ingest(topic, payload, T0)
    assert view.rejected == 1
    assert all(c.state is None for c in view.chairs.values())


def test_memory_is_bounded_by_the_number_of_chairs() -> None:
    view = FleetView(max_chairs=100)
    for i in range(150):
        view.ingest(f"openchair/c{i}/state", state(T0), T0)
    assert len(view.chairs) == 100 and view.rejected == 50
    for i in range(2000):  # a chair inventing session ids cannot grow the view without end
        view.ingest("openchair/c1/state", state(T0, session=f"s{i}"), T0)
    assert len(view.chairs["c1"].sessions) <= 500


T_AVAIL = "openchair/den/availability"

CHAIR_PROCESS = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import UTC, datetime
    import aiomqtt

    async def main(port: int) -> None:
        will = aiomqtt.Will("openchair/doomed/availability", "offline", qos=1, retain=True)
        async with aiomqtt.Client("127.0.0.1", port, will=will, identifier="doomed") as c:
            await c.publish("openchair/doomed/availability", "online", qos=1, retain=True)
            while True:
                ts = datetime.now(UTC).isoformat(timespec="milliseconds")
                payload = {"ts": ts, "state": "running", "seated": "ON"}
                await c.publish("openchair/doomed/state", json.dumps(payload), retain=True)
                print("up", flush=True)
                await asyncio.sleep(0.2)

    asyncio.run(main(int(sys.argv[1])))
    """
)


def test_a_chair_that_dies_shows_offline_within_seconds_on_a_real_broker() -> None:
    async def main(port: int) -> None:
        view = FleetView()
        watcher = FleetWatcher(view, BrokerSettings("127.0.0.1", port), lambda: datetime.now(UTC))
        task = asyncio.create_task(watcher.run())
        proc = subprocess.Popen(
            [sys.executable, "-c", CHAIR_PROCESS, str(port)], stdout=subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            await asyncio.to_thread(proc.stdout.readline)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while view.summary(datetime.now(UTC))["counts"]["online"] != 1:  # type: ignore[index]
                assert loop.time() < deadline
                await asyncio.sleep(0.05)
            proc.kill()  # no goodbye: the broker sends the chair's last will
            killed = loop.time()
            while view.summary(datetime.now(UTC))["counts"]["online"] != 0:  # type: ignore[index]
                assert loop.time() - killed < 3.0, "still online 3 s after the chair died"
                await asyncio.sleep(0.05)
            assert view.chairs["doomed"].available == "offline"
        finally:
            proc.kill()
            proc.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    with LocalBroker() as b:
        asyncio.run(main(b.port))


def test_openchair_fleet_json_and_dashboard_page() -> None:
    now = datetime.now(UTC)

    async def publish(port: int) -> None:
        async with aiomqtt.Client("127.0.0.1", port) as c:
            for cid, st in (("north", "running"), ("south", "idle")):
                await c.publish(f"openchair/{cid}/availability", "online", qos=1, retain=True)
                body = state(now, state=st, seated="ON" if st == "running" else "OFF")
                await c.publish(f"openchair/{cid}/state", body, qos=1, retain=True)

    with LocalBroker() as b:
        asyncio.run(publish(b.port))
        _register_commands()
        result = CliRunner().invoke(app, ["fleet", "--mqtt", b.url, "--json", "--seconds", "0.5"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        chairs = {c["chair"]: c for c in summary["chairs"]}
        assert set(chairs) == {"north", "south"}
        assert chairs["north"]["seated"] is True and chairs["south"]["seated"] is False
        assert summary["counts"]["chairs"] == 2

        async def page(port: int) -> tuple[bytes, bytes]:
            watcher = FleetWatcher(
                FleetView(),
                BrokerSettings("127.0.0.1", port),
                lambda: datetime.now(UTC),
                refresh_s=0.2,
            )
            task = asyncio.create_task(watcher.run())
            server = serve_dashboard(lambda: watcher.snapshot, port=0)
            try:
                await asyncio.wait_for(watcher.connected.wait(), 5)
                await asyncio.sleep(0.7)
                url = f"http://127.0.0.1:{server.server_address[1]}"
                html = await asyncio.to_thread(lambda: urllib.request.urlopen(url).read())
                api = await asyncio.to_thread(
                    lambda: urllib.request.urlopen(url + "/api/fleet").read()
                )
                return html, api
            finally:
                server.shutdown()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        html, api = asyncio.run(page(b.port))
        assert b"openchair fleet" in html
        assert {c["chair"] for c in json.loads(api)["chairs"]} == {"north", "south"}


def test_openchair_fleet_says_when_the_broker_cannot_be_reached() -> None:
    _register_commands()
    result = CliRunner().invoke(
        app, ["fleet", "--mqtt", "mqtt://127.0.0.1:1", "--json", "--seconds", "0.5"]
    )
    assert result.exit_code == 1
    assert "could not reach the broker mqtt://127.0.0.1:1" in result.output
    bad = CliRunner().invoke(app, ["fleet", "--mqtt", "http://x", "--json"])
    assert bad.exit_code == 2 and "use mqtt://host" in bad.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--mqtt", "http://broker"], "use mqtt://host"),
        (["--mqtt", "mqtt://broker", "--chair-id", "a/b"], "chair id"),
        (["--mqtt", "mqtt://broker", "--mqtt-tls-ca", "/no/ca.crt"], "does not exist"),
    ],
)
def test_openchair_serve_refuses_bad_mqtt_options_before_starting(
    args: list[str], says: str
) -> None:
    _register_commands()
    result = CliRunner().invoke(app, ["serve", *args], env={"COLUMNS": "240"})
    assert result.exit_code == 2
    assert says in result.output


def test_openchair_serve_with_mqtt_announces_and_says_offline_on_ctrl_c() -> None:
    import signal

    async def watch(port: int) -> list[tuple[str, bytes]]:
        seen: list[tuple[str, bytes]] = []
        async with aiomqtt.Client("127.0.0.1", port) as c:
            await c.subscribe("openchair/den/#")
            await c.subscribe("homeassistant/device/#")
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "openchair", "serve"),
                    *("--mqtt", f"mqtt://127.0.0.1:{port}", "--chair-id", "den"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:

                async def collect() -> None:
                    async for m in c.messages:
                        seen.append((str(m.topic), _bytes(m.payload)))
                        if m.topic.matches("openchair/den/state"):
                            return

                await asyncio.wait_for(collect(), 30)
                proc.send_signal(signal.SIGINT)

                async def offline() -> None:
                    async for m in c.messages:
                        seen.append((str(m.topic), _bytes(m.payload)))
                        if str(m.topic) == T_AVAIL and m.payload == b"offline":
                            return

                await asyncio.wait_for(offline(), 15)
            finally:
                try:
                    out = (await asyncio.to_thread(proc.communicate, timeout=15))[0].decode()
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out = proc.communicate()[0].decode()
            assert proc.returncode == 0, out
            assert "chair is in its safe state" in out
        return seen

    with LocalBroker() as b:
        seen = asyncio.run(watch(b.port))
    topics = [t for t, _ in seen]
    assert "homeassistant/device/openchair_den/config" in topics
    assert ("openchair/den/availability", b"online") in seen
    assert seen[-1] == ("openchair/den/availability", b"offline")


def _bytes(payload: object) -> bytes:
    return payload if isinstance(payload, bytes) else b""
