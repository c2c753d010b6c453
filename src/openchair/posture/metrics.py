"""Posture measures a webcam can honestly give, from one frame's landmarks.

Frontal view (a laptop camera in front of the person). Distances are kept in pixels and compared
with the calibrated posture in *calibrated shoulder widths at the current distance*: the scale is
the eye distance over the calibrated eye distance, since the eyes are the steadiest landmarks and
the shoulder points move with the outline of the neck and clothes.

- ``nose_above_px``, ``ear_above_px``: nose and ears (their midpoint) above the shoulder line.
  They shrink when the head drops or juts forward (the head goes down and towards the camera) and
  also when the shoulders are raised.
- ``shoulder_yc_px``: the shoulder line's height against the frame's centre; coming closer to the
  camera scales it with the face, a shrug moves it without changing the face, so after the scale
  correction it separates a shrug from a dropped head.
- ``head_yc_px``: the head's height (nose and ears) against the frame's centre. With the camera
  still, a head that sinks in the frame, scale corrected, means the person slumped: head down
  and forward, or the whole body lower in the chair.
- ``shoulder_roll_deg``: tilt of the shoulder line; a sideways lean tilts it.
- ``eye_px``: distance between the eyes; it grows as the person comes closer to the screen (a
  pinhole camera: size is inversely proportional to distance).

Side view (camera beside the person): ``neck_incl_deg`` (shoulder to ear against the vertical) and
``torso_incl_deg`` (hip to shoulder against the vertical), on the side facing the camera.

None of these is a clinical angle; the comparison is always with the person's own calibrated
upright posture (``Deviation``). docs/POSTURE.md says why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np

from openchair.posture.landmarks import Lm, PoseFrame

MIN_VISIBILITY = 0.5
"""A landmark MediaPipe gives less visibility than this is treated as not seen."""


class ViewMode(StrEnum):
    FRONTAL = "frontal"
    SIDE = "side"


@dataclass(frozen=True)
class FrontalMetrics:
    nose_above_px: float
    ear_above_px: float
    shoulder_yc_px: float
    shoulder_roll_deg: float
    eye_px: float
    shoulder_width_px: float
    head_yc_px: float

    @property
    def nose_height(self) -> float:
        """Nose above the shoulder line in this frame's shoulder widths (for display)."""
        return self.nose_above_px / self.shoulder_width_px


@dataclass(frozen=True)
class SideMetrics:
    neck_incl_deg: float
    torso_incl_deg: float


Metrics = FrontalMetrics | SideMetrics


def _visible(frame: PoseFrame, *idx: int) -> bool:
    return all(frame.visibility(i) >= MIN_VISIBILITY for i in idx)


def frontal_metrics(frame: PoseFrame) -> FrontalMetrics | None:
    """The frontal measures, or ``None`` if nobody is in view or head or shoulders are hidden."""
    if frame.landmarks is None:
        return None
    need = (Lm.NOSE, Lm.LEFT_EYE, Lm.RIGHT_EYE, Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER)
    if not _visible(frame, *need):
        return None
    ls, rs = frame.point_px(Lm.LEFT_SHOULDER), frame.point_px(Lm.RIGHT_SHOULDER)
    width = float(np.hypot(*(ls - rs)))
    if width < 1.0:
        return None
    mid = (ls + rs) / 2
    nose = frame.point_px(Lm.NOSE)
    if _visible(frame, Lm.LEFT_EAR, Lm.RIGHT_EAR):
        ears = (frame.point_px(Lm.LEFT_EAR) + frame.point_px(Lm.RIGHT_EAR)) / 2
    else:  # a turned head hides one ear: the eyes stand in for the ear line
        ears = (frame.point_px(Lm.LEFT_EYE) + frame.point_px(Lm.RIGHT_EYE)) / 2
    # The person's left shoulder is on the image's right in a frontal view; the line from the
    # right shoulder to the left one is level when upright, and its angle is the roll.
    d = ls - rs
    if d[0] < 0:  # mirrored or turned around: keep the angle near 0 for a level line
        d = -d
    roll = math.degrees(math.atan2(float(d[1]), float(d[0])))
    eyes = float(np.hypot(*(frame.point_px(Lm.LEFT_EYE) - frame.point_px(Lm.RIGHT_EYE))))
    if eyes < 1.0:
        return None
    return FrontalMetrics(
        nose_above_px=float(mid[1] - nose[1]),
        ear_above_px=float(mid[1] - ears[1]),
        shoulder_yc_px=float(mid[1]) - frame.height_px / 2,
        shoulder_roll_deg=roll,
        eye_px=eyes,
        shoulder_width_px=width,
        head_yc_px=float(nose[1] + ears[1]) / 2 - frame.height_px / 2,
    )


def side_metrics(frame: PoseFrame) -> SideMetrics | None:
    """Neck and torso inclination from the vertical, on the side the camera sees better."""
    if frame.landmarks is None:
        return None
    sides = (
        (Lm.LEFT_EAR, Lm.LEFT_SHOULDER, Lm.LEFT_HIP),
        (Lm.RIGHT_EAR, Lm.RIGHT_SHOULDER, Lm.RIGHT_HIP),
    )
    ear, sh, hip = max(sides, key=lambda s: sum(frame.visibility(i) for i in s))
    if not _visible(frame, ear, sh, hip):
        return None
    e, s, h = frame.point_px(ear), frame.point_px(sh), frame.point_px(hip)
    return SideMetrics(neck_incl_deg=_from_vertical(s, e), torso_incl_deg=_from_vertical(h, s))


def _from_vertical(lower: np.ndarray, upper: np.ndarray) -> float:
    """Angle in degrees of the segment lower→upper from straight up (0 = vertical)."""
    dx, dy = float(upper[0] - lower[0]), float(lower[1] - upper[1])
    return math.degrees(math.atan2(abs(dx), dy))


def measure(frame: PoseFrame, mode: ViewMode) -> Metrics | None:
    return frontal_metrics(frame) if mode is ViewMode.FRONTAL else side_metrics(frame)


@dataclass(frozen=True)
class Deviation:
    """How far the posture is from the person's calibrated upright one (positive = worse).

    - ``head_drop``: how much closer nose and ears came to the shoulder line (their mean), in
      shoulder widths, less any part explained by the shoulders rising (a shrug is counted as
      ``shoulders_raised``).
    - ``head_sink``: how far the head (nose and ears) went down in the frame, scale corrected,
      in shoulder widths.
    - ``shoulders_raised``: how far the shoulder line rose in the frame, in shoulder widths.
    - ``lean_deg``: change of the shoulder line's tilt, either way.
    - ``closer``: face size over the calibrated face size, minus 1 (0.2 = about 20 % closer).
    - ``neck_deg`` / ``torso_deg``: side view, increase of inclination from the vertical.
    """

    head_drop: float = 0.0
    head_sink: float = 0.0
    shoulders_raised: float = 0.0
    lean_deg: float = 0.0
    closer: float = 0.0
    neck_deg: float = 0.0
    torso_deg: float = 0.0

    def as_array(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.float64)

    @classmethod
    def from_array(cls, a: np.ndarray) -> Deviation:
        return cls(*(float(v) for v in a))


def deviation(metrics: Metrics, baseline: Metrics, eye_px: float | None = None) -> Deviation:
    """Compare a frame's measures with the calibrated baseline of the same view.

    ``eye_px`` is the eye distance to take the scale from, if not this frame's own: the monitor
    passes a slowly smoothed one, since distance changes slowly and the eyes' jitter of a few
    pixels would otherwise shake every measure.
    """
    if isinstance(metrics, FrontalMetrics) and isinstance(baseline, FrontalMetrics):
        k = (eye_px or metrics.eye_px) / baseline.eye_px  # > 1: closer than calibrated
        unit = baseline.shoulder_width_px
        raised = (baseline.shoulder_yc_px - metrics.shoulder_yc_px / k) / unit
        # Nose and ears together: both come down with a dropped or forward head; the mean
        # halves their jitter, and a quick glance down at the keyboard (the nose drops, the ears
        # hardly) counts for less than the whole head sinking.
        nose = baseline.nose_above_px - metrics.nose_above_px / k
        ears = baseline.ear_above_px - metrics.ear_above_px / k
        drop = (nose + ears) / 2 / unit
        return Deviation(
            head_drop=drop - max(raised, 0.0),
            head_sink=(metrics.head_yc_px / k - baseline.head_yc_px) / unit,
            shoulders_raised=raised,
            lean_deg=abs(metrics.shoulder_roll_deg - baseline.shoulder_roll_deg),
            closer=k - 1.0,
        )
    if isinstance(metrics, SideMetrics) and isinstance(baseline, SideMetrics):
        return Deviation(
            neck_deg=metrics.neck_incl_deg - baseline.neck_incl_deg,
            torso_deg=metrics.torso_incl_deg - baseline.torso_incl_deg,
        )
    raise ValueError("metrics and baseline come from different view modes")
