"""Programs: the tiles, one program in full, the file format's JSON Schema, and uploads."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from openchair.programs.loader import ProgramError, parse_program
from openchair.programs.model import Program
from openchair.programs.summary import summarize
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.models import Problem, ProgramCheckOut, ProgramOut, ProgramTile, ProgramUploadIn

router = APIRouter(tags=["programs"], responses=NEEDS_TOKEN)

PROGRAM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _tile(p: Program, pid: str, builtin: bool) -> ProgramTile:
    return ProgramTile(
        id=pid, name=p.name, minutes=p.minutes, description=p.description, builtin=builtin
    )


def _load(ctx: Ctx, program_id: str) -> Program:
    lib = ctx.library
    if program_id not in lib.ids():
        raise HTTPException(404, f"program_id: no program {program_id!r}")
    try:
        return lib.get(program_id)
    except ProgramError as err:
        raise HTTPException(
            409, f"program {program_id!r} cannot be used: {err.messages[0]}"
        ) from None


@router.get("/api/programs", response_model=list[ProgramTile])
async def programs(ctx: Ctx, _: Device) -> list[ProgramTile]:
    def tiles() -> list[ProgramTile]:
        out = []
        for pid in ctx.library.ids():
            try:
                p = ctx.library.get(pid)
            except ProgramError:
                continue  # a broken user file is listed by `programs validate`, not as a tile
            out.append(_tile(p, pid, ctx.library.is_builtin(pid)))
        return out

    return await asyncio.to_thread(tiles)


@router.get("/api/programs/schema", response_model=dict[str, Any])
async def program_schema(_: Device) -> dict[str, Any]:
    """The program file format as JSON Schema (what ``openchair programs schema`` prints)."""
    data = Program.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "openchair massage program"
    return data


@router.get(
    "/api/programs/{program_id}",
    response_model=ProgramOut,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def program(program_id: str, ctx: Ctx, _: Device) -> ProgramOut:
    p = await asyncio.to_thread(_load, ctx, program_id)
    summary = summarize(p)
    return ProgramOut(
        id=program_id,
        name=p.name,
        minutes=p.minutes,
        description=p.description,
        builtin=ctx.library.is_builtin(program_id),
        program=p.model_dump(mode="json", exclude_none=True),
        seconds_by_zone={k: round(v, 1) for k, v in summary.seconds_by_zone.items()},
    )


def check_upload(text: str, builtin_ids: list[str]) -> tuple[Program | None, list[str]]:
    """The program in ``text``, or every problem as ``line: step N: field: problem``."""
    try:
        p = parse_program(text, "upload")
    except ProgramError as err:
        return None, [m.removeprefix("upload:") for m in err.messages]
    except (ValueError, TypeError, RecursionError) as err:
        return None, [f"not a program file: {err}"]
    if p.id is None:
        return None, ['id: give the program an id (e.g. id = "my-evening")']
    if not PROGRAM_ID.match(p.id):
        return None, [f"id: {p.id!r} must be lower-case letters, digits and '-' (at most 60)"]
    if p.id in builtin_ids:
        return None, [f"id: {p.id!r} is a built-in program; choose another id"]
    return p, []


@router.post(
    "/api/programs",
    response_model=ProgramCheckOut,
    responses={
        400: {
            "model": ProgramCheckOut | Problem,
            "description": "The program's errors (ProgramCheckOut), or a body that is not JSON.",
        }
    },
    summary="Check, and keep, a person's own program (TOML text)",
)
async def upload(body: ProgramUploadIn, ctx: Ctx, _: Device) -> ProgramCheckOut | JSONResponse:
    lib = ctx.library
    p, errors = check_upload(body.toml, lib.builtin_ids())
    if p is None or p.id is None:
        return JSONResponse(ProgramCheckOut(ok=False, errors=errors).model_dump(), 400)
    pid = p.id
    if body.save:

        def write() -> str | None:
            try:
                lib.user_dir.mkdir(parents=True, exist_ok=True)
                (lib.user_dir / f"{pid}.toml").write_text(body.toml, encoding="utf-8")
            except OSError as err:
                return f"cannot keep it in {lib.user_dir}: {err.strerror or err}"
            return None

        problem = await asyncio.to_thread(write)
        if problem is not None:
            return JSONResponse(ProgramCheckOut(ok=False, errors=[problem]).model_dump(), 400)
    return ProgramCheckOut(ok=True, errors=[], program=_tile(p, pid, False))
