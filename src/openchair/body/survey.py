"""The measured persons of the ANSUR II survey, shipped with openchair, and what follows from them.

``data/ansur-ii-seated-4854.csv`` holds 4,854 adults of the 2012 anthropometric survey of U.S. Army
personnel (Gordon et al., Natick TR-15/007, 2014; a public work of the U.S. government; see
``data/README.md``). From it, per sex, this module computes the mean and covariance of the
measures and fills in a person's unmeasured measures from the measured ones: the mean of the
multivariate normal distribution conditioned on what is known (Bishop, *Pattern Recognition and
Machine Learning*, 2006, §2.3.1),

    x_u | x_o  =  μ_u + Σ_uo Σ_oo⁻¹ (x_o − μ_o).

It also says when given measures are implausible: a value far outside the survey, heights in an
impossible order, or a value far from what the person's other measures predict.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

from openchair.body.anthropometry import Sex

FloatArray = npt.NDArray[np.float64]

DATA_FILE: Final[str] = "ansur-ii-seated-4854.csv"

MEASURES: Final[tuple[str, ...]] = (
    "stature",
    "weightkg",
    "sittingheight",
    "eyeheightsitting",
    "acromialheight",
    "cervicaleheight",
    "suprasternaleheight",
    "tenthribheight",
    "iliocristaleheight",
    "trochanterionheight",
    "waistbacklength",
    "biacromialbreadth",
    "hipbreadthsitting",
    "chestdepth",
    "waistdepth",
    "buttockdepth",
    "buttockpopliteallength",
    "poplitealheight",
    "kneeheightsitting",
    "thighclearance",
)
"""The survey's measures a body can be built from, by the survey's column names (mm; weightkg
in kg)."""

MEASURE_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(MEASURES)}

PLAUSIBLE_SD: Final[float] = 6.0
"""A measure more than this many standard deviations from its sex's survey mean is refused (the
survey's own extremes lie within 5.1)."""

CONSISTENT_SD: Final[float] = 6.0
"""A measure more than this many conditional standard deviations from what the person's other
given measures predict is refused (every person of the survey file passes; a swapped column or a
typing error does not)."""

STANDING_BELOW_STATURE: Final[tuple[str, ...]] = (
    "cervicaleheight",
    "suprasternaleheight",
    "acromialheight",
    "tenthribheight",
    "iliocristaleheight",
    "trochanterionheight",
)
"""Standing heights that must lie under the vertex, each under the one before it (C7 over the
shoulder is not required: the order holds in every person of the survey, but a cervicale
measured lower than the acromion would only misplace C7, not break the body)."""

ORDERED_HEIGHTS: Final[tuple[str, ...]] = (
    "stature",
    "cervicaleheight",
    "tenthribheight",
    "iliocristaleheight",
)
"""Standing heights that come in this order from the top in every person."""


class MeasuresError(ValueError):
    """Measures that cannot describe a person; the message names the measure and the reason."""


@dataclass(frozen=True)
class SexSurvey:
    """The survey's persons of one sex: a row per person, a column per measure."""

    sex: Sex
    subjects: tuple[str, ...]
    values: FloatArray  # (n, M)
    mean: FloatArray  # (M,)
    cov: FloatArray  # (M, M)

    @property
    def sd(self) -> FloatArray:
        return np.asarray(np.sqrt(np.diag(self.cov)), dtype=np.float64)

    def person(self, i: int) -> dict[str, float]:
        return {name: float(self.values[i, j]) for j, name in enumerate(MEASURES)}

    def condition(self, given: Mapping[str, float]) -> dict[str, float]:
        """Every measure: the given ones as given, the rest their conditional mean."""
        known = [MEASURE_INDEX[k] for k in given]
        x = self.mean.copy()
        if known:
            unknown = [j for j in range(len(MEASURES)) if j not in known]
            xo = np.array([given[MEASURES[j]] for j in known], dtype=np.float64)
            s_oo = self.cov[np.ix_(known, known)]
            s_uo = self.cov[np.ix_(unknown, known)]
            x[unknown] = self.mean[unknown] + s_uo @ np.linalg.solve(s_oo, xo - self.mean[known])
            x[known] = xo
        return {name: float(x[j]) for j, name in enumerate(MEASURES)}

    def conditional_sd(self, target: str, given: tuple[str, ...]) -> float:
        """Standard deviation of ``target`` left after knowing ``given`` (the fill-in's spread)."""
        t = MEASURE_INDEX[target]
        known = [MEASURE_INDEX[k] for k in given if k != target]
        if not known:
            return float(math.sqrt(self.cov[t, t]))
        s_oo = self.cov[np.ix_(known, known)]
        s_to = self.cov[t, known]
        var = self.cov[t, t] - s_to @ np.linalg.solve(s_oo, s_to)
        return float(math.sqrt(max(var, 0.0)))


@dataclass(frozen=True)
class Survey:
    """Both sexes of the shipped survey file."""

    by_sex: dict[Sex, SexSurvey]

    def __getitem__(self, sex: Sex) -> SexSurvey:
        return self.by_sex[sex]


@cache
def load_survey() -> Survey:
    """Read the shipped file once per process (a few tens of milliseconds)."""
    text = resources.files("openchair.body").joinpath("data", DATA_FILE).read_text()
    rows: dict[Sex, list[list[float]]] = {"female": [], "male": []}
    subjects: dict[Sex, list[str]] = {"female": [], "male": []}
    for row in csv.DictReader(text.splitlines()):
        sex = row["sex"]
        if sex not in rows:
            raise ValueError(f"{DATA_FILE}: unknown sex {sex!r} for subject {row['subject']}")
        rows[sex].append([float(row[m]) for m in MEASURES])
        subjects[sex].append(row["subject"])
    by_sex: dict[Sex, SexSurvey] = {}
    for sex, values in rows.items():
        a = np.asarray(values, dtype=np.float64)
        by_sex[sex] = SexSurvey(
            sex=sex,
            subjects=tuple(subjects[sex]),
            values=a,
            mean=a.mean(axis=0),
            cov=np.cov(a, rowvar=False),
        )
    return Survey(by_sex)


def check_measures(sex: Sex, given: Mapping[str, float]) -> None:
    """Raise ``MeasuresError`` for an unknown column or an implausible value; else return."""
    unknown = [k for k in given if k not in MEASURE_INDEX]
    if unknown:
        raise MeasuresError(
            f"{unknown[0]}: not a survey measure; known measures: {', '.join(MEASURES)}"
        )
    for name, value in given.items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise MeasuresError(f"{name}: {value!r} is not a number")
    s = load_survey()[sex]
    unit = {"weightkg": "kg"}
    for name, value in given.items():
        j = MEASURE_INDEX[name]
        lo = s.mean[j] - PLAUSIBLE_SD * s.sd[j]
        hi = s.mean[j] + PLAUSIBLE_SD * s.sd[j]
        if not lo <= value <= hi:
            u = unit.get(name, "mm")
            raise MeasuresError(
                f"{name}: {value:g} {u} is implausible for a {sex} adult "
                f"(the survey's mean ± {PLAUSIBLE_SD:g} SD is {lo:.0f}..{hi:.0f} {u})"
            )
    heights = [h for h in ORDERED_HEIGHTS if h in given]
    for upper, lower in itertools.pairwise(heights):
        if given[lower] >= given[upper]:
            raise MeasuresError(
                f"{lower}: {given[lower]:g} mm is not below {upper} ({given[upper]:g} mm)"
            )
    if "stature" in given:
        for h in (*STANDING_BELOW_STATURE, "sittingheight"):
            if h in given and given[h] >= given["stature"]:
                raise MeasuresError(
                    f"{h}: {given[h]:g} mm is not below stature ({given['stature']:g} mm)"
                )
    if len(given) > 1:
        # Each measure against what the others predict; the one furthest off is named (a
        # mistyped value also pulls the others' predictions, but least its own).
        worst: tuple[float, str, float, float] | None = None
        for name in given:
            others = {k: v for k, v in given.items() if k != name}
            predicted = s.condition(others)[name]
            spread = s.conditional_sd(name, tuple(others))
            z = abs(given[name] - predicted) / spread if spread > 0 else 0.0
            if z > CONSISTENT_SD and (worst is None or z > worst[0]):
                worst = (z, name, predicted, spread)
        if worst is not None:
            _, name, predicted, spread = worst
            raise MeasuresError(
                f"{name}: {given[name]:g} does not fit the other measures given "
                f"(they predict {predicted:.0f} ± {spread:.0f}; is a value mistyped?)"
            )


def seated_height_mm(measures: Mapping[str, float], standing_column: str) -> float:
    """A standing height as a height above the seat, sitting upright: the sitting height less the
    distance from the vertex down to the landmark standing (the survey measured these heights
    standing only; the distance from the vertex is taken to be the same seated)."""
    return measures["sittingheight"] - (measures["stature"] - measures[standing_column])
