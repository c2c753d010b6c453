"""The state stream over a WebSocket.

A browser cannot put a header on a WebSocket and a token in the URL would land in logs, so the
client's first message is ``{"token": "..."}`` (within ``AUTH_TIMEOUT_S``). Then the server sends
every state frame as JSON text (the ``StateOut`` shape of ``GET /api/state``), about 20 a
second. A revoked token closes the socket at once with code 4403; a bad or missing token closes
it with 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from openchair.service.hub import Subscription
from openchair.web.context import WebContext

router = APIRouter()

AUTH_TIMEOUT_S = 5.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_REVOKED = 4403


async def _first_token(ws: WebSocket) -> str | None:
    try:
        text = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S)
        data = json.loads(text)
    except (TimeoutError, ValueError, KeyError, RuntimeError):
        return None
    token = data.get("token") if isinstance(data, dict) else None
    return token if isinstance(token, str) else None


@router.websocket("/api/ws")
async def state_stream(ws: WebSocket) -> None:
    ctx: WebContext = ws.app.state.ctx
    await ws.accept()
    try:
        token = await _first_token(ws)
    except WebSocketDisconnect:
        return
    device = await asyncio.to_thread(ctx.devices.authenticate, token) if token else None
    if token is None or device is None:
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_UNAUTHORIZED, "pair this device first")
        return
    revoked = ctx.devices.watch(token)
    sub = ctx.service.subscribe()
    sender = asyncio.ensure_future(_send_frames(ws, ctx, sub))
    incoming = asyncio.ensure_future(_drain_client(ws))
    gone = asyncio.ensure_future(revoked.wait())
    try:
        await asyncio.wait({sender, gone, incoming}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sub.close()
        ctx.devices.unwatch(token, revoked)
        for task in (sender, incoming, gone):
            task.cancel()
    if revoked.is_set():
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_REVOKED, "this device was revoked")


async def _send_frames(ws: WebSocket, ctx: WebContext, sub: Subscription) -> None:
    """Every frame, as it comes; a slow client loses the oldest frames, never slows others."""
    encode = ctx.frame_text.of
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, StopAsyncIteration, OSError):
        async for frame in sub:
            await ws.send_text(encode(frame))


async def _drain_client(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, so its disconnect is noticed at once."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            msg = await ws.receive()
            if msg.get("type") == "websocket.disconnect":
                return
