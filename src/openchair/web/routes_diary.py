"""The pain diary: the form, an entry (a red-flag "yes" answers with the calm message alone and
holds the chair's programs for that person), "I have been seen", the health status the start
gate uses, and the trend (JSON and PNG)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from openchair.care.diary import NOTES_MAX, STIFFNESS_MAX_MIN, DiaryError
from openchair.care.diary_store import (
    CareDataError,
    StoreBreakRepository,
    check_screening_answers,
)
from openchair.care.diary_views import (
    add_entry_view,
    confirm_hold_view,
    confirm_seen_view,
    diary_form_view,
    health_view,
    insight_png_view,
    insight_view,
    save_screening_view,
    screening_form_view,
)
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.routes_care import CARE_ERRORS, NO_PERSON, Person, care_error, desk

router = APIRouter(tags=["diary"], responses=NEEDS_TOKEN)
Weeks = Annotated[int, Query(ge=1, le=52)]
Short = Annotated[str, Field(max_length=80)]


class DiaryIn(BaseModel):
    """One entry; only ``pain`` is required. Red-flag answers default to no."""

    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    pain: int = Field(ge=0, le=10, description="0 no pain … 10 the worst imaginable")
    areas: list[Short] = Field(default_factory=list, max_length=15)
    stiffness_min: int | None = Field(None, ge=0, le=STIFFNESS_MAX_MIN)
    better: list[Short] = Field(default_factory=list, max_length=10)
    worse: list[Short] = Field(default_factory=list, max_length=10)
    notes: str = Field("", max_length=NOTES_MAX)
    red_flags: dict[str, bool] = Field(default_factory=dict)


class SeenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    note: str = Field("", max_length=500)


def _diary_422(err: DiaryError) -> HTTPException:
    """The diary's own words name the field first ("areas: unknown …")."""
    text = str(err)
    field = text.split(":", 1)[0] if ":" in text else "body"
    if field.startswith("unknown red-flag") or field.startswith("red-flag"):
        field = "red_flags"
    return HTTPException(422, [{"loc": ["body", field], "msg": text, "type": "value_error"}])


@router.get("/api/diary/form", response_model=dict[str, Any], summary="What the diary asks")
async def form(_: Device) -> dict[str, Any]:
    return diary_form_view()


@router.post("/api/diary", response_model=dict[str, Any], status_code=201, responses=NO_PERSON)
async def add(body: DiaryIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """Keep an entry. With any red-flag yes the answer is ``show_only: "red_flag"`` and the
    message: the page shows that alone, and the chair refuses programs for this person until
    ``POST /api/diary/seen``."""
    d = desk(request)
    payload = body.model_dump(exclude={"person"})
    try:
        return await asyncio.to_thread(
            add_entry_view, ctx.store, body.person, payload, d.rules(), d.now()
        )
    except DiaryError as err:
        raise _diary_422(err) from None
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.post("/api/diary/seen", response_model=dict[str, Any], responses=NO_PERSON)
async def seen(body: SeenIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """The person has been seen about the red flags noted so far: programs come back."""
    d = desk(request)
    try:
        return await asyncio.to_thread(
            confirm_seen_view, ctx.store, body.person, d.rules(), d.now(), body.note
        )
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.get("/api/diary/status", response_model=dict[str, Any], responses=NO_PERSON)
async def status(request: Request, ctx: Ctx, _: Device, person: Person) -> dict[str, Any]:
    """What the chair may do for this person now (held, restrictions) and why."""
    d = desk(request)
    try:
        return await asyncio.to_thread(health_view, ctx.store, person, d.rules())
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.get("/api/diary/insight", response_model=dict[str, Any], responses=NO_PERSON)
async def insight(
    request: Request, ctx: Ctx, _: Device, person: Person, weeks: Weeks = 8
) -> dict[str, Any]:
    """Pain by week beside sessions, breaks taken and sitting (and slouched) minutes."""
    d = desk(request)

    def build() -> dict[str, Any]:
        breaks = StoreBreakRepository(ctx.store, person).all()
        return insight_view(ctx.store, person, d.now(), weeks, breaks, d.posture(ctx.store, person))

    try:
        return await asyncio.to_thread(build)
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.get(
    "/api/diary/insight.png",
    response_class=Response,
    responses={**NO_PERSON, 200: {"content": {"image/png": {}}, "description": "The plot"}},
)
async def insight_png(
    request: Request, ctx: Ctx, _: Device, person: Person, weeks: Weeks = 8
) -> Response:
    d = desk(request)

    def build() -> bytes:
        breaks = StoreBreakRepository(ctx.store, person).all()
        return insight_png_view(
            ctx.store, person, d.now(), weeks, breaks, d.posture(ctx.store, person)
        )

    try:
        png = await asyncio.to_thread(build)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


# -- the health check --------------------------------------------------------------------------


class ScreeningIn(BaseModel):
    """Every question of ``GET /api/screening/form`` answered yes (true) or no (false)."""

    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    answers: dict[str, bool]


class HoldLiftedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    question: str = Field(min_length=1, max_length=80)


@router.get("/api/screening/form", response_model=dict[str, Any], responses=NO_PERSON)
async def screening_form(request: Request, _: Device) -> dict[str, Any]:
    """The health check's questions, each with why it is asked and its sources."""
    try:
        return screening_form_view(desk(request).rules())
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.post("/api/screening", response_model=dict[str, Any], responses=NO_PERSON)
async def screening(body: ScreeningIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """Keep the answers; the answer is what they change for the chair."""
    d = desk(request)
    try:
        rules = d.rules()
        try:
            check_screening_answers(rules, body.answers)
        except CareDataError as err:
            raise HTTPException(
                422, [{"loc": ["body", "answers"], "msg": str(err), "type": "value_error"}]
            ) from None
        return await asyncio.to_thread(
            save_screening_view, ctx.store, body.person, rules, body.answers, d.now()
        )
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.post("/api/screening/hold-lifted", response_model=dict[str, Any], responses=NO_PERSON)
async def hold_lifted(body: HoldLiftedIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """The person confirms a health-check hold is over (their doctor said yes)."""
    d = desk(request)
    try:
        rules = d.rules()
        if body.question not in {q.id for q in rules.question}:
            raise HTTPException(
                422,
                [{"loc": ["body", "question"], "msg": "no such question", "type": "value_error"}],
            )
        return await asyncio.to_thread(
            confirm_hold_view, ctx.store, body.person, body.question, rules, d.now()
        )
    except CARE_ERRORS as err:
        raise care_error(err) from None
