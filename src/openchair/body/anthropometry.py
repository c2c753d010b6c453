"""Survey figures and model proportions the seated body is scaled from.

Every number here is cited in docs/BODY.md. Survey means and standard deviations are rounded
summary statistics of the ANSUR II survey of US Army personnel (Gordon et al., 2014); proportions
along the spine and pain thresholds are model choices informed by the studies named there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Sex = Literal["female", "male"]


@dataclass(frozen=True)
class SurveyFigures:
    """Means and standard deviations for one sex (mm, kg)."""

    stature_mean_mm: float
    stature_sd_mm: float
    mass_mean_kg: float
    mass_sd_kg: float
    sitting_height_mean_mm: float
    cervicale_height_sitting_mean_mm: float
    acromion_height_sitting_mean_mm: float


SURVEY: Final[dict[Sex, SurveyFigures]] = {
    "male": SurveyFigures(
        stature_mean_mm=1756.0,
        stature_sd_mm=69.0,
        mass_mean_kg=85.5,
        mass_sd_kg=14.2,
        sitting_height_mean_mm=919.0,
        cervicale_height_sitting_mean_mm=664.0,
        acromion_height_sitting_mean_mm=598.0,
    ),
    "female": SurveyFigures(
        stature_mean_mm=1629.0,
        stature_sd_mm=64.0,
        mass_mean_kg=68.0,
        mass_sd_kg=11.5,
        sitting_height_mean_mm=857.0,
        cervicale_height_sitting_mean_mm=614.0,
        acromion_height_sitting_mean_mm=556.0,
    ),
}

S1_HEIGHT_FRACTION_OF_STATURE: Final[float] = 0.080
"""S1 spinous process above the seat, as a fraction of stature (about 140 mm for an average man:
the top of the sacrum lies a little below the iliac crest, which is about 200 mm above the seat)."""

SPINE_GAPS_FROM_S1: Final[tuple[float, ...]] = (
    0.075,  # S1 -> L5
    0.074,  # L5 -> L4
    0.074,  # L4 -> L3
    0.074,  # L3 -> L2
    0.074,  # L2 -> L1
    0.068,  # L1 -> T12
    *([0.047] * 11),  # T12 -> T11 ... T2 -> T1
    0.044,  # T1 -> C7
)
"""Spacing of the spinous processes from S1 up to C7 as fractions of the S1–C7 length along the
back: lumbar segments are longer (about 35 mm) than thoracic ones (about 23 mm). Sums to 1."""

SCAPULA_TIP_LANDMARK: Final[str] = "T7"
"""The inferior angle of the scapula lies at about the level of the T7 spinous process."""

TRUNK_PROPORTION_SD: Final[float] = 0.02
"""Person-to-person spread of trunk proportions (the sitting-height ratio varies by about 2 %)."""

PPT_KPA: Final[dict[str, tuple[float, float]]] = {
    # region: (male, female) pressure-pain threshold beside the spine, kPa
    "thighs": (700.0, 520.0),
    "glutes": (750.0, 560.0),
    "sacrum": (650.0, 480.0),
    "lumbar": (600.0, 450.0),
    "mid-back": (560.0, 420.0),
    "upper-back": (520.0, 390.0),
    "shoulders": (450.0, 330.0),
    "neck": (300.0, 220.0),
}
"""Pressure-pain thresholds of healthy adults by region (algometry, 1 cm² probe), rounded."""

SPINE_PPT_FACTOR: Final[float] = 1.25
"""On the spinous processes the threshold is higher than on the muscles beside them."""

PPT_SD_FRACTION: Final[float] = 0.2
"""Person-to-person spread of pressure-pain thresholds (log-normal, about 20 %)."""

ROLLER_CONTACT_AREA_CM2: Final[float] = 2.0
"""Effective contact area of one roller, used to turn a threshold pressure into a force."""

TISSUE_REFERENCE_FORCE_N: Final[dict[str, float]] = {
    "thighs": 2.5,
    "glutes": 2.0,
    "sacrum": 2.5,
    "lumbar": 2.0,
    "mid-back": 4.5,
    "upper-back": 5.0,
    "shoulders": 4.0,
    "neck": 3.0,
}
"""Force scale of the tissue law ``F = F_ref · (exp(c / c_e) − 1)`` per region: thick lumbar muscle
is softer than the thin layer over the ribs."""

TISSUE_EXP_LENGTH_MM: Final[float] = 25.0
"""Compression over which the tissue's force grows by a factor e (stiffness rises with it)."""
