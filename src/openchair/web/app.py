"""``create_app``: the FastAPI application of one chair service (API, WebSocket, web remote)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from openchair.service.service import ChairService
from openchair.store.database import Store
from openchair.web import (
    routes_care,
    routes_diary,
    routes_history,
    routes_pairing,
    routes_people,
    routes_posture,
    routes_programs,
    routes_session,
    ws,
)
from openchair.web.care_desk import CareDesk
from openchair.web.context import WebContext
from openchair.web.devices import DeviceRegistry
from openchair.web.models import Health
from openchair.web.pairing import PairingDesk

log = logging.getLogger("openchair.web")

DESCRIPTION = """The HTTP + WebSocket API of one openchair chair.

Every endpoint except `/api/health` and the pairing handshake (`/api/pair/request`,
`/api/pair/confirm`) needs `Authorization: Bearer TOKEN`, the token a device gets when it is
paired. A command the chair refuses answers **409** with the reason in `detail`; a malformed or
out-of-range request answers **422** naming the field. The state stream is the WebSocket
`/api/ws`: send `{"token": "..."}` first.
"""


def static_dir() -> Path:
    return Path(str(resources.files("openchair.web") / "static"))


def create_app(
    service: ChairService,
    store: Store,
    *,
    pairing: PairingDesk,
    devices: DeviceRegistry | None = None,
    care: CareDesk | None = None,
) -> FastAPI:
    """The application; the caller opens and closes ``service`` and ``store``."""
    app = FastAPI(
        title="openchair",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = WebContext(
        service=service, store=store, devices=devices or DeviceRegistry(store), pairing=pairing
    )
    app.state.care = care or CareDesk()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own shape (detail: [{loc, msg, type}]), without echoing the input back.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """One line per request: method, path and status; never the query or the headers (a
        token is never in a log)."""
        response = await call_next(request)
        log.info("%s %s %d", request.method, request.url.path, response.status_code)
        return response

    @app.get("/api/health", response_model=Health, tags=["state"])
    async def health() -> Health:
        return Health(ok=True, chair=service.loop.description.model, running=service.loop.running)

    for module in (
        routes_pairing,
        routes_programs,
        routes_people,
        routes_session,
        routes_history,
        routes_care,
        routes_diary,
        routes_posture,
        ws,
    ):
        app.include_router(module.router)

    root = static_dir()
    app.mount("/static", StaticFiles(directory=root), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(root / "index.html", headers={"Cache-Control": "no-cache"})

    return app
