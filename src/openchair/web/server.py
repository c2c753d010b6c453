"""Running the web application with uvicorn on the chair service's own asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from openchair.care.settings import data_dir as care_data_dir
from openchair.service.service import ChairService
from openchair.store.database import open_store
from openchair.web.app import create_app
from openchair.web.care_desk import CareDesk
from openchair.web.pairing import PairingDesk


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: ``openchair serve`` handles SIGINT/SIGTERM and
    closes the service and the server together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def make_server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # uvicorn's access line holds the query string; ours does not
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
        ws_ping_interval=20.0,
        # compressing ~1 kB frames costs a zlib pass per client per frame, for little gain
        ws_per_message_deflate=False,
    )
    return _Server(config)


class WebServer:
    """The API and the remote of one service, on ``host:port``, in the running asyncio loop."""

    def __init__(
        self,
        service: ChairService,
        *,
        host: str,
        port: int,
        show_code: Callable[[str, str], None],
        db_url: str | None = None,
        data_dir: str | None = None,
        now: Callable[[], float] | None = None,
        care: CareDesk | None = None,
    ) -> None:
        self.store = open_store(db_url, data_dir)
        desk = PairingDesk(show_code, now=now) if now is not None else PairingDesk(show_code)
        if care is None:  # posture summaries next to the chair's database
            care = CareDesk(data_dir=Path(data_dir) if data_dir else care_data_dir())
        self.app = create_app(service, self.store, pairing=desk, care=care)
        self.server = make_server(self.app, host, port)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        for s in self.server.servers:
            for sock in s.sockets:
                return int(sock.getsockname()[1])
        return self.server.config.port

    async def start(self) -> None:
        """Start serving; returns once the socket is bound, raises OSError if it cannot be."""
        cfg = self.server.config
        family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((cfg.host, cfg.port))
        except OSError as err:
            sock.close()
            raise OSError(f"cannot listen on {cfg.host}:{cfg.port}: {err.strerror}") from None
        sock.set_inheritable(True)
        self._task = asyncio.get_running_loop().create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self._task.done():
                exc = self._task.exception() if not self._task.cancelled() else None
                raise OSError(f"the web server did not start: {exc or 'cancelled'}")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception, SystemExit):
                await asyncio.wait_for(self._task, 5.0)
        self.store.close()
