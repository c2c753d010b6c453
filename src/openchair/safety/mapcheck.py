"""A body map is input, not truth: its values must be what a human body can be, and before a
session on a saved map, a light-contact pass checks it against the person actually seated.

First the bounds (``limits.py``, ``BODY_MAP_*``): a comfortable depth, a comfort force or a
landmark no human back has (every depth 120 mm, every force 150 N: an edited file) is refused
with the value, the region and the bound, before anything is pressed.

The pass is the scan's own light sweep (the rollers in light contact, 4 N). A map whose landmarks
or back profile are far from what the pass finds belongs to someone else (a shared chair with
saved profiles) or to a body that changed: it is refused and the person asked for a new scan. A
map that matches is still only trusted as far as the pass agrees: the session works with the
more cautious of the two, region by region (the shallower depth, the lighter force), so a saved
file can never ask for more than the chair just felt is comfortable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openchair.body.bodymap import BodyMap, BodyMapBatch
from openchair.body.landmarks import LANDMARK_INDEX, REGION_NAMES, SPINE_LANDMARKS
from openchair.safety.limits import (
    BODY_MAP_COMFORT_FORCE_N,
    BODY_MAP_COMFORTABLE_DEPTH_MM,
    BODY_MAP_L3_Y_MM,
    BODY_MAP_S1_Y_MM,
    BODY_MAP_SHOULDER_BELOW_C7_MM,
    BODY_MAP_SHOULDER_Y_MM,
    BODY_MAP_SPINE_LENGTH_MM,
    DEFAULT_LIMITS,
    MAP_CONTACT_MISMATCH_MM,
    MAP_LANDMARK_MISMATCH_MM,
    SafetyLimits,
)

CHECKED_LANDMARKS = ("shoulder", "L3")
"""Landmarks compared: the shoulder line (where the upper-body work is placed) and the lumbar
spine (where deep work is)."""


@dataclass(frozen=True)
class MapCheck:
    """Per chair, None when the saved map matches the person, else why it does not; and the
    maps a session may use (the cautious combination of saved and felt)."""

    mismatch: tuple[str | None, ...]
    maps: BodyMapBatch

    @property
    def ok(self) -> bool:
        return all(m is None for m in self.mismatch)


def _outside(value: float, bounds: tuple[float, float]) -> bool:
    return not bounds[0] <= value <= bounds[1]


def bounds_problem(maps: BodyMapBatch, chair: int = 0) -> str | None:
    """Why chair ``chair``'s map is not what a human body can be, or None when it is."""
    i = chair
    for j, region in enumerate(REGION_NAMES):
        for what, unit, value, table in (
            (
                "comfortable depth",
                "mm",
                maps.comfortable_depth_mm[i, j],
                BODY_MAP_COMFORTABLE_DEPTH_MM,
            ),
            ("comfort force", "N", maps.comfort_force_n[i, j], BODY_MAP_COMFORT_FORCE_N),
        ):
            lo, hi = table[region]
            if not np.isfinite(value) or _outside(float(value), (lo, hi)):
                return (
                    f"its {what} for the {region} is {float(value):g} {unit}, and a human body "
                    f"has {lo:g}..{hi:g} {unit} there"
                )
    y = maps.landmarks_y_mm[i]
    spine = np.array([y[LANDMARK_INDEX[n]] for n in SPINE_LANDMARKS])
    if not np.all(np.isfinite(y)) or not np.all(np.diff(spine) > 0):
        return "its spine's landmarks are not in order from the sacrum up to the neck"
    shoulder, c7 = y[LANDMARK_INDEX["shoulder"]], y[LANDMARK_INDEX["C7"]]
    s1, l3 = y[LANDMARK_INDEX["S1"]], y[LANDMARK_INDEX["L3"]]
    for what, value, bounds in (
        ("the shoulder line", shoulder, BODY_MAP_SHOULDER_Y_MM),
        ("the sacrum (S1)", s1, BODY_MAP_S1_Y_MM),
        ("L3", l3, BODY_MAP_L3_Y_MM),
        ("the spine (S1 to C7)", c7 - s1, BODY_MAP_SPINE_LENGTH_MM),
        ("the shoulder line below C7", c7 - shoulder, BODY_MAP_SHOULDER_BELOW_C7_MM),
    ):
        if _outside(float(value), bounds):
            where = "long" if what.startswith("the spine") else "at"
            return (
                f"it puts {what} {where} {float(value):.0f} mm, and a human body has "
                f"{bounds[0]:g}..{bounds[1]:g} mm"
            )
    return None


def map_bounds_problem(body_map: BodyMap) -> str | None:
    """:func:`bounds_problem` of one map."""
    return bounds_problem(BodyMapBatch.from_maps([body_map]))


def bounded_without_pass(body_map: BodyMap, limits: SafetyLimits = DEFAULT_LIMITS) -> BodyMap:
    """A saved map used without a light-contact pass (the service's saved profile), trusted no
    further than a scan would be: its comfort forces no higher than the scan assumes for anyone
    (a chair cannot measure pain; ``comfort_force_defaults``), which is also all a pass would let
    it keep (:func:`compare_maps` takes the lighter force of the two). Call it only on a map
    within the bounds."""
    from openchair.scan.estimate import comfort_force_defaults  # scan builds on safety

    assumed = comfort_force_defaults(limits)
    return BodyMap(
        landmarks_y_mm=dict(body_map.landmarks_y_mm),
        comfortable_depth_mm=dict(body_map.comfortable_depth_mm),
        comfort_force_n={r: min(f, assumed[r]) for r, f in body_map.comfort_force_n.items()},
        tight_spots_y_mm=body_map.tight_spots_y_mm,
        source=body_map.source,
        contact_depth_mm=body_map.contact_depth_mm,
    )


def compare_maps(saved: BodyMapBatch, felt: BodyMapBatch) -> MapCheck:
    """Compare a saved map with what a light-contact pass found, chair by chair (a saved map
    outside the bounds of a human body is refused first)."""
    if saved.batch_size != felt.batch_size:
        raise ValueError(f"{saved.batch_size} saved maps for {felt.batch_size} chairs")
    reasons: list[str | None] = []
    for i in range(saved.batch_size):
        why = bounds_problem(saved, i)
        for name in CHECKED_LANDMARKS if why is None else ():
            s = float(saved.landmark_y_mm(name)[i])
            f = float(felt.landmark_y_mm(name)[i])
            if not np.isfinite(s) or abs(s - f) > MAP_LANDMARK_MISMATCH_MM:
                why = (
                    f"the map puts the {name} at {s:.0f} mm, the person seated has it at {f:.0f} mm"
                )
                break
        if why is None and saved.has_contact_depth()[i] and felt.has_contact_depth()[i]:
            both = np.isfinite(saved.contact_depth_mm[i]) & np.isfinite(felt.contact_depth_mm[i])
            if both.any():
                diff = float(
                    np.median(saved.contact_depth_mm[i, both] - felt.contact_depth_mm[i, both])
                )
                if abs(diff) > MAP_CONTACT_MISMATCH_MM:
                    why = (
                        f"the map has the back {abs(diff):.0f} mm "
                        f"{'further from' if diff > 0 else 'closer to'} the backrest than the "
                        "person seated"
                    )
        reasons.append(why)
    cautious = BodyMapBatch(
        felt.landmarks_y_mm,
        np.minimum(saved.comfortable_depth_mm, felt.comfortable_depth_mm),
        np.minimum(saved.comfort_force_n, felt.comfort_force_n),
        saved.tight_spots_y_mm,
        felt.contact_depth_mm,
    )
    return MapCheck(tuple(reasons), cautious)
