"""Bodies built from a person's own measurements (any subset of the survey's measures).

The measures not given are filled in from the given ones with the survey's statistics
(:mod:`openchair.body.survey`). Three landmarks are then placed where the measures put them,
as heights above the seat sitting upright (``sittingheight − (stature − standing height)``):

- the shoulder line at the acromion (``acromialheight``);
- C7 at the cervicale (``cervicaleheight``);
- L4 at the top of the iliac crests (``iliocristaleheight``): the line joining the crests crosses
  the spine at about the L4 spinous process (Chakraverty R. et al., *Which spinal levels are
  identified by palpation of the iliac crests and the posterior superior iliac spines?*,
  J. Anat. 210 (2007) 232–236, found it at L4 or the L4/L5 gap in most people).

The spine between L4 and C7 follows the body model's spacing of the spinous processes
(docs/BODY.md), extended down by the same spacing to L5 and S1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import numpy as np

from openchair.body import anthropometry as anthro
from openchair.body.anthropometry import Sex
from openchair.body.landmarks import LANDMARKS, SPINE_LANDMARKS
from openchair.body.survey import MEASURES, check_measures, load_survey, seated_height_mm
from openchair.body.track import GRID_Y_MM

if TYPE_CHECKING:
    from openchair.body.model import BodyParams

SEATED_ANCHORS: Final[dict[str, str]] = {
    "shoulder": "acromialheight",
    "C7": "cervicaleheight",
    "L4": "iliocristaleheight",
}
"""Landmark → the standing height that places it."""

L4_FRACTION: Final[float] = float(sum(anthro.SPINE_GAPS_FROM_S1[:2]))
"""Where L4 lies between S1 (0) and C7 (1) in the model's spine spacing."""

SPINE_FRACTIONS: Final[tuple[float, ...]] = tuple(
    float(f) for f in np.concatenate([[0.0], np.cumsum(anthro.SPINE_GAPS_FROM_S1)])
)

FIELD_MEASURES: Final[dict[str, str]] = {"stature": "stature_mm", "weightkg": "mass_kg"}
"""Measures that are ``BodyParams`` fields of their own rather than entries of ``measures``."""


def all_given(params: BodyParams) -> dict[str, float]:
    """The measures a measured body was given, stature and mass included."""
    given = dict(params.measures)
    given["stature"] = params.stature_mm
    given["weightkg"] = params.mass_kg
    return given


def full_measures(params: BodyParams) -> dict[str, float]:
    """Every survey measure of the person: the given ones, the rest filled in."""
    return load_survey()[params.sex].condition(all_given(params))


def seated_anchors_mm(full: Mapping[str, float]) -> dict[str, float]:
    """Heights above the seat of the landmarks the measures place directly."""
    return {lm: seated_height_mm(full, col) for lm, col in SEATED_ANCHORS.items()}


def measured_landmarks(params: BodyParams, rng: np.random.Generator) -> dict[str, float]:
    """The landmarks of a measured body. Draws the same random numbers, in the same order, as
    the stature-scaled model, so a seed gives the same tight spots and thresholds either way."""
    rng.standard_normal()  # the stature-scaled model's trunk factor: the measures give it here
    rng.standard_normal()  # its shoulder offset: the acromion is measured here
    scapula_jitter = 8.0 * float(np.clip(rng.standard_normal(), -2.5, 2.5))
    anchors = seated_anchors_mm(full_measures(params))
    c7, l4 = anchors["C7"], anchors["L4"]
    length = (c7 - l4) / (1.0 - L4_FRACTION)
    s1 = l4 - L4_FRACTION * length
    landmarks = {"seat_crease": 0.0}
    landmarks.update(
        {
            name: round(s1 + length * f, 1)
            for name, f in zip(SPINE_LANDMARKS, SPINE_FRACTIONS, strict=True)
        }
    )
    landmarks["shoulder"] = round(anchors["shoulder"], 1)
    landmarks["scapula_tip"] = round(landmarks[anthro.SCAPULA_TIP_LANDMARK] + scapula_jitter, 1)
    return {name: landmarks[name] for name in LANDMARKS}


def check_params_measures(params: BodyParams) -> None:
    """Raise ``MeasuresError`` if a measured body's measures are unknown or implausible."""
    for name, _ in params.measures:
        if name in FIELD_MEASURES:
            raise ValueError(
                f"{name}: give it as the {FIELD_MEASURES[name]} field, not among the measures"
            )
    names = [n for n, _ in params.measures]
    if len(set(names)) != len(names):
        raise ValueError(f"measures: a measure is given twice in {', '.join(names)}")
    check_measures(params.sex, all_given(params))
    anchors = seated_anchors_mm(full_measures(params))
    top = float(GRID_Y_MM[-1])
    if anchors["C7"] > top:
        raise ValueError(
            f"the measures put C7 {anchors['C7']:.0f} mm above the seat, beyond the roller "
            f"track's {top:.0f} mm"
        )
    if not 0.0 < anchors["L4"] < anchors["shoulder"] < anchors["C7"]:
        raise ValueError(
            "the measures put the iliac crest, the shoulder and C7 out of order above the seat "
            f"({anchors['L4']:.0f}, {anchors['shoulder']:.0f}, {anchors['C7']:.0f} mm)"
        )


def params_from_measures(
    sex: Sex,
    measures: Mapping[str, float],
    *,
    lordosis: float = 1.0,
    kyphosis: float = 1.0,
    tissue_softness: float = 1.0,
    seed: int = 0,
) -> BodyParams:
    """A body from a person's measures by the survey's column names (``stature``, ``weightkg``,
    ``sittingheight``, …); stature and mass are filled in too when not given. Raises
    ``BodyParamsError`` naming an unknown column or an implausible value."""
    from openchair.body.model import BodyParams, BodyParamsError

    if sex not in ("female", "male"):
        raise BodyParamsError(f"sex: {sex!r} is not one of female, male")
    given = dict(measures)
    try:
        check_measures(sex, given)
    except ValueError as err:
        raise BodyParamsError(str(err)) from None
    full = load_survey()[sex].condition(given)
    return BodyParams(
        stature_mm=round(given.get("stature", full["stature"]), 1),
        mass_kg=round(given.get("weightkg", full["weightkg"]), 1),
        sex=sex,
        lordosis=lordosis,
        kyphosis=kyphosis,
        tissue_softness=tissue_softness,
        seed=seed,
        measures=tuple(
            (name, float(given[name]))
            for name in MEASURES
            if name in given and name not in FIELD_MEASURES
        ),
    )
