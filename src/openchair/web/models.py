"""Request and response bodies of the API, as pydantic models: the OpenAPI description is
built from them, so a client generated from ``/openapi.json`` knows every field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openchair.programs.manual import ManualSettings

_IN = ConfigDict(extra="forbid")


# -- common ---------------------------------------------------------------------------------------


class Problem(BaseModel):
    """Why a request was refused (4xx): ``detail`` names the field or the reason."""

    detail: str


class AnswerOut(BaseModel):
    """The chair's answer to a command that it accepted."""

    accepted: bool
    reason: str
    session: str | None = None


class Health(BaseModel):
    ok: bool
    chair: str
    running: bool


# -- pairing and devices --------------------------------------------------------------------------


class PairRequestIn(BaseModel):
    model_config = _IN
    device_name: str = Field(min_length=1, max_length=80, description="e.g. 'Anna's phone'")


class PairRequestOut(BaseModel):
    request_id: str
    expires_in_s: float
    message: str


class PairConfirmIn(BaseModel):
    model_config = _IN
    request_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=12, description="The code the chair shows.")


class PairConfirmOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer TOKEN'. Shown only once.")
    device_id: int
    device_name: str


class DeviceOut(BaseModel):
    id: int
    name: str
    created_at: str
    last_seen_at: str | None
    this_device: bool


# -- state ----------------------------------------------------------------------------------------


class ProgramRef(BaseModel):
    id: str
    name: str | None


class StepRef(BaseModel):
    index: int
    name: str | None


class RollerState(BaseModel):
    y_mm: float | None
    depth_mm: float | None
    force_n: float | None


class HeaterState(BaseModel):
    temp_c: float | None
    on: bool


class ReclineState(BaseModel):
    backrest_deg: float | None
    legrest_deg: float | None


class EventOut(BaseModel):
    seq: int
    time_s: float
    rule: str
    value: float | None
    limit: float | None
    reaction: str
    activity: str
    session: str | None


class StateOut(BaseModel):
    """One picture of the chair, as the WebSocket streams it (``GET /api/state`` gives the
    latest)."""

    seq: int
    chair_time_s: float
    activity: str
    state: str
    person: str | None
    seated: bool
    program: ProgramRef | None
    session: str | None
    step: StepRef | None
    elapsed_s: float | None
    time_left_s: float | None
    intensity: int | None
    focus: str | None
    roller: RollerState
    cushions_kpa: dict[str, float | None]
    heaters: dict[str, HeaterState]
    recline: ReclineState
    latched: str | None
    recent_events: list[EventOut]
    message: str


# -- programs -------------------------------------------------------------------------------------


class ProgramTile(BaseModel):
    id: str
    name: str
    minutes: float
    description: str
    builtin: bool


class ProgramOut(BaseModel):
    id: str
    name: str
    minutes: float
    description: str
    builtin: bool
    program: dict[str, Any] = Field(description="The whole program, as its TOML file says it.")
    seconds_by_zone: dict[str, float]


class ProgramUploadIn(BaseModel):
    model_config = _IN
    toml: str = Field(max_length=200_000, description="The program file's text.")
    save: bool = Field(True, description="Keep it with the user programs (false: only check).")


class ProgramCheckOut(BaseModel):
    ok: bool
    errors: list[str] = Field(description="'line: step N: field: problem', as programs validate")
    program: ProgramTile | None = None


# -- people ---------------------------------------------------------------------------------------


class PersonOut(BaseModel):
    name: str
    default_intensity: int
    heat: bool
    favourite_programs: list[str]


class PersonIn(BaseModel):
    model_config = _IN
    name: str = Field(min_length=1, max_length=80)
    default_intensity: int = Field(3, ge=1, le=5)
    heat: bool = False


class SeatIn(BaseModel):
    model_config = _IN
    name: str | None = Field(None, max_length=80, description="Who sits down; null: a guest.")


class BodyMapOut(BaseModel):
    """The seated person's body map as the chair uses it (landmarks along the roller track)."""

    person: str | None
    scanned: bool = Field(description="False: no scan yet, the landmarks are a rough guess.")
    landmarks_y_mm: dict[str, float | None]
    regions: dict[str, list[float | None]] = Field(
        description="Each region's [lower, upper] y in mm."
    )
    comfortable_depth_mm: dict[str, float | None]
    tight_spots_y_mm: list[float]
    track_min_mm: float
    track_max_mm: float


# -- session commands -----------------------------------------------------------------------------


class StartIn(BaseModel):
    model_config = _IN
    program: str = Field(min_length=1, max_length=80, description="A program id.")
    intensity: int | None = Field(None, ge=1, le=5, description="1..5; default: the person's.")


class ManualStartIn(BaseModel):
    model_config = _IN
    settings: ManualSettings = Field(default_factory=ManualSettings)


class ManualChangeIn(BaseModel):
    """Any manual-mode settings to change (the rest stay)."""

    model_config = _IN
    technique: Literal["knead", "tap", "knock", "clap", "shiatsu", "roll", "none"] | None = None
    zone: str | None = Field(None, max_length=40)
    speed: int | None = Field(None, ge=1, le=5)
    width: Literal["narrow", "medium", "wide"] | None = None
    intensity: int | None = Field(None, ge=1, le=5)
    heat: bool | None = None
    foot_rollers: int | None = Field(None, ge=0, le=3)


class IntensityIn(BaseModel):
    model_config = _IN
    delta: int | None = Field(None, ge=-4, le=4, description="+1 / -1; or give value.")
    value: int | None = Field(None, ge=1, le=5)


class FocusIn(BaseModel):
    model_config = _IN
    zone: str | None = Field(
        max_length=40, description="A body zone (lumbar, mid-back, …); null: the program's own."
    )


class HeatIn(BaseModel):
    model_config = _IN
    on: bool


class ShoulderIn(BaseModel):
    model_config = _IN
    mm: float = Field(ge=-50, le=50, description="Up positive, in 10 mm steps.")


class ReclineIn(BaseModel):
    model_config = _IN
    preset: Literal["upright", "relax", "zero-gravity"]


# -- history --------------------------------------------------------------------------------------


class HistoryOut(BaseModel):
    session: str
    person: str | None
    program: str
    program_name: str
    intensity: int
    started_at: str
    ended_at: str | None
    outcome: str
    reason: str
    duration_s: float | None
    seconds_by_zone: dict[str, float]
    max_force_n: float | None
    max_depth_mm: float | None
    max_pressure_kpa: float | None
    max_temp_c: float | None
    safety_events: int
