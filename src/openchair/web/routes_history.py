"""The history of sessions, newest last."""

from __future__ import annotations

import asyncio
import math
from typing import Annotated

from fastapi import APIRouter, Query

from openchair.store.history import history
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.models import HistoryOut

router = APIRouter(tags=["history"], responses=NEEDS_TOKEN)


def _finite(value: object) -> object:
    """A NaN or infinity (a session that recorded no reading) is ``null`` in JSON."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


@router.get("/api/history", response_model=list[HistoryOut])
async def sessions(
    ctx: Ctx,
    _: Device,
    person: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[HistoryOut]:
    entries = await asyncio.to_thread(history, ctx.store, person, limit)
    out = []
    for e in entries:
        d = {k: _finite(v) for k, v in e.to_dict().items()}
        d["seconds_by_zone"] = {k: v for k, v in e.seconds_by_zone.items() if math.isfinite(v)}
        d["safety_events"] = len(e.events)
        out.append(HistoryOut.model_validate(d))
    return out
