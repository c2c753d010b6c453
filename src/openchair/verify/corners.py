"""Worst-case bodies: the corners of the population, where programs are most likely to hurt.

A random population of 1,000 rarely draws a small, light, stiff person with strong curves, yet
such a person is inside the population's own bounds. The corners put every parameter the sampler
varies at its bound (sex, stature, body-mass index, lordosis, kyphosis, tissue softness), in
every combination: 64 bodies.
"""

from __future__ import annotations

import dataclasses
import itertools

from openchair.body import anthropometry as anthro
from openchair.body.model import BodyParams, BodyParamsError, check_fits_track

STATURE_MM = (1400.0, 2050.0)
BMI = (17.0, 45.0)
MASS_KG = (40.0, 190.0)
CURVE = (0.4, 1.8)
SOFTNESS = (0.6, 1.6)
"""The sampler's bounds (``openchair.body.population``); mass is clipped like the sampler's."""


def corner_population(seed: int = 0) -> list[BodyParams]:
    """Every combination of the sampler's bounds, 64 bodies (``seed`` for their noise).

    Like the sampler, a tallest corner whose trunk proportion (drawn from its seed) would put
    the neck above the roller track gets the next seed that fits (``seed + k + 64 j``): that
    person does not fit the chair and is never verified on it."""
    people = []
    sexes: tuple[anthro.Sex, ...] = ("female", "male")
    for k, (sex, stature, bmi, lordosis, kyphosis, softness) in enumerate(
        itertools.product(sexes, STATURE_MM, BMI, CURVE, CURVE, SOFTNESS)
    ):
        mass = min(max(bmi * (stature / 1000.0) ** 2, MASS_KG[0]), MASS_KG[1])
        person = BodyParams(
            stature_mm=stature,
            mass_kg=round(mass, 1),
            sex=sex,
            lordosis=lordosis,
            kyphosis=kyphosis,
            tissue_softness=softness,
            seed=seed + k,
        )
        while not _fits(person):
            person = dataclasses.replace(person, seed=person.seed + 64)
        people.append(person)
    return people


def _fits(person: BodyParams) -> bool:
    try:
        check_fits_track(person)
    except BodyParamsError:
        return False
    return True
