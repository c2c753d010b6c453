"""The body model against the survey: seated landmarks, side by side (``openchair body
--compare-survey``).

The survey measured these heights standing; seated, each is ``sittingheight − (stature −
standing height)`` per person (the data's own conversion). The model's values are the landmarks of
bodies drawn by the stature-scaled (``parametric``) sampler, whose people vary in stature and mass
only as the survey's means and SDs say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from openchair.body.anthropometry import Sex
from openchair.body.measured import SEATED_ANCHORS
from openchair.body.model import make_body
from openchair.body.population import sample_population
from openchair.body.survey import MEASURE_INDEX, MEASURES, load_survey

FloatArray = npt.NDArray[np.float64]

COMPARED: Final[tuple[tuple[str, str], ...]] = (
    ("stature", "stature"),
    ("weightkg", "mass"),
    ("acromialheight", "shoulder"),
    ("cervicaleheight", "C7"),
    ("iliocristaleheight", "L4"),
)
"""(survey measure, model landmark or parameter): the seated landmarks the survey gives."""

FILL_IN_GIVEN: Final[tuple[tuple[str, ...], ...]] = (
    (),
    ("stature",),
    ("stature", "weightkg"),
    ("stature", "sittingheight"),
    ("stature", "sittingheight", "acromialheight"),
)
"""Sets of given measures for the fill-in spread table."""


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float
    sd: float
    p5: float
    p50: float
    p95: float

    @classmethod
    def of(cls, values: FloatArray) -> Stats:
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        return cls(
            int(values.size),
            float(values.mean()),
            float(values.std(ddof=1)),
            float(p5),
            float(p50),
            float(p95),
        )


@dataclass(frozen=True)
class Row:
    sex: Sex
    what: str
    """Landmark (seated, mm above the seat) or parameter, as the model names it."""
    survey: Stats
    model: Stats


def _seated(values: FloatArray, column: str) -> FloatArray:
    if column in ("stature", "weightkg"):
        return np.asarray(values[:, MEASURE_INDEX[column]], dtype=np.float64)
    sh = values[:, MEASURE_INDEX["sittingheight"]]
    st = values[:, MEASURE_INDEX["stature"]]
    return np.asarray(sh - (st - values[:, MEASURE_INDEX[column]]), dtype=np.float64)


def compare(n_model: int = 2000, seed: int = 0) -> list[Row]:
    """Survey persons against ``n_model`` model bodies per sex (drawn with ``seed``)."""
    survey = load_survey()
    rng = np.random.default_rng(seed)
    rows = []
    for sex in ("female", "male"):
        people: list[dict[str, float]] = []
        while len(people) < n_model:
            for p in sample_population(n_model, rng):
                if p.sex == sex and len(people) < n_model:
                    lm = make_body(p).landmarks_y_mm
                    people.append({**lm, "stature": p.stature_mm, "mass": p.mass_kg})
        s = survey[sex]
        for column, name in COMPARED:
            model = np.array([q[name] for q in people])
            rows.append(Row(sex, name, Stats.of(_seated(s.values, column)), Stats.of(model)))
    return rows


def fill_in_spread() -> list[tuple[Sex, tuple[str, ...], dict[str, float]]]:
    """SD (mm) left in each seated anchor after the fill-in from each set of given measures: how
    far a body built from only those measures may put the landmark from the person's own."""
    out: list[tuple[Sex, tuple[str, ...], dict[str, float]]] = []
    survey = load_survey()
    for sex in ("female", "male"):
        s = survey[sex]
        for given in FILL_IN_GIVEN:
            spreads = {}
            for landmark, column in SEATED_ANCHORS.items():
                w = np.zeros(len(MEASURES))
                w[MEASURE_INDEX["sittingheight"]] += 1.0
                w[MEASURE_INDEX["stature"]] -= 1.0
                w[MEASURE_INDEX[column]] += 1.0
                spreads[landmark] = _conditional_sd(s.cov, w, [MEASURE_INDEX[g] for g in given])
            out.append((sex, given, spreads))
    return out


def _conditional_sd(cov: FloatArray, w: FloatArray, known: list[int]) -> float:
    """SD of ``w·x`` given the measures ``known`` (multivariate normal)."""
    if not known:
        return float(np.sqrt(w @ cov @ w))
    s_oo = cov[np.ix_(known, known)]
    s_xo = (w @ cov)[known]
    var = float(w @ cov @ w - s_xo @ np.linalg.solve(s_oo, s_xo))
    return float(np.sqrt(max(var, 0.0)))
