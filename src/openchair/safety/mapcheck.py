"""A body map is input, not truth: before a session on a saved map, a light-contact pass checks
it against the person actually seated.

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

from openchair.body.bodymap import BodyMapBatch
from openchair.safety.limits import MAP_CONTACT_MISMATCH_MM, MAP_LANDMARK_MISMATCH_MM

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


def compare_maps(saved: BodyMapBatch, felt: BodyMapBatch) -> MapCheck:
    """Compare a saved map with what a light-contact pass found, chair by chair."""
    if saved.batch_size != felt.batch_size:
        raise ValueError(f"{saved.batch_size} saved maps for {felt.batch_size} chairs")
    reasons: list[str | None] = []
    for i in range(saved.batch_size):
        why = None
        for name in CHECKED_LANDMARKS:
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
