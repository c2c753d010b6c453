"""Session commands. An accepted command answers 200; a refused one 409 with the chair's reason
("nobody is seated", "a session is running; stop it first")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import ValidationError

from openchair.programs.manual import ManualSettings, manual_program
from openchair.service.answer import Answer
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.models import (
    AnswerOut,
    FocusIn,
    HeatIn,
    IntensityIn,
    ManualChangeIn,
    ManualStartIn,
    Problem,
    ReclineIn,
    ShoulderIn,
    StartIn,
    StateOut,
)

router = APIRouter(tags=["session"], responses=NEEDS_TOKEN)
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The chair refused; detail says why."}
}


def answer_or_409(answer: Answer) -> AnswerOut:
    if not answer.accepted:
        raise HTTPException(409, answer.reason or "refused")
    return AnswerOut(accepted=True, reason=answer.reason, session=answer.session)


@router.get(
    "/api/state", response_model=StateOut, responses={409: {"model": Problem}}, tags=["state"]
)
async def state(ctx: Ctx, _: Device) -> StateOut:
    frame = ctx.service.snapshot()
    if frame is None:
        raise HTTPException(409, "the chair has not reported yet; try again in a moment")
    return StateOut.model_validate(frame.to_dict())


@router.post("/api/session/start", response_model=AnswerOut, responses=REFUSED)
async def start(body: StartIn, ctx: Ctx, _: Device) -> AnswerOut:
    if body.program not in ctx.library.ids():
        raise HTTPException(409, f"program: no program {body.program!r}")
    return answer_or_409(await ctx.service.start(body.program, body.intensity))


def _check_manual(settings: ManualSettings) -> None:
    """Settings the model accepts but the program built from them does not (an unknown air
    zone or body zone): 422 naming the field, as for any other malformed value."""
    try:
        manual_program(settings)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HTTPException(
            422, [{"loc": ["body", "settings", where], "msg": first["msg"], "type": "value_error"}]
        ) from None


@router.post("/api/session/manual", response_model=AnswerOut, responses=REFUSED)
async def start_manual(body: ManualStartIn, ctx: Ctx, _: Device) -> AnswerOut:
    _check_manual(body.settings)
    return answer_or_409(await ctx.service.start(body.settings, body.settings.intensity))


@router.patch("/api/session/manual", response_model=AnswerOut, responses=REFUSED)
async def change_manual(body: ManualChangeIn, ctx: Ctx, _: Device) -> AnswerOut:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise HTTPException(409, "give at least one manual setting to change")
    _check_manual(ManualSettings.model_validate(changes))
    return answer_or_409(await ctx.service.manual(**changes))


@router.post("/api/session/stop", response_model=AnswerOut, responses=REFUSED)
async def stop(ctx: Ctx, _: Device) -> AnswerOut:
    """Always accepted: the chair goes to its safe state on the next tick, latched."""
    return answer_or_409(await ctx.service.stop())


@router.post("/api/session/reset", response_model=AnswerOut, responses=REFUSED)
async def reset(ctx: Ctx, _: Device) -> AnswerOut:
    """Clear a latched stop or fault once its cause is dealt with."""
    return answer_or_409(await ctx.service.reset())


@router.post("/api/session/pause", response_model=AnswerOut, responses=REFUSED)
async def pause(ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.pause())


@router.post("/api/session/resume", response_model=AnswerOut, responses=REFUSED)
async def resume(ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.resume())


@router.post("/api/session/intensity", response_model=AnswerOut, responses=REFUSED)
async def intensity(body: IntensityIn, ctx: Ctx, _: Device) -> AnswerOut:
    if (body.delta is None) == (body.value is None):
        raise HTTPException(409, "delta, value: give either a change (+1, -1) or a value (1..5)")
    return answer_or_409(await ctx.service.intensity(body.delta, value=body.value))


@router.post("/api/session/focus", response_model=AnswerOut, responses=REFUSED)
async def focus(body: FocusIn, ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.focus(body.zone))


@router.post("/api/session/heat", response_model=AnswerOut, responses=REFUSED)
async def heat(body: HeatIn, ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.heat(body.on))


@router.post("/api/session/shoulder", response_model=AnswerOut, responses=REFUSED)
async def shoulder(body: ShoulderIn, ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.shoulder_nudge(body.mm))


@router.post("/api/recline", response_model=AnswerOut, responses=REFUSED)
async def recline(body: ReclineIn, ctx: Ctx, _: Device) -> AnswerOut:
    return answer_or_409(await ctx.service.recline(body.preset))
