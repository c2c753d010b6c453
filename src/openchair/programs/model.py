"""The program language: what a massage program file may say, as pydantic models.

A program is a TOML file of timed steps. These models are the single definition of the format:
validation, the JSON Schema for editors (``openchair programs schema``) and the compiler all read
them. Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.inputs.limits import (
    PROGRAM_GROUPS_DEPTH_MAX,
    PROGRAM_STEPS_EXPANDED_MAX,
    STEP_SECONDS_MIN,
)
from openchair.safety.limits import DEFAULT_LIMITS

Technique = Literal["knead", "tap", "knock", "clap", "shiatsu", "roll", "none"]
"""Roller techniques. ``tap`` and ``knock`` strike alternately, ``clap`` together;
``none`` parks the rollers (an air- or heat-only step)."""

Rhythm = Literal["steady", "wave", "pulse"]
"""How the roller speed varies over a pass (what chairs sell as "4D")."""

AirRhythm = Literal["hold", "pulse", "breathing", "wave"]
ReclinePreset = Literal["upright", "relax", "zero-gravity"]
WidthName = Literal["narrow", "medium", "wide"]

DERIVED_ZONES: dict[str, tuple[str, str]] = {"full-back": ("sacrum", "shoulders")}
"""Zones made of several regions: from the lower bound of the first to the upper of the last."""

ZONES: tuple[str, ...] = (*REGION_NAMES, *DERIVED_ZONES)
AIR_GROUPS: dict[str, tuple[str, ...]] = {
    "shoulders": ("shoulder_left", "shoulder_right"),
    "arms": ("arm_left", "arm_right"),
    "waist": ("waist_left", "waist_right"),
    "seat": ("seat",),
    "calves": ("calf_left", "calf_right"),
    "feet": ("foot_left", "foot_right"),
}
"""Air zones a program may name as a pair; single zones (``waist_left``) and ``all`` work too."""

_RANGE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\.\.\s*([A-Za-z0-9_]+)\s*$")

_STRICT = ConfigDict(extra="forbid", frozen=True)


class AirStep(BaseModel):
    """What the air cushions do during a step."""

    model_config = _STRICT
    zones: list[str] = Field(min_length=1, description="Air zones or groups, or 'all'.")
    level: int = Field(3, ge=1, le=5, description="1 (soft) .. 5 (firm).")
    rhythm: AirRhythm = Field("pulse", description="hold, pulse, breathing or wave.")
    cycles_per_min: float = Field(
        6.0, ge=1.0, le=30.0, description="Pace of pulse and breathing (6 = slow breathing)."
    )

    @field_validator("zones")
    @classmethod
    def _known_zones(cls, zones: list[str]) -> list[str]:
        from openchair.hardware.contract import AIR_ZONES

        known = set(AIR_GROUPS) | set(AIR_ZONES) | {"all"}
        for z in zones:
            if z not in known:
                raise ValueError(f"unknown air zone {z!r}; known: {', '.join(sorted(known))}")
        return zones


class HeatStep(BaseModel):
    """Heater targets in °C; leave a heater out to keep it off."""

    model_config = _STRICT
    back: float | None = Field(None, ge=30.0, le=DEFAULT_LIMITS.heater_target_max_c)
    calves: float | None = Field(None, ge=30.0, le=DEFAULT_LIMITS.heater_target_max_c)
    clinical_reason: str | None = Field(
        None, description="Required for targets above 41 °C (docs/SAFETY.md)."
    )

    @model_validator(mode="after")
    def _reason_for_high_heat(self) -> HeatStep:
        hot = [t for t in (self.back, self.calves) if t is not None]
        limit = DEFAULT_LIMITS.heater_clinical_reason_above_c
        if any(t > limit for t in hot) and not self.clinical_reason:
            raise ValueError(f"targets above {limit:g} °C need a clinical_reason")
        return self


class ReclineAngles(BaseModel):
    model_config = _STRICT
    backrest_deg: float = Field(ge=100.0, le=165.0)
    legrest_deg: float = Field(ge=0.0, le=85.0)


class Step(BaseModel):
    """One timed step, or a group of steps (``step`` list) repeated ``repeat`` times."""

    model_config = _STRICT
    name: str | None = None
    at: str | None = Field(
        None, description="Optional start time 'm:ss' from the program start, checked."
    )
    seconds: float | None = Field(
        None, ge=STEP_SECONDS_MIN, le=1800, description="Duration of one repeat."
    )
    repeat: int = Field(1, ge=1, le=100)
    technique: Technique = "none"
    zone: str = Field(
        "full-back",
        description="Body zone, landmark range like 'T7..L3', or one landmark (a spot).",
    )
    speed: int = Field(3, ge=1, le=5, description="1 (slow) .. 5 (fast).")
    rhythm: Rhythm = "steady"
    width: WidthName | Annotated[float, Field(ge=40.0, le=140.0)] = "medium"
    depth: float = Field(0.5, ge=0.0, le=1.0, description="Fraction of comfortable depth.")
    passes: int | None = Field(None, ge=1, le=50, description="Sweeps over the zone.")
    dwell_seconds: float = Field(3.0, ge=0.5, le=30.0, description="Shiatsu hold per point.")
    linger: float = Field(
        0.0,
        ge=0.0,
        le=0.8,
        description="Share of the step spent pressing and holding on the tight spots of the "
        "person's body map inside the zone (none found: the step runs as written).",
    )
    air: AirStep | None = None
    heat: HeatStep | None = None
    recline: ReclinePreset | ReclineAngles | None = None
    foot_rollers: int = Field(0, ge=0, le=3)
    step: list[Step] | None = Field(None, description="Sub-steps: makes this step a group.")

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if zone in ZONES or zone in LANDMARKS:
            return zone
        m = _RANGE.match(zone)
        if m:
            for name in m.groups():
                if name not in LANDMARKS:
                    raise ValueError(
                        f"unknown landmark {name!r} in range; known: {', '.join(LANDMARKS)}"
                    )
            return zone
        raise ValueError(
            f"unknown zone {zone!r}; use one of {', '.join(ZONES)} or a range like 'T7..L3'"
        )

    @field_validator("at")
    @classmethod
    def _clock(cls, at: str | None) -> str | None:
        if at is not None and parse_clock(at) is None:
            raise ValueError(f"{at!r} is not a time like '2:30'")
        return at

    @model_validator(mode="after")
    def _group_or_timed(self) -> Step:
        if self.step is not None:
            if self.seconds is not None:
                raise ValueError("a group takes its time from its steps: remove 'seconds'")
            if not self.step:
                raise ValueError("a group needs at least one step")
        elif self.seconds is None:
            raise ValueError("seconds: every step needs a duration")
        return self

    def one_pass_seconds(self) -> float:
        """Duration of one repeat (a group: the sum of its sub-steps with their repeats)."""
        if self.step is not None:
            return sum(s.total_seconds() for s in self.step)
        assert self.seconds is not None
        return self.seconds

    def total_seconds(self) -> float:
        return self.one_pass_seconds() * self.repeat


class Program(BaseModel):
    """A whole massage program."""

    model_config = _STRICT
    id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    minutes: float = Field(gt=0, le=30, description="Total time; the steps must add up to it.")
    step: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _bounded_size(self) -> Program:
        # Counted without expanding the repeats: what is bounded here is what expanding costs.
        steps, depth = expanded_size(self.step)
        if depth > PROGRAM_GROUPS_DEPTH_MAX:
            raise ValueError(
                f"step: groups nested {depth} deep; at most {PROGRAM_GROUPS_DEPTH_MAX} allowed"
            )
        if steps > PROGRAM_STEPS_EXPANDED_MAX:
            raise ValueError(
                f"step: with its repeats the program has {steps:,} steps; at most "
                f"{PROGRAM_STEPS_EXPANDED_MAX:,} allowed (fewer repeats, or longer steps)"
            )
        return self

    def total_seconds(self) -> float:
        return sum(s.total_seconds() for s in self.step)


def expanded_size(steps: list[Step]) -> tuple[int, int]:
    """How many timed steps ``steps`` make with every repeat written out, and how deep groups
    lie inside groups (0: no group). Iterative, so a deep file cannot exhaust the stack."""
    total = 0
    deepest = 0
    # (steps of one level, product of the repeats of the groups around them, group depth)
    stack: list[tuple[list[Step], int, int]] = [(steps, 1, 0)]
    while stack:
        level, factor, depth = stack.pop()
        deepest = max(deepest, depth)
        for s in level:
            if s.step is None:
                total += factor
            else:
                stack.append((s.step, factor * s.repeat, depth + 1))
    return total, deepest


def parse_clock(text: str) -> float | None:
    m = re.fullmatch(r"\s*(\d+):([0-5]\d)\s*", text)
    if not m:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))
