"""The posture monitor's day summaries and nudges: the watcher POSTs numbers (never a picture),
the posture page reads the days back as a timeline, and a nudge reaches the page through the
break poll."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openchair.care.nudges import Nudge
from openchair.posture.events import (
    PostureDaySummary,
    PostureEvent,
    PostureEventKind,
    SittingStreak,
    SlouchReason,
)
from openchair.web.auth import NEEDS_TOKEN, Ctx, Device
from openchair.web.routes_care import CARE_ERRORS, NO_PERSON, Person, care_error, desk

router = APIRouter(tags=["posture"], responses=NEEDS_TOKEN)
DAY_S = 24 * 3600.0
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Seconds = Annotated[float, Field(ge=0, le=DAY_S)]


class StreakIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_s: float = Field(ge=0, le=1e11, description="Unix time the stretch began.")
    end_s: float = Field(ge=0, le=1e11)

    @model_validator(mode="after")
    def _order(self) -> StreakIn:
        if self.end_s < self.start_s:
            raise ValueError("end_s is before start_s")
        if self.end_s - self.start_s > DAY_S:
            raise ValueError("a stretch of sitting is at most a day long")
        return self


class PostureDayIn(BaseModel):
    """One day of the monitor in seconds (``PostureDaySummary``): numbers only."""

    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    date: str = Field(description="The day, YYYY-MM-DD, in the monitor's time zone.")
    sitting_s: Seconds = 0.0
    slouched_s: Seconds = 0.0
    away_s: Seconds = 0.0
    unobserved_s: Seconds = 0.0
    nudges: int = Field(0, ge=0, le=10_000)
    breaks: int = Field(0, ge=0, le=10_000)
    streaks: list[StreakIn] = Field(default_factory=list, max_length=500)

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        from datetime import date

        if not _DATE.match(v):
            raise ValueError("a date like 2026-03-27")
        try:
            date.fromisoformat(v)
        except ValueError:
            raise ValueError("a date like 2026-03-27") from None
        return v

    @model_validator(mode="after")
    def _fits(self) -> PostureDayIn:
        if self.slouched_s > self.sitting_s:
            raise ValueError("slouched_s is more than sitting_s")
        return self


@router.post("/api/posture/days", response_model=dict[str, Any], responses=NO_PERSON)
async def post_day(body: PostureDayIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """Keep (or replace) one day's summary for a person."""
    d = desk(request)
    summary = PostureDaySummary(
        date=body.date,
        sitting_s=body.sitting_s,
        slouched_s=body.slouched_s,
        away_s=body.away_s,
        unobserved_s=body.unobserved_s,
        nudges=body.nudges,
        breaks=body.breaks,
        streaks=[SittingStreak(s.start_s, s.end_s) for s in body.streaks],
    )

    def keep() -> None:
        d.put_posture(ctx.store, body.person, summary)  # CareDataError: no such person

    try:
        await asyncio.to_thread(keep)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return summary.to_dict()


class NudgeIn(BaseModel):
    """One nudge of the posture monitor (``PostureEvent`` of kind ``nudge``): numbers only."""

    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    t_s: float = Field(ge=0, le=1e11, description="Unix time of the nudge.")
    reasons: list[SlouchReason] = Field(default_factory=list, max_length=len(SlouchReason))
    slouched_for_s: Seconds = 0.0


@router.post("/api/posture/nudges", response_model=dict[str, Any], responses=NO_PERSON)
async def post_nudge(body: NudgeIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """A nudge from the posture watcher. The chair shows it where break reminders appear (the
    page's break poll, ``GET /api/breaks/next``, field ``nudge``) when the break rules allow it
    now: ``shown`` true, or false with ``held`` saying why (outside working hours, a break
    waiting, nudges turned off, or one shown less than ``nudge_gap_minutes`` ago)."""
    d = desk(request)
    nudge = Nudge.from_event(
        PostureEvent(
            PostureEventKind.NUDGE,
            body.t_s,
            reasons=tuple(dict.fromkeys(body.reasons)),
            slouched_for_s=body.slouched_for_s,
        )
    )
    try:
        why = await asyncio.to_thread(d.offer_nudge, ctx.store, body.person, nudge)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return {"shown": why is None, "held": why, "nudge": nudge.to_dict()}


class PresenceIn(BaseModel):
    """The posture monitor's ``away`` or ``back`` event: numbers only."""

    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=80)
    away: bool = Field(description="True: the person left (t_s: last seen); false: back.")
    t_s: float = Field(ge=0, le=1e11, description="Unix time of the event.")


@router.post("/api/posture/presence", response_model=dict[str, Any], responses=NO_PERSON)
async def post_presence(body: PresenceIn, request: Request, ctx: Ctx, _: Device) -> dict[str, Any]:
    """The person left the desk or came back. Time away counts toward the movement break as
    idle time does for the desktop helper: away ``idle_counts_as_break_minutes`` (5) or more
    is a natural break and restarts the hour."""
    d = desk(request)
    at = datetime.fromtimestamp(body.t_s, UTC)
    try:
        since = await asyncio.to_thread(d.presence, ctx.store, body.person, body.away, at)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return {"away_since": since.isoformat() if since else None}


@router.get("/api/posture/days", response_model=list[dict[str, Any]], responses=NO_PERSON)
async def days(request: Request, ctx: Ctx, _: Device, person: Person) -> list[dict[str, Any]]:
    """Every kept day of this person, oldest first, in minutes (``streaks`` in Unix seconds)."""
    d = desk(request)
    try:
        kept = await asyncio.to_thread(d.posture, ctx.store, person)
    except CARE_ERRORS as err:
        raise care_error(err) from None
    return [s.to_dict() for s in kept]
