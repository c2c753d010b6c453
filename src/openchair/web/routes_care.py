"""The back-care day: exercises, the day's plan and its calendar file, movement breaks and their
statistics. The companion's own views (``care.views``) make the JSON, so the pages and the CLI
show the same thing."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from openchair.care.breaks import BreakRefusedError
from openchair.care.diary_plan import context_for
from openchair.care.diary_store import CareDataError, StoreBreakRepository
from openchair.care.ical import plan_ical
from openchair.care.plan import plan_day
from openchair.care.posture_plan import posture_for
from openchair.care.screening import ScreeningRulesError
from openchair.care.settings import SettingsError
from openchair.care.views import break_view, exercise_view, stats_view
from openchair.store.database import Store
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.care_desk import CareDesk, Waiting
from openchair.web.models import Problem

router = APIRouter(tags=["care"], responses=NEEDS_TOKEN)

NO_PERSON: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such person."},
    409: {"model": Problem, "description": "The settings or rules cannot be read, or refused."},
}
Person = Annotated[str, Query(min_length=1, max_length=80, description="A stored person.")]


def desk(request: Request) -> CareDesk:
    d: CareDesk = request.app.state.care
    return d


def care_error(err: Exception) -> HTTPException:
    """A companion error as the API answers it: 404 for an unknown person, else 409."""
    if isinstance(err, CareDataError):
        return HTTPException(404, f"person: {err}")
    if isinstance(err, SettingsError | ScreeningRulesError):
        return HTTPException(409, f"settings: {err.messages[0]}")
    return HTTPException(409, str(err))


CARE_ERRORS = (CareDataError, SettingsError, ScreeningRulesError)


def _day(text: str | None, d: CareDesk) -> date:
    if text is None:
        return d.now().astimezone(d.settings().zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            422,
            [{"loc": ["query", "date"], "msg": "a date like 2026-03-27", "type": "value_error"}],
        ) from None


# -- exercises and the plan --------------------------------------------------------------------


@router.get("/api/exercises", response_model=list[dict[str, Any]], summary="The library")
async def exercises(request: Request, _: Device) -> list[dict[str, Any]]:
    d = desk(request)
    items = await asyncio.to_thread(d.exercises)
    return [exercise_view(e) for e in sorted(items, key=lambda e: e.name)]


@router.get("/api/plan", response_model=dict[str, Any], responses=NO_PERSON)
async def plan(
    request: Request,
    ctx: Ctx,
    _: Device,
    person: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
) -> dict[str, Any]:
    """The day's plan; with ``person`` fitted to their diary, health check and the posture
    monitor's summary of that day (the reasons say what each changed)."""
    d = desk(request)

    def build() -> dict[str, Any]:
        settings = d.settings()
        when = _day(day, d)
        exs = d.exercises()
        diary = posture = None
        if person is not None:
            diary = context_for(ctx.store, person, d.now(), d.rules(), ctx.library)
            posture = posture_for(d.posture(ctx.store, person), when.isoformat())
        p = plan_day(settings, when, exs, diary, posture)
        names = {e.label(): e.name for e in exs}
        data = p.to_dict()
        items = []
        for item in p.items:
            i = item.to_dict()
            i["exercise_names"] = [names.get(x, x) for x in item.exercises]
            items.append(i)
        data["items"] = items
        data["timezone"] = settings.timezone
        return data

    try:
        return await asyncio.to_thread(build)
    except CARE_ERRORS as err:
        raise care_error(err) from None


@router.get(
    "/api/plan.ics",
    response_class=Response,
    responses={**NO_PERSON, 200: {"content": {"text/calendar": {}}, "description": "iCalendar"}},
    summary="The week's plan as an iCalendar file",
)
async def plan_calendar(
    request: Request,
    _: Device,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
) -> Response:
    d = desk(request)

    def build() -> bytes:
        return plan_ical(d.settings(), _day(day, d), d.exercises(), d.now())

    try:
        body = await asyncio.to_thread(build)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return Response(
        body,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="openchair-plan.ics"'},
    )


# -- breaks ------------------------------------------------------------------------------------


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _waiting_out(w: Waiting | None, d: CareDesk) -> dict[str, Any] | None:
    if w is None:
        return None
    out = break_view(w.offered, d.exercises())
    out["id"] = w.id
    out["person"] = w.person
    rules = d.settings().breaks
    out["postpone_minutes"] = rules.postpone_minutes
    out["postpone_reason"] = (
        "strict mode: breaks cannot be postponed"
        if rules.strict
        else f"already postponed {_times(rules.postpone_limit)}"
        if w.offered.postpones_left <= 0
        else None
    )
    out["skip_reason"] = (
        "strict mode: breaks cannot be skipped"
        if rules.strict
        else f"{rules.skip_limit_per_day} breaks already skipped today"
        if w.offered.skips_left <= 0
        else None
    )
    return out


def _next(store: Store, d: CareDesk, person: str) -> dict[str, Any]:
    sched, w = d.tick(store, person)
    due = sched.next_due() if sched.shift_day is not None else None  # none outside work hours
    nudge = d.take_nudge(person)
    return {
        "now": d.now().isoformat(),
        "break": _waiting_out(w, d),
        "nudge": nudge.to_dict() if nudge is not None else None,
        "next_due": due.isoformat() if due else None,
        "poll_s": d.poll_s,
    }


@router.get(
    "/api/breaks/next", response_model=dict[str, Any], responses=NO_PERSON, summary="Break due?"
)
async def next_break(request: Request, ctx: Ctx, _: Device, person: Person) -> dict[str, Any]:
    """Advance the person's break scheduler to now: the break waiting for them (or null), when
    the next one is due, and a posture nudge to show (or null; each is given once). The page
    asks every ``poll_s`` seconds."""
    d = desk(request)
    try:
        return await asyncio.to_thread(_next, ctx.store, d, person)
    except CARE_ERRORS as err:
        raise care_error(err) from None


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fully: bool = Field(True, description="False: the person did part of the break.")


ANSWER: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No break with this id is waiting."},
    409: {"model": Problem, "description": "The rules refuse it now (limits, strict mode)."},
}


def _answer(store: Store, d: CareDesk, break_id: int, action: str, fully: bool) -> dict[str, Any]:
    try:
        return _answer_unchecked(store, d, break_id, action, fully)
    except CARE_ERRORS as err:  # the settings broke, or the person was removed meanwhile
        raise care_error(err) from None


def _answer_unchecked(
    store: Store, d: CareDesk, break_id: int, action: str, fully: bool
) -> dict[str, Any]:
    w = d.waiting_by_id(break_id)
    if w is None:
        raise HTTPException(404, f"break_id: no break {break_id} is waiting (answered already?)")
    with d.lock:
        sched, now_waiting = d.tick(store, w.person)
        if now_waiting is None or now_waiting.id != break_id:
            raise HTTPException(404, f"break_id: break {break_id} is no longer waiting")
        now = d.now()
        try:
            if action == "postpone":
                back: datetime | None = sched.postpone(now)
            else:
                back = None
                if action == "skip":
                    sched.skip(now)
                else:
                    sched.finish(now, fully)
        except BreakRefusedError as err:
            raise HTTPException(409, f"{action}: {err}") from None
        d.forget_waiting(w.person)
        out = _next(store, d, w.person)
        out["answered"] = action
        out["back_at"] = back.isoformat() if back else None
        return out


@router.post("/api/breaks/{break_id}/done", response_model=dict[str, Any], responses=ANSWER)
async def done(
    break_id: int, request: Request, ctx: Ctx, _: Device, body: DoneIn | None = None
) -> dict[str, Any]:
    """The person took the break (``fully`` false: part of it)."""
    fully = body.fully if body is not None else True
    return await asyncio.to_thread(_answer, ctx.store, desk(request), break_id, "done", fully)


@router.post("/api/breaks/{break_id}/postpone", response_model=dict[str, Any], responses=ANSWER)
async def postpone(break_id: int, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """Put the break off for ``postpone_minutes``; refused (409) once the limit is used up."""
    return await asyncio.to_thread(_answer, ctx.store, desk(request), break_id, "postpone", True)


@router.post("/api/breaks/{break_id}/skip", response_model=dict[str, Any], responses=ANSWER)
async def skip(break_id: int, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """Skip the break; refused (409) once the day's skips are used up."""
    return await asyncio.to_thread(_answer, ctx.store, desk(request), break_id, "skip", True)


@router.get("/api/breaks/stats", response_model=list[dict[str, Any]], responses=NO_PERSON)
async def break_stats(ctx: Ctx, _: Device, person: Person) -> list[dict[str, Any]]:
    """Counts per work day and the longest stretch of sitting."""
    try:
        records = await asyncio.to_thread(StoreBreakRepository(ctx.store, person).all)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return stats_view(records)
