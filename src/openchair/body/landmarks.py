"""Names of the body landmarks and body regions that programs, the scan and the twin share.

Every position is a ``y`` along the roller track in millimetres: 0 at the seat crease, positive up
the back, negative under the seat (docs/TWIN.md). Regions are defined from landmarks, so that a
region lands on each person where that person's anatomy is, whether the landmarks came from the
body model (the twin's truth) or from a body scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SPINE_LANDMARKS: Final[tuple[str, ...]] = (
    "S1",
    "L5",
    "L4",
    "L3",
    "L2",
    "L1",
    "T12",
    "T11",
    "T10",
    "T9",
    "T8",
    "T7",
    "T6",
    "T5",
    "T4",
    "T3",
    "T2",
    "T1",
    "C7",
)
"""Spinous processes from the sacrum up to the vertebra prominens, bottom to top."""

LANDMARKS: Final[tuple[str, ...]] = ("seat_crease", *SPINE_LANDMARKS, "scapula_tip", "shoulder")
"""All landmarks, in the column order of batched landmark arrays.

``scapula_tip`` is the inferior angle of the shoulder blade; ``shoulder`` is the shoulder line
(acromion), the point a chair's shoulder sensor finds.
"""

LANDMARK_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(LANDMARKS)}


@dataclass(frozen=True)
class RegionBounds:
    """A region as a stretch of ``y`` between two landmarks, each with an offset in mm."""

    lower: str
    upper: str
    lower_offset_mm: float = 0.0
    upper_offset_mm: float = 0.0


REGIONS: Final[dict[str, RegionBounds]] = {
    "thighs": RegionBounds("seat_crease", "seat_crease", -500.0, -200.0),
    "glutes": RegionBounds("seat_crease", "seat_crease", -200.0, 0.0),
    "sacrum": RegionBounds("seat_crease", "S1", 20.0, 0.0),
    "lumbar": RegionBounds("S1", "L1"),
    "mid-back": RegionBounds("L1", "scapula_tip"),
    "upper-back": RegionBounds("scapula_tip", "T1"),
    "shoulders": RegionBounds("T3", "C7"),
    "neck": RegionBounds("C7", "C7", 0.0, 90.0),
}
"""Body regions, bottom to top. Programs name these as zones; the pain thresholds and the
comfortable depth are given per region. The neck is the stretch above C7 where only light work
is allowed. Glutes and thighs lie under the seat (negative ``y``)."""

REGION_NAMES: Final[tuple[str, ...]] = tuple(REGIONS)

BACK_REGIONS: Final[tuple[str, ...]] = ("sacrum", "lumbar", "mid-back", "upper-back", "shoulders")
"""Regions along the back where the paraspinal muscles lie (the seat crease to C7)."""
