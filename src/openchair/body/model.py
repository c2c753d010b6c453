"""One seated person: where their landmarks are, the shape of their back, their tissue and pain.

A body is generated from stature, mass, sex and a few shape parameters, deterministically for a
seed. The twin presses rollers into it; the verifier scores programs against its truth. All
profiles are sampled on the track grid (``GRID_Y_MM``) so that batches of bodies become arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from openchair.body import anthropometry as anthro
from openchair.body.anthropometry import Sex
from openchair.body.bodymap import BodyMap, track_pairs
from openchair.body.landmarks import (
    LANDMARKS,
    REGION_NAMES,
    REGIONS,
    SPINE_LANDMARKS,
)
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM
from openchair.inputs.limits import SEED_MAX
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits

FloatArray = npt.NDArray[np.float64]


__all__ = [
    "GRID_Y_MM",
    "Body",
    "BodyParams",
    "BodyParamsError",
    "Sex",
    "TightSpot",
    "check_fits_track",
    "make_body",
]


class BodyParamsError(ValueError):
    """A body parameter is impossible; the message names the field, the value and the range."""


_RANGES: Final[dict[str, tuple[float, float, str]]] = {
    "stature_mm": (1300.0, 2100.0, "adults the chair fits"),
    "mass_kg": (35.0, 200.0, "adults the chair carries"),
    "lordosis": (0.3, 2.0, "multiplier on the typical lumbar curve"),
    "kyphosis": (0.3, 2.0, "multiplier on the typical thoracic curve"),
    "tissue_softness": (0.5, 2.0, "multiplier: above 1 is softer"),
}


@dataclass(frozen=True)
class BodyParams:
    """What a body is generated from. Same parameters, same body."""

    stature_mm: float
    mass_kg: float
    sex: Sex
    lordosis: float = 1.0
    kyphosis: float = 1.0
    tissue_softness: float = 1.0
    seed: int = 0
    measures: tuple[tuple[str, float], ...] = ()
    """A measured person's own survey measures besides stature and mass (``(column, value)``
    pairs, survey column names): the landmarks are then placed from them
    (:mod:`openchair.body.measured`). Empty: the landmarks scale with stature."""

    def __post_init__(self) -> None:
        if self.sex not in ("female", "male"):
            raise BodyParamsError(f"sex: {self.sex!r} is not one of female, male")
        for name, (lo, hi, why) in _RANGES.items():
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise BodyParamsError(f"{name}: {value!r} is not a number")
            if not lo <= value <= hi:
                raise BodyParamsError(f"{name}: {value:g} is outside {lo:g}..{hi:g} ({why})")
        bmi = self.mass_kg / (self.stature_mm / 1000.0) ** 2
        if not 13.0 <= bmi <= 70.0:
            raise BodyParamsError(
                f"mass_kg: {self.mass_kg:g} kg at {self.stature_mm:g} mm is a body-mass index "
                f"of {bmi:.1f}, outside 13..70"
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed <= SEED_MAX:
            raise BodyParamsError(f"seed: {self.seed!r} must be a whole number 0..{SEED_MAX}")
        if self.measures:
            from openchair.body.measured import check_params_measures

            try:
                check_params_measures(self)
            except ValueError as err:
                raise BodyParamsError(str(err)) from None

    @classmethod
    def from_percentile(cls, percentile: float, sex: Sex, seed: int = 0) -> BodyParams:
        """The person at a size percentile of the survey: stature and mass at that percentile."""
        if not 0.5 <= percentile <= 99.5:
            raise BodyParamsError(f"percentile: {percentile:g} is outside 0.5..99.5")
        if sex not in anthro.SURVEY:
            raise BodyParamsError(f"sex: {sex!r} is not one of female, male")
        z = NormalDist().inv_cdf(percentile / 100.0)
        s = anthro.SURVEY[sex]
        return cls(
            stature_mm=round(s.stature_mean_mm + z * s.stature_sd_mm, 1),
            mass_kg=round(s.mass_mean_kg + z * s.mass_sd_kg, 1),
            sex=sex,
            seed=seed,
        )

    def describe(self) -> str:
        """Parameters as ``openchair run --body`` takes them, so a body can be replayed."""
        return (
            f"stature={self.stature_mm:g},mass={self.mass_kg:g},sex={self.sex},"
            f"lordosis={self.lordosis:g},kyphosis={self.kyphosis:g},"
            f"softness={self.tissue_softness:g},seed={self.seed}"
            + "".join(f",{name}={value:g}" for name, value in self.measures)
        )


@dataclass(frozen=True)
class TightSpot:
    """A trigger point: a small patch of stiffer muscle beside the spine."""

    y_mm: float
    side: Literal["left", "right", "both"]
    stiffness_factor: float
    radius_mm: float


@dataclass(frozen=True)
class Body:
    """One seated person. Profiles are on ``GRID_Y_MM``; column 0 is left, 1 is right."""

    params: BodyParams
    landmarks_y_mm: dict[str, float]
    tight_spots: tuple[TightSpot, ...]
    back_gap_mm: FloatArray = field(repr=False)
    stiffness_scale: FloatArray = field(repr=False)  # (G, 2)
    pain_threshold_paraspinal_n: FloatArray = field(repr=False)
    pain_threshold_spine_n: FloatArray = field(repr=False)
    region_ppt_n: dict[str, float] = field(repr=False)

    def region_bounds_mm(self, region: str) -> tuple[float, float]:
        b = REGIONS[region]
        return (
            self.landmarks_y_mm[b.lower] + b.lower_offset_mm,
            self.landmarks_y_mm[b.upper] + b.upper_offset_mm,
        )

    def comfort_force_n(self, limits: SafetyLimits = DEFAULT_LIMITS) -> dict[str, float]:
        """Force each region takes comfortably: a fixed fraction of the pain threshold."""
        out = {}
        for region in REGION_NAMES:
            f = limits.comfort_force_fraction_of_pain_threshold * self.region_ppt_n[region]
            if region == "neck":
                f = min(f, limits.neck_force_max_n)
            out[region] = min(f, limits.roller_force_hard_max_n)
        return out

    def comfortable_depth_mm(self, limits: SafetyLimits = DEFAULT_LIMITS) -> dict[str, float]:
        """Deepest protrusion where neither roller exceeds the comfort force anywhere in a region.

        Inverts the tissue law at every grid point of the region and takes the shallowest answer,
        capped at the hard depth limit.
        """
        comfort = self.comfort_force_n(limits)
        out = {}
        for region in REGION_NAMES:
            lo, hi = self.region_bounds_mm(region)
            inside = (lo <= GRID_Y_MM) & (hi >= GRID_Y_MM)
            if not np.any(inside):
                inside = np.abs(GRID_Y_MM - (lo + hi) / 2) <= GRID_STEP_MM
            stiff = self.stiffness_scale[inside].max(axis=1)
            compression = anthro.TISSUE_EXP_LENGTH_MM * np.log1p(comfort[region] / stiff)
            depth = float(np.min(self.back_gap_mm[inside] + compression))
            out[region] = round(min(depth, limits.roller_depth_hard_max_mm), 1)
        return out

    def to_map(self, limits: SafetyLimits = DEFAULT_LIMITS) -> BodyMap:
        """The truth as a body map: what a perfect scan would find."""
        return BodyMap(
            landmarks_y_mm=dict(self.landmarks_y_mm),
            comfortable_depth_mm=self.comfortable_depth_mm(limits),
            comfort_force_n=self.comfort_force_n(limits),
            tight_spots_y_mm=tuple(s.y_mm for s in self.tight_spots),
            source="model",
            contact_depth_mm=track_pairs(self.contact_depth_mm(limits.scan_contact_force_n)),
        )

    def contact_depth_mm(self, force_n: float) -> FloatArray:
        """(G,) roller depth at which the stiffer of the two sides presses with ``force_n``: what
        a perfect scan at that contact force measures."""
        stiff = self.stiffness_scale.max(axis=1)
        return np.asarray(
            self.back_gap_mm + anthro.TISSUE_EXP_LENGTH_MM * np.log1p(force_n / stiff),
            dtype=np.float64,
        )


def make_body(params: BodyParams) -> Body:
    """Generate the body; everything random comes from ``params.seed``.

    Raises :class:`BodyParamsError` for a body whose neck lies off the roller track (see
    :func:`check_fits_track`)."""
    rng = np.random.default_rng([params.seed, 0x0C4A1])
    landmarks = _landmarks(params, rng)
    _check_on_track(params, landmarks)
    gap = _back_gap(params, landmarks)
    spots = _tight_spots(landmarks, rng)
    stiffness = _stiffness(params, landmarks, spots)
    region_ppt = _region_ppt(params, rng)
    ppt_para = _region_profile(landmarks, region_ppt)
    return Body(
        params=params,
        landmarks_y_mm=landmarks,
        tight_spots=spots,
        back_gap_mm=gap,
        stiffness_scale=stiffness,
        pain_threshold_paraspinal_n=ppt_para,
        pain_threshold_spine_n=ppt_para * anthro.SPINE_PPT_FACTOR,
        region_ppt_n=region_ppt,
    )


def check_fits_track(params: BodyParams) -> None:
    """Raise :class:`BodyParamsError` unless the body's spine up to C7 lies on the roller track.

    Stature and trunk proportion (drawn from the seed) place C7; at the tallest statures some
    seeds put it above the track's top, where the chair has no rollers and the body model has no
    tissue to describe the neck with. Cheap: only the landmarks are computed."""
    _check_on_track(params, _landmarks(params, np.random.default_rng([params.seed, 0x0C4A1])))


def _check_on_track(params: BodyParams, landmarks: dict[str, float]) -> None:
    top = float(GRID_Y_MM[-1])
    if landmarks["C7"] > top:
        raise BodyParamsError(
            f"stature_mm: {params.stature_mm:g} mm with seed {params.seed} puts the neck (C7) at "
            f"{landmarks['C7']:.0f} mm, above the roller track's top at {top:g} mm: the chair "
            "does not fit this person (a smaller stature, or another seed)"
        )


def _landmarks(params: BodyParams, rng: np.random.Generator) -> dict[str, float]:
    if params.measures:
        from openchair.body.measured import measured_landmarks

        return measured_landmarks(params, rng)
    s = anthro.SURVEY[params.sex]
    trunk = 1.0 + anthro.TRUNK_PROPORTION_SD * float(np.clip(rng.standard_normal(), -2.5, 2.5))
    scale = params.stature_mm / s.stature_mean_mm * trunk
    s1 = anthro.S1_HEIGHT_FRACTION_OF_STATURE * params.stature_mm
    c7 = s.cervicale_height_sitting_mean_mm * scale
    length = c7 - s1
    ys = s1 + length * np.concatenate([[0.0], np.cumsum(anthro.SPINE_GAPS_FROM_S1)])
    landmarks = {"seat_crease": 0.0}
    landmarks.update(
        {name: round(float(y), 1) for name, y in zip(SPINE_LANDMARKS, ys, strict=True)}
    )
    shoulder_jitter = 8.0 * float(np.clip(rng.standard_normal(), -2.5, 2.5))
    landmarks["shoulder"] = round(s.acromion_height_sitting_mean_mm * scale + shoulder_jitter, 1)
    scapula_jitter = 8.0 * float(np.clip(rng.standard_normal(), -2.5, 2.5))
    landmarks["scapula_tip"] = round(landmarks[anthro.SCAPULA_TIP_LANDMARK] + scapula_jitter, 1)
    return {name: landmarks[name] for name in LANDMARKS}


def _bump(y: FloatArray, centre: float, width: float) -> FloatArray:
    return np.exp(-0.5 * ((y - centre) / width) ** 2)


def _back_gap(params: BodyParams, lm: dict[str, float]) -> FloatArray:
    """Distance from the backrest surface to the skin over the paraspinal lines, rollers retracted.

    The pelvis and the thoracic curve rest on the backrest; the lumbar hollow (lordosis) and the
    neck (above a rounded upper back: kyphosis) stand off it. Under the seat the thighs rest on
    the seat cushion with a small gap to the rollers beneath it.
    """
    y = GRID_Y_MM
    bmi = params.mass_kg / (params.stature_mm / 1000.0) ** 2
    padding = float(np.clip((bmi - 24.0) * 0.6, -3.0, 8.0))  # more tissue fills the hollows
    lumbar_span = lm["T12"] - lm["S1"]
    lumbar = 38.0 * params.lordosis * _bump(y, lm["L3"], 0.38 * lumbar_span)
    thoracic_apex = lm["T7"]
    neck_rise = (12.0 + 22.0 * params.kyphosis) * np.clip(
        (y - thoracic_apex) / (lm["C7"] - thoracic_apex), 0, None
    ) ** 2
    kyphosis_lift = 6.0 * (params.kyphosis - 1.0) * _bump(y, lm["L1"], 60.0)
    back = 4.0 + np.maximum(lumbar - padding, 0.0) + neck_rise + kyphosis_lift
    under_seat = np.where(y < -200.0, 6.0 + (-200.0 - y) * 0.03, 4.0)
    gap = np.where(y >= 0.0, back, under_seat)
    return np.clip(gap, 0.0, 150.0)


def _tight_spots(lm: dict[str, float], rng: np.random.Generator) -> tuple[TightSpot, ...]:
    count = int(rng.integers(2, 6))
    lo = lm["S1"]
    hi = lm["T2"]
    spots = []
    for _ in range(count):
        side = ("left", "right", "both")[int(rng.integers(0, 3))]
        spots.append(
            TightSpot(
                y_mm=round(float(rng.uniform(lo, hi)), 1),
                side=side,  # type: ignore[arg-type]
                stiffness_factor=round(float(rng.uniform(1.6, 2.6)), 2),
                radius_mm=round(float(rng.uniform(15.0, 30.0)), 1),
            )
        )
    return tuple(sorted(spots, key=lambda s: s.y_mm))


def _region_centres(lm: dict[str, float]) -> tuple[list[float], list[str]]:
    centres = []
    for region in REGION_NAMES:
        b = REGIONS[region]
        lo = lm[b.lower] + b.lower_offset_mm
        hi = lm[b.upper] + b.upper_offset_mm
        centres.append((lo + hi) / 2.0)
    return centres, list(REGION_NAMES)


def _region_profile(lm: dict[str, float], values: dict[str, float]) -> FloatArray:
    """A per-region value as a smooth profile along the track (linear between region centres)."""
    centres, names = _region_centres(lm)
    order = np.argsort(centres)
    xs = np.asarray(centres)[order]
    vs = np.asarray([values[names[i]] for i in order])
    return np.asarray(np.interp(GRID_Y_MM, xs, vs), dtype=np.float64)


def _stiffness(
    params: BodyParams, lm: dict[str, float], spots: tuple[TightSpot, ...]
) -> FloatArray:
    base = _region_profile(lm, anthro.TISSUE_REFERENCE_FORCE_N) / params.tissue_softness
    out = np.stack([base, base], axis=1)
    for spot in spots:
        bump = (spot.stiffness_factor - 1.0) * _bump(GRID_Y_MM, spot.y_mm, spot.radius_mm)
        for col, side in ((0, "left"), (1, "right")):
            if spot.side in (side, "both"):
                out[:, col] *= 1.0 + bump
    return out


def _region_ppt(params: BodyParams, rng: np.random.Generator) -> dict[str, float]:
    """Pain threshold force per region beside the spine, in N, with a personal factor."""
    personal = math.exp(anthro.PPT_SD_FRACTION * float(np.clip(rng.standard_normal(), -2.5, 2.5)))
    col = 0 if params.sex == "male" else 1
    kpa_to_n = anthro.ROLLER_CONTACT_AREA_CM2 * 1e-4 * 1000.0  # kPa x m^2 -> N
    return {
        region: round(anthro.PPT_KPA[region][col] * kpa_to_n * personal, 1)
        for region in REGION_NAMES
    }
