"""What a program does, in figures a person can check against its description."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from openchair.programs.compiler import flatten
from openchair.programs.model import Program


@dataclass
class ProgramSummary:
    program_id: str
    name: str
    description: str
    minutes: float
    steps: list[dict[str, object]] = field(default_factory=list)
    seconds_by_zone: dict[str, float] = field(default_factory=dict)
    seconds_by_technique: dict[str, float] = field(default_factory=dict)
    max_depth_fraction: float = 0.0
    air_seconds_by_zone: dict[str, float] = field(default_factory=dict)
    heat_seconds: dict[str, float] = field(default_factory=dict)
    recline: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def summarize(program: Program) -> ProgramSummary:
    by_zone: dict[str, float] = defaultdict(float)
    by_tech: dict[str, float] = defaultdict(float)
    air: dict[str, float] = defaultdict(float)
    heat: dict[str, float] = defaultdict(float)
    recline: list[str] = []
    max_depth = 0.0
    steps: list[dict[str, object]] = []
    for f in flatten(program):
        s = f.step
        if s.technique != "none":
            by_zone[s.zone] += f.seconds
            max_depth = max(max_depth, s.depth)
        by_tech[s.technique] += f.seconds
        if s.air is not None:
            for z in s.air.zones:
                air[z] += f.seconds
        if s.heat is not None:
            for name in ("back", "calves"):
                if getattr(s.heat, name) is not None:
                    heat[name] += f.seconds
        if s.recline is not None:
            r = (
                s.recline
                if isinstance(s.recline, str)
                else (f"{s.recline.backrest_deg:g}°/{s.recline.legrest_deg:g}°")
            )
            if not recline or recline[-1] != r:
                recline.append(r)
        steps.append(
            {
                "label": f.label,
                "start_s": round(f.start_s, 1),
                "seconds": f.seconds,
                "technique": s.technique,
                "zone": s.zone,
                "depth": s.depth,
                "speed": s.speed,
            }
        )
    return ProgramSummary(
        program_id=program.id or "",
        name=program.name,
        description=program.description,
        minutes=program.minutes,
        steps=steps,
        seconds_by_zone=dict(by_zone),
        seconds_by_technique=dict(by_tech),
        max_depth_fraction=max_depth,
        air_seconds_by_zone=dict(air),
        heat_seconds=dict(heat),
        recline=recline,
    )
