"""People, who is seated, their body maps, and the scan."""

from __future__ import annotations

import asyncio
import math

import numpy as np
from fastapi import APIRouter, HTTPException

from openchair.body.bodymap import BodyMap, BodyMapBatch
from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.service.people import MemoryPeople, PersonInfo
from openchair.store.people import PersonError, StorePeople, add_person, remove_person
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.models import AnswerOut, BodyMapOut, PersonIn, PersonOut, Problem, SeatIn
from openchair.web.routes_session import answer_or_409

router = APIRouter(tags=["people"], responses=NEEDS_TOKEN)


def _person(p: PersonInfo) -> PersonOut:
    return PersonOut(
        name=p.name,
        default_intensity=p.default_intensity,
        heat=p.heat,
        favourite_programs=list(p.favourite_programs),
    )


def _mm(value: object) -> float | None:
    v = float(value)  # type: ignore[arg-type]
    return round(v, 1) if math.isfinite(v) else None


def map_out(
    maps: BodyMapBatch, person: str | None, scanned: bool, y_min: float, y_max: float
) -> BodyMapOut:
    """The first map of ``maps`` as the API shows it; a value that is not a finite number (a
    damaged saved map) is ``null``, never a NaN the JSON encoder would refuse."""
    lm = {n: _mm(maps.landmarks_y_mm[0, i]) for i, n in enumerate(LANDMARKS)}
    regions = {}
    for r in REGION_NAMES:
        lo, hi = maps.region_bounds_mm(r)
        regions[r] = [_mm(lo[0]), _mm(hi[0])]
    depth = {r: _mm(maps.comfortable_depth_mm[0, i]) for i, r in enumerate(REGION_NAMES)}
    spots = (
        [round(float(v), 1) for v in maps.tight_spots_y_mm[0] if np.isfinite(v)]
        if (maps.tight_spots_y_mm.size)
        else []
    )
    return BodyMapOut(
        person=person,
        scanned=scanned,
        landmarks_y_mm=lm,
        regions=regions,
        comfortable_depth_mm=depth,
        tight_spots_y_mm=spots,
        track_min_mm=y_min,
        track_max_mm=y_max,
    )


@router.get("/api/people", response_model=list[PersonOut])
async def people(ctx: Ctx, _: Device) -> list[PersonOut]:
    return [_person(p) for p in await ctx.service.people()]


@router.post(
    "/api/people",
    response_model=PersonOut,
    status_code=201,
    responses={409: {"model": Problem}},
)
async def add(body: PersonIn, ctx: Ctx, _: Device) -> PersonOut:
    directory = ctx.service.directory
    try:
        if isinstance(directory, StorePeople):
            info = await asyncio.to_thread(
                add_person,
                directory.store,
                body.name,
                default_intensity=body.default_intensity,
                heat=body.heat,
            )
        elif isinstance(directory, MemoryPeople):
            name = body.name.strip()
            if not name or not name.isprintable():
                raise PersonError("name: a person needs a printable name")
            if directory.person(name) is not None:
                raise PersonError(f"{name!r} is already known")
            info = PersonInfo(name, body.default_intensity, body.heat)
            directory.add(info)
        else:
            raise PersonError("this chair keeps no list of people")
    except PersonError as err:
        raise HTTPException(409, f"name: {err}") from None
    return _person(info)


@router.delete("/api/people/{name}", response_model=AnswerOut, responses={404: {"model": Problem}})
async def remove(name: str, ctx: Ctx, _: Device) -> AnswerOut:
    directory = ctx.service.directory
    if not isinstance(directory, StorePeople):
        raise HTTPException(404, f"name: {name!r} cannot be removed here")
    try:
        await asyncio.to_thread(remove_person, directory.store, name)
    except PersonError as err:
        raise HTTPException(404, f"name: {err}") from None
    return AnswerOut(accepted=True, reason=f"{name} forgotten; their sessions stay in the history")


@router.get(
    "/api/people/{name}/bodymap",
    response_model=BodyMapOut,
    responses={404: {"model": Problem}},
    summary="A person's newest saved body map",
)
async def person_map(name: str, ctx: Ctx, _: Device) -> BodyMapOut:
    directory = ctx.service.directory
    saved: BodyMap | None = await asyncio.to_thread(directory.latest_map, name)
    if saved is None:
        raise HTTPException(404, f"name: no saved body map for {name!r}: scan first")
    d = ctx.service.loop.description
    return map_out(
        BodyMapBatch.from_maps([saved]), name, True, d.carriage_y_min_mm, d.carriage_y_max_mm
    )


@router.get("/api/bodymap", response_model=BodyMapOut, summary="The seated person's body map")
async def seated_map(ctx: Ctx, _: Device) -> BodyMapOut:
    loop = ctx.service.loop
    d = loop.description
    return map_out(loop.maps, loop.person, loop.has_map, d.carriage_y_min_mm, d.carriage_y_max_mm)


@router.post(
    "/api/seat",
    response_model=AnswerOut,
    responses={409: {"model": Problem}},
    summary="Choose who is seated (null: a guest)",
)
async def seat(body: SeatIn, ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.select_person(body.name))


@router.post(
    "/api/scan",
    response_model=AnswerOut,
    responses={409: {"model": Problem}},
    summary="Scan the seated person's back (about 17 s)",
)
async def scan(ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.scan())
