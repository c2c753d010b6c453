"""Shared set-up of the web tests: a chair service on the twin, its web app, and pairing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from openchair.programs.loader import ProgramLibrary
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.service import ChairService
from openchair.store.database import open_store
from openchair.web.app import create_app
from openchair.web.care_desk import CareDesk
from openchair.web.pairing import PairingDesk


@dataclass
class FakeClock:
    """Monotonic seconds that a test moves by hand (pairing codes, lockouts)."""

    t: float = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Console:
    """What the chair's console showed: (device name, code) per pairing request."""

    shown: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, name: str, code: str) -> None:
        self.shown.append((name, code))

    @property
    def last_code(self) -> str:
        return self.shown[-1][1]


@dataclass
class WebChair:
    app: FastAPI
    service: ChairService
    console: Console
    clock: FakeClock
    programs_dir: Path


@contextmanager
def web_chair(tmp_path: Path, *, speed: float | None = 20.0) -> Iterator[WebChair]:
    """A running chair service (twin, simulated clock at ``speed``× real time) and its app."""
    store = open_store(None, str(tmp_path))
    programs_dir = tmp_path / "programs"
    service = build_service(
        ServiceOptions(speed=speed, data_dir=str(tmp_path)),
        programs=ProgramLibrary(programs_dir),
    )
    console, clock = Console(), FakeClock()
    app = create_app(service, store, pairing=PairingDesk(console, now=clock))
    service.open()
    try:
        yield WebChair(app, service, console, clock, programs_dir)
    finally:
        service.close()
        store.close()


def pair(client: TestClient, chair: WebChair, name: str = "test phone") -> dict[str, str]:
    """Pair a device through the API; the headers that carry its token."""
    chair.clock.t += 2.0  # past the one-request-a-second limit of the previous pairing
    r = client.post("/api/pair/request", json={"device_name": name})
    assert r.status_code == 200, r.text
    rid = r.json()["request_id"]
    r = client.post("/api/pair/confirm", json={"request_id": rid, "code": chair.console.last_code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@dataclass
class LiveServer:
    """``openchair serve`` as a test runs it: service and web server on one asyncio loop in a
    background thread, on a free port."""

    url: str
    service: ChairService
    console: Console
    clock: FakeClock


@contextmanager
def live_server(
    tmp_path: Path, *, speed: float | None = 4.0, care: CareDesk | None = None
) -> Iterator[LiveServer]:
    import asyncio
    import threading

    from openchair.web.server import WebServer

    ready = threading.Event()
    loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    holder: list[LiveServer] = []
    failure: list[BaseException] = []
    console, clock = Console(), FakeClock()
    service = build_service(
        ServiceOptions(speed=speed, data_dir=str(tmp_path)),
        programs=ProgramLibrary(tmp_path / "programs"),
    )

    async def main() -> None:
        web = WebServer(
            service,
            host="127.0.0.1",
            port=0,
            show_code=console,
            data_dir=str(tmp_path),
            now=clock,
            care=care,
        )
        async with service:
            await web.start()
            holder.append(LiveServer(f"http://127.0.0.1:{web.port}", service, console, clock))
            done = asyncio.Event()
            loops.append((asyncio.get_running_loop(), done))
            ready.set()
            await done.wait()
            await web.stop()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as err:  # reported to the test below
            failure.append(err)
            ready.set()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    ready.wait(30)
    if failure or not holder:
        raise RuntimeError(f"the server did not start: {failure}")
    try:
        yield holder[0]
    finally:
        loop, done = loops[0]
        loop.call_soon_threadsafe(done.set)
        thread.join(15)
