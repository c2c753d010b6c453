"""From what the sweep sensed to a body map: the shoulder line, the spine curve, the landmarks.

- The shoulder line is the middle of the stretch where the shoulder sensor was on.
- The back's profile (where the rollers meet the back at each ``y``) is the depth minus the
  light compression of the tissue at the contact force.
- The lumbar hollow's deepest point is L3 (the lordosis apex).
- C7 follows from the shoulder line, S1 from C7 and L3, and the other spinous processes from
  the spine proportions of the body model (docs/BODY.md) between them.
- The comfortable depth of each region is the back's profile plus the compression at which the
  tissue reaches the comfort force, with population tissue values (a chair cannot measure pain).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openchair.body import anthropometry as anthro
from openchair.body.bodymap import BodyMap, track_pairs
from openchair.body.landmarks import LANDMARKS, REGION_NAMES, REGIONS, SPINE_LANDMARKS
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.scan import spine as spine_mod
from openchair.scan import template

FloatArray = npt.NDArray[np.float64]

C7_PER_SHOULDER = 0.5 * (664.0 / 598.0 + 614.0 / 556.0)
"""Cervicale over acromion height, sitting (survey means, men and women averaged)."""
L3_FRACTION = float(sum(anthro.SPINE_GAPS_FROM_S1[:3]))
"""Where L3 lies between S1 (0) and C7 (1)."""
STATURE_PER_SHOULDER = 0.5 * (1756.0 / 598.0 + 1629.0 / 556.0)
TYPICAL_TISSUE_REF_N = 3.0
"""Tissue law scale used to undo the light contact's compression (population typical)."""
TIGHT_SPOT_BASELINE_MM = 60.0
TIGHT_SPOT_MIN_MM = 2.0
"""Stiffer tissue answers the light contact sooner, so the back seems to stand out there: a local
rise of the profile of at least TIGHT_SPOT_MIN_MM above its 60 mm-wide average marks a tight spot.
On the twin this finds about half the true spots, and about 5 in 6 of those it marks are real
(docs/SCAN.md)."""
MIN_LORDOSIS_MM = 6.0
"""A lumbar hollow shallower than this cannot place L3; the proportions place it instead."""


class ScanOutcome(enum.StrEnum):
    OK = "ok"
    NOBODY_SEATED = "nobody_seated"
    LEANING_FORWARD = "leaning_forward"
    NO_SHOULDER_SIGNAL = "no_shoulder_signal"
    TOO_TALL = "too_tall"


MESSAGES = {
    ScanOutcome.OK: "scan complete",
    ScanOutcome.NOBODY_SEATED: "nobody is seated: sit back in the chair and start again",
    ScanOutcome.LEANING_FORWARD: (
        "the rollers never reached the back: lean back against the backrest and start again"
    ),
    ScanOutcome.NO_SHOULDER_SIGNAL: (
        "the shoulder sensor never triggered: sit up against the backrest; if it persists the "
        "sensor needs service (run the self-test); the shoulder position can be set by hand"
    ),
    ScanOutcome.TOO_TALL: (
        "the shoulders are above the end of the track: the chair cannot fit programs to this body"
    ),
}


@dataclass(frozen=True)
class ChairEstimate:
    outcome: ScanOutcome
    message: str
    body_map: BodyMap | None
    shoulder_y_mm: float | None
    lordosis_apex_y_mm: float | None
    profile_mm: FloatArray | None  # (G,) where the rollers meet the back, NaN where unknown


def comfort_force_defaults(limits: SafetyLimits = DEFAULT_LIMITS) -> dict[str, float]:
    """Cautious comfort forces for anyone: the lowest threshold of the population model (the
    women's mean × ``limits.assumed_pain_threshold_factor``)."""
    out = {}
    for region in REGION_NAMES:
        ppt_n = (
            anthro.PPT_KPA[region][1]
            * anthro.ROLLER_CONTACT_AREA_CM2
            * 0.1
            * limits.assumed_pain_threshold_factor
        )
        f = limits.comfort_force_fraction_of_pain_threshold * ppt_n
        if region == "neck":
            f = min(f, limits.neck_force_max_n)
        out[region] = round(min(f, limits.roller_force_hard_max_n), 1)
    return out


def _in_contact(force: FloatArray, contact_n: float) -> npt.NDArray[np.bool_]:
    """Samples taken at about the scan's contact force (noise and the servo's swing allowed)."""
    return (force >= 0.5 * contact_n) & (force <= 2.5 * contact_n)


def _binned_mean(y: FloatArray, values: FloatArray, use: npt.NDArray[np.bool_]) -> FloatArray:
    """(G,) mean of ``values`` per track grid point; NaN where no sample is used."""
    out = np.full(GRID_Y_MM.size, np.nan)
    if not use.any():
        return out
    idx = np.clip(
        np.round((y[use] - GRID_Y_MM[0]) / GRID_STEP_MM).astype(int), 0, GRID_Y_MM.size - 1
    )
    sums = np.bincount(idx, weights=values[use], minlength=GRID_Y_MM.size)
    counts = np.bincount(idx, minlength=GRID_Y_MM.size)
    seen = counts > 0
    out[seen] = sums[seen] / counts[seen]
    return out


def back_profile(
    y: FloatArray, depth: FloatArray, force: FloatArray, contact_n: float
) -> FloatArray:
    """(G,) where the rollers meet the back, from one chair's samples; NaN where not touched.
    An estimate: the compression is undone with population-typical tissue."""
    contact = depth - anthro.TISSUE_EXP_LENGTH_MM * np.log1p(
        np.maximum(force, 0.0) / TYPICAL_TISSUE_REF_N
    )
    return _binned_mean(y, contact, _in_contact(force, contact_n))


def contact_depth(
    y: FloatArray, depth: FloatArray, force: FloatArray, contact_n: float
) -> FloatArray:
    """(G,) the roller depth at which the back answered with about the contact force; NaN where
    not touched. A measurement: no tissue model, and not smoothed (smoothing would lower it at
    the deepest point of the lumbar hollow, where it must not be under-estimated)."""
    return _binned_mean(y, depth, _in_contact(force, contact_n))


def _smooth(profile: FloatArray, width_mm: float = 25.0) -> FloatArray:
    known = np.isfinite(profile)
    if known.sum() < 3:
        return profile
    filled = np.interp(GRID_Y_MM, GRID_Y_MM[known], profile[known])
    k = max(1, int(width_mm / GRID_STEP_MM))
    kernel = np.ones(2 * k + 1) / (2 * k + 1)
    smooth = np.convolve(np.pad(filled, k, mode="edge"), kernel, mode="valid")
    return np.where(known, smooth, np.nan)


def estimate_chair(
    y: FloatArray,
    depth: FloatArray,
    force: FloatArray,
    shoulder: npt.NDArray[np.bool_],
    *,
    occupied: bool,
    no_contact: bool,
    track_max_mm: float,
    limits: SafetyLimits = DEFAULT_LIMITS,
    force_soft: FloatArray | None = None,
    whole_profile: bool = True,
) -> ChairEstimate:
    """One chair's body map from its sweep samples (arrays over time).

    ``force_soft`` is the smaller of the left and right forces at each sample; with it the lumbar
    spine is placed from the lumbar hollow (:mod:`openchair.scan.spine`), without it from the
    shoulder line alone. ``whole_profile`` (with ``force_soft``) then fits the back template to
    the whole profile (:mod:`openchair.scan.template`): the hollow's width, the thoracic curve and
    the tissue place S1 and C7 besides L3, weighed against what the shoulder line says.
    """

    def fail(outcome: ScanOutcome, profile: FloatArray | None = None) -> ChairEstimate:
        return ChairEstimate(outcome, MESSAGES[outcome], None, None, None, profile)

    if not occupied:
        return fail(ScanOutcome.NOBODY_SEATED)
    contact_n = limits.scan_contact_force_n
    touched = np.mean(force >= 0.5 * contact_n) if force.size else 0.0
    if no_contact and touched < 0.2:
        return fail(ScanOutcome.LEANING_FORWARD)
    profile = _smooth(back_profile(y, depth, force, contact_n))
    if not shoulder.any():
        top_touched = np.isfinite(profile[track_max_mm - 20 <= GRID_Y_MM]).any()
        return fail(
            ScanOutcome.TOO_TALL
            if top_touched and touched > 0.8
            else ScanOutcome.NO_SHOULDER_SIGNAL,
            profile,
        )
    shoulder_y = float(np.mean(y[shoulder]))
    if shoulder_y >= track_max_mm - 20:
        return fail(ScanOutcome.TOO_TALL, profile)
    c7 = C7_PER_SHOULDER * shoulder_y
    # First estimate: S1 follows stature, which the shoulder line gives to within the trunk's
    # spread.
    s1 = anthro.S1_HEIGHT_FRACTION_OF_STATURE * STATURE_PER_SHOULDER * shoulder_y
    expected_l3 = s1 + L3_FRACTION * (c7 - s1)
    apex = _lordosis_apex(profile, expected_l3)
    landmarks = _spine_landmarks(s1, c7, shoulder_y)
    if force_soft is not None:
        # Then the lumbar hollow's centre places L3, and the spine runs from it to C7: people of
        # the same shoulder height differ in where their lumbar spine sits (docs/SCAN.md).
        use = _in_contact(force, contact_n)
        for _ in range(2):
            gap = _smooth(spine_mod.gap_profile(y, depth, force_soft, use, landmarks))
            centre = spine_mod.hollow_centre(gap, landmarks["L3"])
            if centre is None:
                break
            fit = spine_mod.hollow_fit(gap, centre)
            if fit is not None:
                centre = fit[0]
            length = (c7 - centre) / (1.0 - L3_FRACTION)
            landmarks = _spine_landmarks(centre - L3_FRACTION * length, c7, shoulder_y)
        if whole_profile:
            fit = template.fit_spine(
                y,
                depth,
                force_soft,
                use,
                s1_mm=landmarks["S1"],
                length_mm=landmarks["C7"] - landmarks["S1"],
                shoulder_y_mm=shoulder_y,
            )
            if fit is not None:
                landmarks = _spine_landmarks(fit[0], fit[0] + fit[1], shoulder_y)
    comfort = comfort_force_defaults(limits)
    depths = {}
    known = np.isfinite(profile)
    for region in REGION_NAMES:
        b = REGIONS[region]
        lo = landmarks[b.lower] + b.lower_offset_mm
        hi = landmarks[b.upper] + b.upper_offset_mm
        inside = (lo <= GRID_Y_MM) & (hi >= GRID_Y_MM) & known
        c = anthro.TISSUE_EXP_LENGTH_MM * np.log1p(
            comfort[region] / anthro.TISSUE_REFERENCE_FORCE_N[region]
        )
        # Not swept (under the seat, above the track): as if the back rested on the backrest.
        depth_r = float(np.min(profile[inside])) + c if inside.any() else c
        depths[region] = round(float(np.clip(depth_r, 0.0, limits.roller_depth_hard_max_mm)), 1)
    body_map = BodyMap(
        landmarks_y_mm=landmarks,
        comfortable_depth_mm=depths,
        comfort_force_n=comfort,
        tight_spots_y_mm=find_tight_spots(profile, landmarks["S1"], landmarks["T2"]),
        source="scan",
        contact_depth_mm=track_pairs(contact_depth(y, depth, force, contact_n)),
    )
    return ChairEstimate(
        ScanOutcome.OK, MESSAGES[ScanOutcome.OK], body_map, shoulder_y, apex, profile
    )


def _spine_landmarks(s1: float, c7: float, shoulder_y: float) -> dict[str, float]:
    """Every landmark from S1, C7 and the shoulder line, by the body model's spine spacing."""
    spine = s1 + (c7 - s1) * np.concatenate([[0.0], np.cumsum(anthro.SPINE_GAPS_FROM_S1)])
    landmarks = {"seat_crease": 0.0}
    landmarks.update({n: round(float(v), 1) for n, v in zip(SPINE_LANDMARKS, spine, strict=True)})
    landmarks["scapula_tip"] = landmarks[anthro.SCAPULA_TIP_LANDMARK]
    landmarks["shoulder"] = round(shoulder_y, 1)
    return {n: landmarks[n] for n in LANDMARKS}


def _lordosis_apex(profile: FloatArray, expected_y: float) -> float | None:
    """The deepest point of the lumbar hollow near where L3 should be, or None if too shallow."""
    window = (expected_y - 70 <= GRID_Y_MM) & (expected_y + 70 >= GRID_Y_MM) & np.isfinite(profile)
    if window.sum() < 5:
        return None
    ys, gs = GRID_Y_MM[window], profile[window]
    i = int(np.argmax(gs))
    if gs[i] - float(gs.min()) < MIN_LORDOSIS_MM or not 2 <= i <= len(gs) - 3:
        return None
    a, b, _ = np.polyfit(ys[i - 2 : i + 3], gs[i - 2 : i + 3], 2)
    apex = float(-b / (2 * a)) if a < 0 else float(ys[i])
    return float(np.clip(apex, expected_y - 70, expected_y + 70))


def _box(values: FloatArray, width_mm: float) -> FloatArray:
    k = max(1, int(width_mm / GRID_STEP_MM))
    kernel = np.ones(2 * k + 1) / (2 * k + 1)
    return np.asarray(np.convolve(np.pad(values, k, mode="edge"), kernel, mode="valid"))


def find_tight_spots(profile: FloatArray, lo_mm: float, hi_mm: float) -> tuple[float, ...]:
    """Where the back's profile rises locally above its surroundings, between lo and hi."""
    known = np.isfinite(profile)
    if known.sum() < 10:
        return ()
    filled = np.interp(GRID_Y_MM, GRID_Y_MM[known], profile[known])
    rise = _box(filled, TIGHT_SPOT_BASELINE_MM) - _box(filled, 10.0)
    spots = []
    for j in range(3, GRID_Y_MM.size - 3):
        y = float(GRID_Y_MM[j])
        peak = rise[j] == rise[j - 3 : j + 4].max()
        if lo_mm <= y <= hi_mm and known[j] and rise[j] > TIGHT_SPOT_MIN_MM and peak:
            spots.append(round(y, 1))
    return tuple(spots)
