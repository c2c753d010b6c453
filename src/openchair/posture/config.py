"""Every tunable of the posture monitor in one place, with the reason for its default.

The defaults follow the open webcam posture tools (personal baseline, relative thresholds of about
10° or a tenth of a shoulder width, a few frames of smoothing, a persistence time before alerting)
and err towards not nagging: one nudge after a minute of sustained slouching, then at most one
every ten minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class PostureConfig:
    # Thresholds against the calibrated posture (a check turns on above, off below release x it).
    head_drop_sw: float = 0.10
    """Nose this much closer to the shoulder line, in shoulder widths (about 3-4 cm for most)."""
    head_sink_sw: float = 0.15
    """Head this much lower in the frame than calibrated (about 5-6 cm), scale corrected."""
    shoulders_raised_sw: float = 0.08
    lean_deg: float = 8.0
    closer_ratio: float = 0.15
    """Face 15 % larger than calibrated: about 13 % closer to the screen."""
    neck_deg: float = 12.0
    torso_deg: float = 10.0
    release: float = 0.6
    """Hysteresis: a check that is on turns off only below ``release`` x its threshold."""

    smoothing_s: float = 1.0
    """Time constant of the exponential smoothing (about the mean of 10 frames at 10/s)."""
    scale_smoothing_s: float = 3.0
    """Time constant for the distance (eye spacing) that scales the frontal measures."""
    nudge_after_s: float = 60.0
    """Sustained slouching before the first nudge."""
    nudge_repeat_s: float = 600.0
    """While still slouched, at most one nudge per this interval."""
    away_after_s: float = 5.0
    """Nobody in view this long means away (short occlusions are not absences)."""
    back_after_s: float = 2.0
    """In view this long after an absence means back."""
    break_min_s: float = 120.0
    """An absence this long counts as a movement break and ends the sitting streak."""
    max_gap_s: float = 5.0
    """A pause between frames longer than this (worker stalled) counts as unobserved time."""

    calib_min_frames: int = 10
    calib_min_person_share: float = 0.8
    calib_max_sd_sw: float = 0.04
    """Calibration is refused when nose or shoulders wander more than this (shoulder widths)."""
    calib_max_sd_deg: float = 3.0
    calib_max_sd_face: float = 0.05
    """Relative spread of face size allowed during calibration (moving to and from the screen)."""

    def with_overrides(self, **values: Any) -> PostureConfig:
        """A copy with some fields changed; unknown names or non-positive values are refused."""
        names = {f.name for f in fields(self)}
        for k, v in values.items():
            if k not in names:
                raise ValueError(f"unknown posture setting {k!r}")
            if not isinstance(v, int | float) or v <= 0:
                raise ValueError(f"posture setting {k} must be a positive number, got {v!r}")
        return replace(self, **values)
