"""Verification results: per program, per body, per rule; and the verdict a maker reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openchair.body.model import BodyParams
from openchair.verify.rules import (
    COMFORTABLE_DEPTH,
    RULE_BY_NAME,
    RULE_NAMES,
    VerifyCriteria,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class ProgramResult:
    """One program over the population. Arrays are per body, in ``bodies`` order."""

    program_id: str
    name: str
    minutes: float
    bodies: IntArray
    """Indices into the population."""
    margins: dict[str, FloatArray]
    """Per rule, the worst margin of each body (positive: inside the rule)."""
    outcome: list[str]
    """Per body: completed, or the scan's or the supervisor's reason it did not."""
    peak_force_n: FloatArray
    threshold_at_peak_n: FloatArray
    peak_ratio: FloatArray
    coverage: FloatArray
    back_seconds: FloatArray  # (N, BACK_BINS)
    safety_events: IntArray
    worst_time_s: dict[str, FloatArray] = field(default_factory=dict)
    chair_ticks: int = 0

    def passed_rule(self, rule: str, criteria: VerifyCriteria) -> npt.NDArray[np.bool_]:
        tolerance = criteria.depth_tolerance_mm if rule == COMFORTABLE_DEPTH else 0.0
        return np.asarray(self.margins[rule] >= -tolerance)

    def passed(self, criteria: VerifyCriteria) -> npt.NDArray[np.bool_]:
        ok = np.ones(self.bodies.size, dtype=bool)
        for rule in RULE_NAMES:
            ok &= self.passed_rule(rule, criteria)
        return ok

    def failed_rules(self, i: int, criteria: VerifyCriteria) -> list[str]:
        return [r for r in RULE_NAMES if not self.passed_rule(r, criteria)[i]]

    def worst(self, rule: str) -> tuple[float, int]:
        """The worst margin on ``rule`` and the population index of the body it belongs to
        (infinity and -1 for a program no body ran)."""
        if self.bodies.size == 0:
            return float("inf"), -1
        k = int(np.argmin(self.margins[rule]))
        return float(self.margins[rule][k]), int(self.bodies[k])


@dataclass
class VerifyResult:
    """Every program over one population."""

    population: list[BodyParams]
    seed: int
    intensity: int
    programs: list[ProgramResult]
    criteria: VerifyCriteria
    wall_s: float = 0.0
    workers: int = 1
    population_source: str = "parametric"
    """Where the bodies came from (``openchair.body.population.POPULATIONS``)."""

    @property
    def chair_ticks(self) -> int:
        return sum(p.chair_ticks for p in self.programs)

    @property
    def ok(self) -> bool:
        return all(bool(p.passed(self.criteria).all()) for p in self.programs)

    def replay_command(self, program_id: str, body: int) -> str:
        p = self.population[body]
        extra = "" if self.intensity == 3 else f" --intensity {self.intensity}"
        return f"openchair run {program_id} --body {p.describe()} --seed {p.seed}{extra}"

    def to_dict(self) -> dict[str, object]:
        c = self.criteria
        programs: list[dict[str, object]] = []
        for p in self.programs:
            passed = p.passed(c)
            rules: dict[str, object] = {}
            for rule in RULE_NAMES:
                margin, body = p.worst(rule)
                rules[rule] = {
                    "kind": RULE_BY_NAME[rule].kind,
                    "unit": RULE_BY_NAME[rule].unit,
                    "worst_margin": round(margin, 3) if np.isfinite(margin) else None,
                    "worst_body": body,
                    "failed_bodies": int((~p.passed_rule(rule, c)).sum()),
                }
            failing = [
                {
                    "body": int(p.bodies[i]),
                    "params": self.population[int(p.bodies[i])].describe(),
                    "failed": p.failed_rules(int(i), c),
                    "outcome": p.outcome[i],
                    "replay": self.replay_command(p.program_id, int(p.bodies[i])),
                }
                for i in np.flatnonzero(~passed)
            ]
            programs.append(
                {
                    "program": p.program_id,
                    "name": p.name,
                    "minutes": p.minutes,
                    "bodies": int(p.bodies.size),
                    "passed": int(passed.sum()),
                    "failed": int((~passed).sum()),
                    "coverage_median": _rounded(np.median, p.coverage),
                    "coverage_min": _rounded(np.min, p.coverage),
                    "peak_force_to_pain_threshold_max": _rounded(np.max, p.peak_ratio),
                    "safety_events": int(p.safety_events.sum()),
                    "rules": rules,
                    "failing_bodies": failing,
                }
            )
        return {
            "ok": self.ok,
            "bodies": len(self.population),
            "population": self.population_source,
            "seed": self.seed,
            "intensity": self.intensity,
            "chair_ticks": self.chair_ticks,
            "wall_s": round(self.wall_s, 2),
            "chair_ticks_per_s": round(self.chair_ticks / self.wall_s) if self.wall_s else None,
            "workers": self.workers,
            "programs": programs,
        }


def _rounded(reduce: object, values: FloatArray) -> float | None:
    """A reduction of ``values`` for JSON: None when there is nothing to reduce."""
    if values.size == 0:
        return None
    assert callable(reduce)
    return round(float(reduce(values)), 3)
