"""Pairing (no token needed) and the paired devices (token needed)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from openchair.web.auth import BAD_BODY, NEEDS_TOKEN, Ctx, Device
from openchair.web.models import (
    DeviceOut,
    PairConfirmIn,
    PairConfirmOut,
    PairRequestIn,
    PairRequestOut,
    Problem,
)
from openchair.web.pairing import PairingRefusedError

router = APIRouter(tags=["pairing"])


def _refusal(err: PairingRefusedError) -> JSONResponse:
    headers = {}
    if err.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(err.retry_after_s)))
    return JSONResponse({"detail": err.message}, status_code=err.status, headers=headers)


def clean_name(name: str) -> str:
    """A device name fit for a console line and a list: printable, one line."""
    text = "".join(ch if ch.isprintable() else " " for ch in name).strip()
    return text[:80] or "device"


@router.post(
    "/api/pair/request",
    response_model=PairRequestOut,
    responses={**BAD_BODY, 429: {"model": Problem}},
    summary="Ask to pair: the chair shows a code on its console",
)
async def pair_request(body: PairRequestIn, ctx: Ctx) -> PairRequestOut | JSONResponse:
    try:
        req = ctx.pairing.request(clean_name(body.device_name))
    except PairingRefusedError as err:
        return _refusal(err)
    left = ctx.pairing.seconds_left(req)
    return PairRequestOut(
        request_id=req.id,
        expires_in_s=round(left, 1),
        message="type the code the chair shows on its console",
    )


@router.post(
    "/api/pair/confirm",
    response_model=PairConfirmOut,
    responses={
        **BAD_BODY,
        403: {"model": Problem},
        404: {"model": Problem},
        410: {"model": Problem},
        429: {"model": Problem},
    },
    summary="Give the code: the device gets its token",
)
async def pair_confirm(body: PairConfirmIn, ctx: Ctx) -> PairConfirmOut | JSONResponse:
    try:
        req = ctx.pairing.confirm(body.request_id, body.code)
    except PairingRefusedError as err:
        return _refusal(err)
    token, device = await asyncio.to_thread(ctx.devices.issue, req.device_name)
    return PairConfirmOut(token=token, device_id=device.id, device_name=device.name)


@router.get("/api/devices", response_model=list[DeviceOut], tags=["devices"], responses=NEEDS_TOKEN)
async def devices(ctx: Ctx, me: Device) -> list[DeviceOut]:
    found = await asyncio.to_thread(ctx.devices.devices)
    return [
        DeviceOut(
            id=d.id,
            name=d.name,
            created_at=d.created_at.isoformat(timespec="seconds"),
            last_seen_at=d.last_seen_at.isoformat(timespec="seconds") if d.last_seen_at else None,
            this_device=d.id == me.id,
        )
        for d in found
    ]


@router.delete(
    "/api/devices/{device_id}",
    response_model=DeviceOut,
    responses={**NEEDS_TOKEN, 404: {"model": Problem}},
    tags=["devices"],
    summary="Revoke a device: its token stops working at once",
)
async def revoke(device_id: int, ctx: Ctx, me: Device) -> DeviceOut:
    if not -(2**62) < device_id < 2**62:
        raise HTTPException(404, f"device_id: no paired device {device_id}")
    d = await ctx.devices.revoke(device_id)
    if d is None:
        raise HTTPException(404, f"device_id: no paired device {device_id}")
    return DeviceOut(
        id=d.id,
        name=d.name,
        created_at=d.created_at.isoformat(timespec="seconds"),
        last_seen_at=d.last_seen_at.isoformat(timespec="seconds") if d.last_seen_at else None,
        this_device=d.id == me.id,
    )
