"""Running the web application with uvicorn on the chair service's own asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI


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
    )
    return _Server(config)


async def start_server(server: uvicorn.Server) -> asyncio.Task[None]:
    """Start serving; returns once the socket is bound (or raises if it cannot be)."""
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise OSError("the web server did not start")
        await asyncio.sleep(0.02)
    return task


async def stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 5.0)


def quiet_access_loggers() -> None:
    logging.getLogger("uvicorn.access").disabled = True
