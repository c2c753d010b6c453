"""What verification checks, by name: the safety rules and the program's promises.

Every rule has a margin per body: how far the worst tick stayed inside the rule (positive) or
went past it (negative), in the rule's unit. A body passes a rule when its margin is not below
``-tolerance``. Safety limits come from :mod:`openchair.safety.limits`; the few acceptance
criteria that are not safety limits (how much of a promise must be kept) live in
:class:`VerifyCriteria`, each with its reason. docs/VERIFY.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits

Kind = Literal["safety", "promise"]


@dataclass(frozen=True)
class Rule:
    """One check: its stable name, kind, unit and what it means to a person."""

    name: str
    kind: Kind
    unit: str
    meaning: str


PAIN_THRESHOLD = "pain_threshold"
FORCE_HARD_LIMIT = "force_hard_limit"
COMFORTABLE_DEPTH = "comfortable_depth"
NECK_LIGHT_WORK = "neck_light_work"
AIR_PRESSURE = "air_pressure"
HEATER_SURFACE = "heater_surface"
ON_TRACK = "on_track"
SESSION_COMPLETED = "session_completed"
ZONE_TIME = "zone_time"
DEPTH_REACHED = "depth_reached"
CUSHION_USE = "cushion_use"
HEAT_USE = "heat_use"

RULES: tuple[Rule, ...] = (
    Rule(
        PAIN_THRESHOLD,
        "safety",
        "N",
        "the true force of either roller stays below the person's pain threshold beside the spine "
        "where the roller is",
    ),
    Rule(FORCE_HARD_LIMIT, "safety", "N", "no roller ever presses harder than the hard limit"),
    Rule(
        COMFORTABLE_DEPTH,
        "safety",
        "mm",
        "neither the depth the program asks for nor the rollers' true depth (while pressing) "
        "goes past the person's comfortable depth from the scan",
    ),
    Rule(NECK_LIGHT_WORK, "safety", "N", "above C7 the rollers press no harder than light work"),
    Rule(AIR_PRESSURE, "safety", "kPa", "no air cushion goes past the pressure ceiling"),
    Rule(HEATER_SURFACE, "safety", "°C", "no heater surface goes past the skin-contact ceiling"),
    Rule(
        ON_TRACK,
        "safety",
        "mm",
        "the carriage stays on its track, and rollers that press stay on the body (thighs to "
        "the top of the neck), never on the head",
    ),
    Rule(
        SESSION_COMPLETED,
        "safety",
        "",
        "the session ends by itself, not by a stop or a latched fault",
    ),
    Rule(
        ZONE_TIME,
        "promise",
        "share",
        "the rollers work each zone the program names for the time it plans (least-kept zone)",
    ),
    Rule(
        DEPTH_REACHED,
        "promise",
        "share",
        "the rollers reach the depth the program asks for (deepest step, as a share of the "
        "person's comfortable depth)",
    ),
    Rule(
        CUSHION_USE,
        "promise",
        "share",
        "the air cushions are inflated for the time the program plans air work",
    ),
    Rule(HEAT_USE, "promise", "share", "the heaters are warm for the time the program plans heat"),
)
RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)
RULE_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


@dataclass(frozen=True)
class VerifyCriteria:
    """Acceptance criteria that are not safety limits. Safety limits come from ``limits``."""

    limits: SafetyLimits = DEFAULT_LIMITS

    depth_tolerance_mm: float = 3.0
    """The rollers follow a depth change at 30 mm/s while the carriage moves at up to 60 mm/s:
    crossing into a shallower region they may lag the limit by a few millimetres for a moment."""

    contact_force_n: float = 2.0
    """A roller pressing at least this hard is working the body (below it: touching lightly)."""

    zone_margin_mm: float = 25.0
    """A zone's true bounds are widened by this much: the scan places landmarks within about
    20 mm (docs/SCAN.md), so work just outside the true zone still counts for it."""

    zone_time_share_min: float = 0.7
    """Each named zone gets at least 70 % of its planned time; the rest goes to travel between
    zones, which is part of a program's time."""

    depth_reached_share_min: float = 0.85
    """The deepest working moment reaches at least 85 % of the deepest step's asked depth: the
    supervisor's force back-off and the scan's cautious estimate take some of it."""

    cushion_in_use_kpa: float = 2.0
    cushion_use_share_min: float = 0.5
    """During the program's air steps some cushion is above 2 kPa at least half of the time
    (pulsing rhythms vent between pulses by design)."""

    heat_warm_c: float = 35.0
    heat_warm_up_s: float = 120.0
    heat_use_share_min: float = 0.6
    """After a warm-up allowance of 120 s, each heater the program uses is above 35 °C for at
    least 60 % of its planned heat time (it cools when a step switches it off)."""

    @property
    def neck_force_max_n(self) -> float:
        return self.limits.neck_force_max_n


DEFAULT_CRITERIA = VerifyCriteria()
