"""Manual mode: what a chair's remote offers, expressed as a one-step program.

Running manual mode through the same language means it takes the same path as every program:
compiler → supervisor → driver, with the same validation and limits.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openchair.programs.model import AirStep, HeatStep, Program, ReclinePreset, Step, Technique

MANUAL_DEPTH_BY_INTENSITY = {1: 0.3, 2: 0.45, 3: 0.6, 4: 0.75, 5: 0.9}
"""Remote intensity 1..5 as a fraction of the person's comfortable depth."""


class ManualSettings(BaseModel):
    """The remote's settings. ``zone``: a body zone, a landmark range, or a landmark (a spot)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    technique: Technique = "knead"
    zone: str = "full-back"
    speed: int = Field(3, ge=1, le=5)
    width: Literal["narrow", "medium", "wide"] = "medium"
    intensity: int = Field(3, ge=1, le=5)
    air_zones: list[str] = Field(default_factory=list)
    air_level: int = Field(3, ge=1, le=5)
    heat: bool = False
    foot_rollers: int = Field(0, ge=0, le=3)
    recline: ReclinePreset = "upright"
    minutes: int = Field(15, ge=5, le=30, description="Timer, 5..30 min.")


def manual_program(settings: ManualSettings) -> Program:
    """The program that does what the remote's settings say, for ``settings.minutes``."""
    s = settings
    step = Step(
        name="manual",
        seconds=s.minutes * 60.0,
        technique=s.technique,
        zone=s.zone,
        speed=s.speed,
        width=s.width,
        depth=MANUAL_DEPTH_BY_INTENSITY[s.intensity],
        air=AirStep(zones=s.air_zones, level=s.air_level, rhythm="pulse") if s.air_zones else None,
        heat=HeatStep(back=40.0) if s.heat else None,
        recline=s.recline,
        foot_rollers=s.foot_rollers,
    )
    return Program(
        id="manual",
        name="Manual",
        description=f"Manual: {s.technique} on {s.zone}, intensity {s.intensity}",
        minutes=float(s.minutes),
        step=[step],
    )
