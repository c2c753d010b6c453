"""A population sampler: realistic mixes of people, from small women to tall men."""

from __future__ import annotations

import dataclasses

import numpy as np

from openchair.body import anthropometry as anthro
from openchair.body.model import BodyParams, BodyParamsError, check_fits_track

_BMI_MEDIAN = {"male": 27.0, "female": 25.5}
_BMI_LOG_SD = 0.15


def sample_population(n: int, rng: np.random.Generator) -> list[BodyParams]:
    """``n`` people: about half women, stature from the survey, mass through body-mass index.

    Shape and tissue parameters vary around 1 with a spread of about 20 % (lordosis, kyphosis)
    and 15 % (tissue softness). Values are clipped to what ``BodyParams`` accepts.
    """
    if n < 1:
        raise ValueError(f"a population needs at least one person, got {n}")
    people = []
    for _ in range(n):
        sex: anthro.Sex = "female" if rng.random() < 0.5 else "male"
        s = anthro.SURVEY[sex]
        stature = float(np.clip(rng.normal(s.stature_mean_mm, s.stature_sd_mm), 1400, 2050))
        bmi = float(np.clip(_BMI_MEDIAN[sex] * np.exp(rng.normal(0, _BMI_LOG_SD)), 17.0, 45.0))
        mass = float(np.clip(bmi * (stature / 1000.0) ** 2, 40.0, 190.0))
        person = BodyParams(
            stature_mm=round(stature, 1),
            mass_kg=round(mass, 1),
            sex=sex,
            lordosis=round(float(np.clip(rng.normal(1.0, 0.2), 0.4, 1.8)), 3),
            kyphosis=round(float(np.clip(rng.normal(1.0, 0.2), 0.4, 1.8)), 3),
            tissue_softness=round(float(np.clip(rng.normal(1.0, 0.15), 0.6, 1.6)), 3),
            seed=int(rng.integers(0, 2**31)),
        )
        while not _fits_track(person):
            # The tallest people with a long trunk can have the neck above the track (a few in
            # a million): another seed redraws the trunk's proportion.
            person = dataclasses.replace(person, seed=int(rng.integers(0, 2**31)))
        people.append(person)
    return people


def _fits_track(person: BodyParams) -> bool:
    try:
        check_fits_track(person)
    except BodyParamsError:
        return False
    return True


POPULATIONS: tuple[str, ...] = ("parametric", "ansur")
"""Where a population's people come from: ``parametric`` draws stature and mass from the survey's
means and SDs and scales one shape by stature; ``ansur`` draws measured persons of the survey file
and places their landmarks from their own measures (:mod:`openchair.body.measured`)."""

ANSUR_PLACING_MEASURES: tuple[str, ...] = (
    "sittingheight",
    "acromialheight",
    "cervicaleheight",
    "iliocristaleheight",
)
"""The measures that place a measured body's landmarks, besides stature and mass: a person drawn
from the file is given these, so their landmarks are their own and nothing is filled in."""


def sample_ansur(n: int, rng: np.random.Generator) -> list[BodyParams]:
    """``n`` measured persons of the survey file: about half women (as ``sample_population``),
    each person drawn at most once while the file's persons of that sex last. Shape and tissue
    parameters, which the survey does not measure, vary as in ``sample_population``."""
    from openchair.body.measured import params_from_measures
    from openchair.body.survey import load_survey

    if n < 1:
        raise ValueError(f"a population needs at least one person, got {n}")
    survey = load_survey()
    order: dict[anthro.Sex, list[int]] = {}
    taken: dict[anthro.Sex, int] = {"female": 0, "male": 0}
    people = []
    for _ in range(n):
        sex: anthro.Sex = "female" if rng.random() < 0.5 else "male"
        s = survey[sex]
        if taken[sex] % len(s.subjects) == 0:
            order[sex] = [int(i) for i in rng.permutation(len(s.subjects))]
        person = s.person(order[sex][taken[sex] % len(s.subjects)])
        taken[sex] += 1
        people.append(
            params_from_measures(
                sex,
                {k: person[k] for k in ("stature", "weightkg", *ANSUR_PLACING_MEASURES)},
                lordosis=round(float(np.clip(rng.normal(1.0, 0.2), 0.4, 1.8)), 3),
                kyphosis=round(float(np.clip(rng.normal(1.0, 0.2), 0.4, 1.8)), 3),
                tissue_softness=round(float(np.clip(rng.normal(1.0, 0.15), 0.6, 1.6)), 3),
                seed=int(rng.integers(0, 2**31)),
            )
        )
    return people


def sample(source: str, n: int, rng: np.random.Generator) -> list[BodyParams]:
    """``n`` people from the named source (one of ``POPULATIONS``)."""
    if source == "parametric":
        return sample_population(n, rng)
    if source == "ansur":
        return sample_ansur(n, rng)
    raise ValueError(f"population: {source!r} is not one of {', '.join(POPULATIONS)}")
