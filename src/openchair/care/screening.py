"""The health check before the first massage: its questions, and what each answer changes.

The rules are data (``screening_rules.toml``, one reviewed file with a source for every
question). :func:`restrictions_for` turns a person's answers into :class:`Restrictions`: the
programs and techniques ruled out, a depth cap, a heat cap, empty air cushions and the holds that
wait for the person's confirmation. :func:`apply_restrictions` makes the capped copy of a program
that the chair then runs, through the supervisor like any program.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openchair.care.model import CautionFlag
from openchair.programs.compiler import INTENSITY_DEPTH_FACTOR
from openchair.programs.model import AirStep, HeatStep, Program, Step, Technique

RULES_FILE = Path(__file__).with_name("screening_rules.toml")
MAX_DEPTH_FACTOR = max(INTENSITY_DEPTH_FACTOR.values())
"""The deepest intensity multiplies every step's depth by this: caps divide by it."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Source(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://")
    says: str = Field(min_length=3)


class Question(BaseModel):
    """One yes/no question and what a "yes" changes."""

    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    ask: str = Field(min_length=5)
    why: str = Field(min_length=5)
    sources: list[str] = Field(min_length=1)
    hold: str | None = Field(None, description="Programs are held until the person confirms this.")
    programs_out: list[str] = Field(default_factory=list)
    techniques_out: list[Technique] = Field(default_factory=list)
    depth_cap: float | None = Field(None, ge=0.1, le=1.0)
    heat: Literal["off"] | float | None = None
    air_zones_off: list[str] = Field(default_factory=list)
    caution_flags: list[CautionFlag] = Field(default_factory=list)

    @model_validator(mode="after")
    def _heat_range(self) -> Question:
        if isinstance(self.heat, float) and not 30.0 <= self.heat <= 42.0:
            raise ValueError('heat: a cap in °C must be within 30..42, or "off"')
        return self


class ScreeningRules(BaseModel):
    model_config = _STRICT
    version: int
    reviewed: str
    source: list[Source] = Field(min_length=1)
    question: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> ScreeningRules:
        known = {s.id for s in self.source}
        ids = [q.id for q in self.question]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        for q in self.question:
            missing = [s for s in q.sources if s not in known]
            if missing:
                raise ValueError(f"question {q.id}: unknown source {', '.join(missing)}")
        return self

    def get(self, question_id: str) -> Question:
        for q in self.question:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def sources_of(self, q: Question) -> list[Source]:
        by_id = {s.id: s for s in self.source}
        return [by_id[s] for s in q.sources]


class ScreeningRulesError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def load_rules(path: Path = RULES_FILE) -> ScreeningRules:
    """The screening rules; a broken file is reported with its name and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScreeningRulesError([f"{path}: cannot be read ({err.strerror})"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScreeningRulesError([f"{path}: {err}"]) from None
    try:
        return ScreeningRules.model_validate(data)
    except ValidationError as err:
        msgs = [
            f"{path}: {'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
            for e in err.errors()
        ]
        raise ScreeningRulesError(msgs) from None


@dataclass(frozen=True)
class Hold:
    """Programs wait for this: a question answered yes, until the person confirms ``until``."""

    question: str
    ask: str
    until: str

    def message(self) -> str:
        return (
            f"Massage is on hold until {self.until}. You answered yes to: {self.ask} "
            "When that is so, confirm it in the health check."
        )


@dataclass(frozen=True)
class Restrictions:
    """What a person's answers change, with the question behind each change."""

    programs_out: dict[str, str] = field(default_factory=dict)
    techniques_out: dict[str, str] = field(default_factory=dict)
    depth_cap: float | None = None
    depth_reason: str = ""
    heat_max_c: float | None = None
    """0.0 means no heat at all."""
    heat_reason: str = ""
    air_zones_off: dict[str, str] = field(default_factory=dict)
    caution_flags: tuple[str, ...] = ()
    holds: tuple[Hold, ...] = ()

    @property
    def any(self) -> bool:
        return bool(
            self.programs_out
            or self.techniques_out
            or self.depth_cap is not None
            or self.heat_max_c is not None
            or self.air_zones_off
            or self.holds
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "programs_out": dict(self.programs_out),
            "techniques_out": dict(self.techniques_out),
            "depth_cap": self.depth_cap,
            "depth_reason": self.depth_reason,
            "heat": None
            if self.heat_max_c is None
            else ("off" if self.heat_max_c == 0 else self.heat_max_c),
            "heat_reason": self.heat_reason,
            "air_zones_off": dict(self.air_zones_off),
            "caution_flags": list(self.caution_flags),
            "holds": [
                {"question": h.question, "until": h.until, "message": h.message()}
                for h in self.holds
            ],
        }


def _short(q: Question) -> str:
    return q.id.replace("-", " ")


def restrictions_for(
    rules: ScreeningRules, answers: Mapping[str, bool], cleared: Iterable[str] = ()
) -> Restrictions:
    """Everything the "yes" answers change; ``cleared`` lists the questions whose hold the
    person has confirmed as lifted (the other effects stay)."""
    lifted = set(cleared)
    programs: dict[str, str] = {}
    techniques: dict[str, str] = {}
    air: dict[str, str] = {}
    depth: float | None = None
    depth_reason = ""
    heat: float | None = None
    heat_reason = ""
    flags: list[str] = []
    holds: list[Hold] = []
    for q in rules.question:
        if not answers.get(q.id, False):
            continue
        why = f"{_short(q)}: {q.why}"
        for p in q.programs_out:
            programs.setdefault(p, why)
        for t in q.techniques_out:
            techniques.setdefault(t, why)
        for z in q.air_zones_off:
            air.setdefault(z, why)
        if q.depth_cap is not None and (depth is None or q.depth_cap < depth):
            depth, depth_reason = q.depth_cap, why
        if q.heat is not None:
            cap = 0.0 if q.heat == "off" else float(q.heat)
            if heat is None or cap < heat:
                heat, heat_reason = cap, why
        for f in q.caution_flags:
            if f not in flags:
                flags.append(f)
        if q.hold is not None and q.id not in lifted:
            holds.append(Hold(q.id, q.ask, q.hold))
    return Restrictions(
        programs_out=programs,
        techniques_out=techniques,
        depth_cap=depth,
        depth_reason=depth_reason,
        heat_max_c=heat,
        heat_reason=heat_reason,
        air_zones_off=air,
        caution_flags=tuple(flags),
        holds=tuple(holds),
    )


def techniques_of(steps: Iterable[Step]) -> set[str]:
    out: set[str] = set()
    for s in steps:
        if s.step is not None:
            out |= techniques_of(s.step)
        else:
            out.add(s.technique)
    return out


def _cap_air(air: AirStep | None, off: set[str]) -> AirStep | None:
    if air is None or not off:
        return air
    from openchair.programs.model import AIR_GROUPS

    def empty(zone: str) -> bool:
        if zone in off:
            return True
        return any(zone in AIR_GROUPS.get(g, ()) for g in off)

    if "all" in air.zones:
        keep = [g for g in AIR_GROUPS if g not in off]
    else:
        keep = [z for z in air.zones if not empty(z)]
    return air.model_copy(update={"zones": keep}) if keep else None


def _cap_heat(heat: HeatStep | None, cap_c: float | None) -> HeatStep | None:
    if heat is None or cap_c is None:
        return heat
    if cap_c <= 0.0:
        return None
    back = None if heat.back is None else min(heat.back, cap_c)
    calves = None if heat.calves is None else min(heat.calves, cap_c)
    if back is None and calves is None:
        return None
    return heat.model_copy(update={"back": back, "calves": calves})


def _cap_step(s: Step, r: Restrictions, depth_max: float | None) -> Step:
    update: dict[str, object] = {}
    if s.step is not None:
        children = [_cap_step(c, r, depth_max) for c in s.step]
        if any(a is not b for a, b in zip(children, s.step, strict=True)):
            update["step"] = children
    if depth_max is not None and s.depth > depth_max:
        update["depth"] = depth_max
    heat = _cap_heat(s.heat, r.heat_max_c)
    if heat is not s.heat:
        update["heat"] = heat
    air = _cap_air(s.air, set(r.air_zones_off))
    if air is not s.air:
        update["air"] = air
    return s.model_copy(update=update) if update else s


def apply_restrictions(program: Program, r: Restrictions) -> Program | str:
    """The program as this person may have it (a capped copy), or why it is refused.

    Holds are not checked here (the gate does that first). The depth cap is divided by the
    deepest intensity's factor so that no intensity the person picks during the session goes
    past it.
    """
    pid = program.id or program.name
    if program.id is not None and program.id in r.programs_out:
        return f"{program.name} is ruled out by your health check ({r.programs_out[program.id]})"
    used = sorted(techniques_of(program.step) & set(r.techniques_out))
    if used:
        t = used[0]
        return f"{program.name} uses {t}, which your health check rules out ({r.techniques_out[t]})"
    depth_max = (
        None if r.depth_cap is None else math.floor(r.depth_cap / MAX_DEPTH_FACTOR * 1e4) / 1e4
    )
    steps = [_cap_step(s, r, depth_max) for s in program.step]
    if all(a is b for a, b in zip(steps, program.step, strict=True)):
        return program
    note = []
    if r.depth_cap is not None:
        note.append(f"depth at most {r.depth_cap:.0%} of comfortable")
    if r.heat_max_c is not None:
        note.append("no heat" if r.heat_max_c == 0 else f"heat at most {r.heat_max_c:g} °C")
    if r.air_zones_off:
        note.append(f"no air on {', '.join(sorted(r.air_zones_off))}")
    description = f"{program.description} (for {pid}, fitted to the health check: "
    description += "; ".join(note) + ")"
    return program.model_copy(update={"step": steps, "description": description})


def max_depth(steps: Iterable[Step]) -> float:
    """The deepest step depth (fraction of comfortable depth) in a program's steps."""
    out = 0.0
    for s in steps:
        out = max(out, max_depth(s.step) if s.step is not None else s.depth)
    return out


def max_heat(steps: Iterable[Step]) -> float:
    out = 0.0
    for s in steps:
        if s.step is not None:
            out = max(out, max_heat(s.step))
        elif s.heat is not None:
            out = max(out, s.heat.back or 0.0, s.heat.calves or 0.0)
    return out


def air_zones(steps: Iterable[Step]) -> set[str]:
    out: set[str] = set()
    for s in steps:
        if s.step is not None:
            out |= air_zones(s.step)
        elif s.air is not None:
            out |= set(s.air.zones)
    return out


def effects_text(q: Question) -> list[str]:
    """What a "yes" to ``q`` changes, in words (for the CLI and the pages)."""
    out = []
    if q.hold:
        out.append(f"massage on hold until {q.hold}")
    if q.programs_out:
        out.append("programs left out: " + ", ".join(q.programs_out))
    if q.techniques_out:
        out.append("techniques left out: " + ", ".join(q.techniques_out))
    if q.depth_cap is not None:
        out.append(f"roller depth at most {q.depth_cap:.0%} of comfortable")
    if q.heat == "off":
        out.append("no heat")
    elif q.heat is not None:
        out.append(f"heat at most {q.heat:g} °C")
    if q.air_zones_off:
        out.append("no air on the " + ", ".join(q.air_zones_off))
    if q.caution_flags:
        out.append("exercises left out for: " + ", ".join(q.caution_flags))
    return out or ["nothing in the chair; it is noted for the report"]
