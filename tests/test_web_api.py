"""The HTTP + WebSocket API: pairing, tokens, commands and their refusals."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from openchair.web.pairing import CODE_LIFETIME_S, LOCKOUT_S, MAX_WRONG_CODES
from web_support import WebChair, pair, web_chair


@pytest.fixture
def chair(tmp_path: Path) -> Iterator[WebChair]:
    with web_chair(tmp_path) as c:
        yield c


@pytest.fixture
def client(chair: WebChair) -> Iterator[TestClient]:
    with TestClient(chair.app) as c:
        yield c


def wait_for_state(
    client: TestClient, headers: dict[str, str], want: str, timeout_s: float = 20.0
) -> dict[str, object]:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        s = client.get("/api/state", headers=headers).json()
        if s["state"] == want:
            return dict(s)
        time.sleep(0.05)
    raise AssertionError(f"the chair never reached {want!r}; last {s['state']!r}")


def test_unpaired_client_can_neither_read_nor_move_the_chair(
    client: TestClient, chair: WebChair
) -> None:
    assert client.get("/api/health").status_code == 200
    for method, path, body in [
        ("GET", "/api/state", None),
        ("GET", "/api/programs", None),
        ("GET", "/api/history", None),
        ("GET", "/api/devices", None),
        ("POST", "/api/scan", None),
        ("POST", "/api/session/start", {"program": "quick"}),
        ("POST", "/api/session/stop", None),
        ("POST", "/api/recline", {"preset": "relax"}),
    ]:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (path, r.status_code)
            assert "pair" in r.json()["detail"]
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"token": "guess"})
        with pytest.raises(WebSocketDisconnect) as err:
            ws.receive_text()
        assert err.value.code == 4401
    # nothing moved: the chair never left idle
    assert chair.service.loop.activity is None


def test_pairing_then_a_session_with_live_commands(client: TestClient, chair: WebChair) -> None:
    h = pair(client, chair, "Anna's phone")
    assert chair.console.shown[-1][0] == "Anna's phone"
    names = [d["name"] for d in client.get("/api/devices", headers=h).json()]
    assert names == ["Anna's phone"]

    r = client.post("/api/session/start", json={"program": "quick"}, headers=h)
    assert r.status_code == 409 and "scan first" in r.json()["detail"]
    assert client.post("/api/scan", headers=h).status_code == 200
    wait_for_state(client, h, "idle")
    assert client.get("/api/bodymap", headers=h).json()["scanned"] is True

    r = client.post("/api/session/start", json={"program": "quick", "intensity": 2}, headers=h)
    assert r.status_code == 200, r.text
    wait_for_state(client, h, "running")
    r = client.post("/api/session/intensity", json={"delta": 1}, headers=h)
    assert r.status_code == 200, r.text
    r = client.post("/api/session/focus", json={"zone": "lumbar"}, headers=h)
    assert r.status_code == 200, r.text
    # a second start while running is refused with the chair's reason
    r = client.post("/api/session/start", json={"program": "lumbar"}, headers=h)
    assert r.status_code == 409 and "stop it first" in r.json()["detail"]
    time.sleep(0.3)
    s = client.get("/api/state", headers=h).json()
    assert s["intensity"] == 3 and s["focus"] == "lumbar"
    assert client.post("/api/session/stop", headers=h).status_code == 200
    s = wait_for_state(client, h, "stopped")
    roller = s["roller"]
    assert isinstance(roller, dict) and roller["force_n"] is not None
    # the session is in the history, as it ended
    end = time.monotonic() + 10
    while not (rows := client.get("/api/history", headers=h).json()) and time.monotonic() < end:
        time.sleep(0.1)
    assert [(r["program"], r["outcome"], r["intensity"]) for r in rows] == [("quick", "stopped", 2)]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/session/intensity", {"value": 9}, "value"),
        ("/api/session/intensity", {"delta": "up"}, "delta"),
        ("/api/session/shoulder", {"mm": 400}, "mm"),
        ("/api/recline", {"preset": "flat"}, "preset"),
        ("/api/session/start", {"program": "quick", "intensity": 0}, "intensity"),
        ("/api/session/heat", {}, "on"),
    ],
)
def test_out_of_range_requests_name_the_field(
    client: TestClient, chair: WebChair, path: str, body: dict[str, object], field: str
) -> None:
    h = pair(client, chair)
    r = client.post(path, json=body, headers=h)
    assert r.status_code == 422
    assert field in [str(p) for e in r.json()["detail"] for p in e["loc"]]


def test_recline_moves_the_backrest(client: TestClient, chair: WebChair) -> None:
    h = pair(client, chair)
    r = client.post("/api/recline", json={"preset": "zero-gravity"}, headers=h)
    assert r.status_code == 200, r.text
    end = time.monotonic() + 10
    while time.monotonic() < end:
        back = client.get("/api/state", headers=h).json()["recline"]["backrest_deg"]
        if back > 140:
            break
        time.sleep(0.1)
    assert back > 140, back


def test_refused_focus_says_why(client: TestClient, chair: WebChair) -> None:
    h = pair(client, chair)
    r = client.post("/api/session/focus", json={"zone": "elbow"}, headers=h)
    assert r.status_code == 409 and "unknown zone 'elbow'" in r.json()["detail"]


def test_a_revoked_token_stops_working_at_once_even_on_an_open_socket(
    client: TestClient, chair: WebChair
) -> None:
    phone = pair(client, chair, "phone")
    tablet = pair(client, chair, "tablet")
    devices = client.get("/api/devices", headers=tablet).json()
    phone_id = next(d["id"] for d in devices if d["name"] == "phone")
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"token": phone["Authorization"].split()[1]})
        first = ws.receive_json()
        assert first["activity"] == "idle"
        r = client.delete(f"/api/devices/{phone_id}", headers=tablet)
        assert r.status_code == 200
        t0 = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as err:
            for _ in range(200):  # frames already queued may still arrive; then the close
                ws.receive_text()
        assert err.value.code == 4403
        assert time.monotonic() - t0 < 1.0
    assert client.get("/api/state", headers=phone).status_code == 401
    assert client.post("/api/session/stop", headers=phone).status_code == 401
    assert client.get("/api/state", headers=tablet).status_code == 200


def test_codes_are_handed_out_at_most_once_a_second(client: TestClient, chair: WebChair) -> None:
    assert client.post("/api/pair/request", json={"device_name": "a"}).status_code == 200
    r = client.post("/api/pair/request", json={"device_name": "b"})
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert len(chair.console.shown) == 1  # the console was not written to
    chair.clock.t += 1.0
    assert client.post("/api/pair/request", json={"device_name": "b"}).status_code == 200


def test_pairing_codes_expire(client: TestClient, chair: WebChair) -> None:
    rid = client.post("/api/pair/request", json={"device_name": "x"}).json()["request_id"]
    chair.clock.t += CODE_LIFETIME_S + 1
    r = client.post("/api/pair/confirm", json={"request_id": rid, "code": chair.console.last_code})
    assert r.status_code == 410 and "expired" in r.json()["detail"]


def test_brute_forcing_the_code_is_bounded(client: TestClient, chair: WebChair) -> None:
    rid = client.post("/api/pair/request", json={"device_name": "x"}).json()["request_id"]
    right = chair.console.last_code
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = [
        client.post("/api/pair/confirm", json={"request_id": rid, "code": wrong}).status_code
        for _ in range(MAX_WRONG_CODES)
    ]
    assert statuses == [403] * (MAX_WRONG_CODES - 1) + [429]
    # locked: even the right code and new requests are refused, with Retry-After
    r = client.post("/api/pair/confirm", json={"request_id": rid, "code": right})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= LOCKOUT_S - 1
    assert client.post("/api/pair/request", json={"device_name": "y"}).status_code == 429
    # after the lockout a new code works; the old request was voided
    chair.clock.t += LOCKOUT_S + 1
    assert (
        client.post("/api/pair/confirm", json={"request_id": rid, "code": right}).status_code == 404
    )
    pair(client, chair)


def test_tokens_never_reach_the_logs(
    client: TestClient, chair: WebChair, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = pair(client, chair)
    token = h["Authorization"].split()[1]
    client.get("/api/state", headers=h)
    client.get(f"/api/state?token={token}", headers=h)
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert "GET /api/state 200" in server_lines
    assert not [line for line in server_lines if token in line]


def test_upload_shows_errors_like_programs_validate(client: TestClient, chair: WebChair) -> None:
    h = pair(client, chair)
    bad = (
        'id = "mine"\nname = "Mine"\ndescription = "x"\nminutes = 1\n\n'
        "[[step]]\nseconds = 60\ndepth = 7\n"
    )
    r = client.post("/api/programs", json={"toml": bad}, headers=h)
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert any(e.startswith("8: step 1: depth:") for e in errors), errors
    good = bad.replace("depth = 7", "depth = 0.5")
    r = client.post("/api/programs", json={"toml": good}, headers=h)
    assert r.status_code == 200, r.text
    assert (chair.programs_dir / "mine.toml").exists()
    ids = [p["id"] for p in client.get("/api/programs", headers=h).json()]
    assert "mine" in ids and "quick" in ids
    shown = client.get("/api/programs/mine", headers=h).json()
    assert shown["builtin"] is False and shown["program"]["step"][0]["depth"] == 0.5


def test_revoking_from_another_process_closes_an_open_socket_within_a_second(
    client: TestClient, chair: WebChair, tmp_path: Path
) -> None:
    from openchair.store.database import open_store
    from openchair.store.devices import list_devices, revoke_device

    h = pair(client, chair, "kitchen tablet")
    other = open_store(None, str(tmp_path))  # what `openchair devices revoke` opens
    try:
        with client.websocket_connect("/api/ws") as ws:
            ws.send_json({"token": h["Authorization"].split()[1]})
            ws.receive_json()
            (device,) = list_devices(other)
            assert revoke_device(other, device.id) is not None
            t0 = time.monotonic()
            # Read frames for up to 5 s of wall time (the chair runs at 20x, so frames come fast;
            # a count of frames would give up before the one-second watch had a chance).
            with pytest.raises(WebSocketDisconnect) as err:
                while time.monotonic() - t0 < 5.0:
                    ws.receive_text()
            assert err.value.code == 4403
            assert time.monotonic() - t0 < 2.0
    finally:
        other.close()
    assert client.get("/api/state", headers=h).status_code == 401


def test_devices_command_lists_and_revokes(
    client: TestClient, chair: WebChair, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from openchair.cli.app import _register_commands, app

    _register_commands()
    h = pair(client, chair, "Ben's phone")
    runner = CliRunner()
    listed = runner.invoke(app, ["devices", "list", "--data-dir", str(tmp_path), "--json"])
    assert listed.exit_code == 0, listed.output
    assert h["Authorization"].split()[1] not in listed.output  # never the token
    (row,) = json.loads(listed.output)
    assert row["name"] == "Ben's phone"
    revoked = runner.invoke(app, ["devices", "revoke", str(row["id"]), "--data-dir", str(tmp_path)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.get("/api/state", headers=h).status_code == 401
    again = runner.invoke(app, ["devices", "revoke", str(row["id"]), "--data-dir", str(tmp_path)])
    assert again.exit_code == 1


def test_serving_on_the_network_says_how_to_pair(tmp_path: Path) -> None:
    import asyncio
    import io

    from rich.console import Console

    from openchair.service.factory import ServiceOptions, build_service
    from openchair.web.launch import WebOptions, start_web

    out = io.StringIO()
    console = Console(file=out, width=200)

    async def main() -> None:
        service = build_service(ServiceOptions(speed=None, store=False))
        async with service:
            server = await start_web(
                service, WebOptions("0.0.0.0", 0, None, str(tmp_path)), console
            )
            assert server is not None
            server.app.state.ctx.pairing.request("Anna's phone")
            await server.stop()

    asyncio.run(main())
    text = out.getvalue()
    assert "from a phone on the home network and choose 'Pair'" in text
    assert "Anna's phone asks to pair; code " in text
