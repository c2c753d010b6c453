"""Forward kinematics of a simple jointed figure, for the exercise pictures.

Joint angles (a ``Pose``) rotate each segment from its parent's frame: pelvis, a trunk that bends
in two places (lumbar and thoracic, so a bent back reads as a curve), neck and head, upper arms,
forearms and hands, thighs, shins and feet. It is done in 3D so that twists and side bends show,
then projected to the picture's view. Coordinates: x forward, y up, z to the person's left;
lengths are fractions of stature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from openchair.care.model import Limb, Picture, Pose

Vec = NDArray[np.float64]

# Segment lengths as fractions of stature (after Drillis and Contini's proportions).
HEAD_R = 0.062
NECK = 0.05
TRUNK = 0.29
SHOULDER_HALF = 0.11
HIP_HALF = 0.055
UPPER_ARM = 0.186
FOREARM = 0.15
HAND = 0.07
THIGH = 0.245
SHIN = 0.246
FOOT = 0.12
FOOT_DROP_DEG = 25.0
SEAT_HEIGHT = SHIN + 0.05
LOWER_TRUNK_SHARE = 0.45
THREE_QUARTER_DEG = 28.0
SHRUG = 0.035
SQUEEZE = 0.04
NECK_SHIFT = 0.04


def _rx(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def _ry(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=np.float64)


def _rz(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)


_UP = np.array([0.0, 1.0, 0.0])
_DOWN = np.array([0.0, -1.0, 0.0])
_FWD = np.array([1.0, 0.0, 0.0])
_LEFT = np.array([0.0, 0.0, 1.0])

LIMB_FIELDS = (
    "shoulder_flex",
    "shoulder_abd",
    "shoulder_across",
    "elbow",
    "hip_flex",
    "hip_abd",
    "knee",
    "ankle",
)


def limb_angles(pose: Pose, side: str) -> dict[str, float]:
    """One side's limb angles: the side's own value, else the pose's shared one, else 0."""
    own: Limb | None = pose.left if side == "left" else pose.right
    out = {}
    for name in LIMB_FIELDS:
        value = getattr(own, name) if own is not None else None
        if value is None:
            value = getattr(pose, name)
        out[name] = float(value) if value is not None else 0.0
    return out


@dataclass(frozen=True)
class Skeleton:
    """Named joint positions of one pose (3D, stature 1)."""

    points: dict[str, Vec]

    def moved(self, offset: Vec) -> Skeleton:
        return Skeleton({k: v + offset for k, v in self.points.items()})


def pose_angles(pose: Pose) -> dict[str, float]:
    """Every angle of a pose as a flat mapping (used to interpolate between poses)."""
    flat = {
        name: float(getattr(pose, name))
        for name in (
            "body_pitch",
            "trunk_flex",
            "trunk_side",
            "trunk_twist",
            "neck_flex",
            "neck_side",
            "neck_turn",
            "neck_shift",
            "shrug",
            "shoulders_back",
            "legs_roll",
        )
    }
    for side in ("left", "right"):
        for k, v in limb_angles(pose, side).items():
            flat[f"{side}.{k}"] = v
    return flat


def skeleton(a: dict[str, float]) -> Skeleton:
    """Forward kinematics from the pelvis (at the origin) out to hands, head and feet."""
    root = _rz(-a["body_pitch"])

    def trunk_part(share: float) -> Vec:
        return (
            _ry(-share * a["trunk_twist"])
            @ _rx(share * a["trunk_side"])
            @ _rz(-share * a["trunk_flex"])
        )

    # The trunk bends in two places (lumbar and thoracic), so a bent back reads as a curve.
    lower = root @ trunk_part(0.5)
    trunk = lower @ trunk_part(0.5)
    head_frame = trunk @ _ry(-a["neck_turn"]) @ _rx(a["neck_side"]) @ _rz(-a["neck_flex"])
    p: dict[str, Vec] = {}
    pelvis = np.zeros(3)
    p["pelvis"] = pelvis
    p["waist"] = pelvis + lower @ _UP * (TRUNK * LOWER_TRUNK_SHARE)
    neck_base = p["waist"] + trunk @ _UP * (TRUNK * (1 - LOWER_TRUNK_SHARE))
    p["neck_base"] = neck_base
    shift = trunk @ _FWD * (a["neck_shift"] * NECK_SHIFT)
    p["neck_top"] = neck_base + shift + head_frame @ _UP * NECK
    p["head"] = p["neck_top"] + head_frame @ _UP * HEAD_R
    p["nose"] = p["head"] + head_frame @ _FWD * HEAD_R * 1.25
    p["face"] = p["head"] + head_frame @ _FWD * HEAD_R * 0.6 + head_frame @ _UP * HEAD_R * 0.2
    for side, sign in (("left", 1.0), ("right", -1.0)):
        limb = {k: a[f"{side}.{k}"] for k in LIMB_FIELDS}
        shoulder = (
            neck_base
            + trunk @ _LEFT * (sign * SHOULDER_HALF)
            + trunk @ _UP * (a["shrug"] * SHRUG - 0.015)
            - trunk @ _FWD * (a["shoulders_back"] * SQUEEZE)
        )
        arm = (
            trunk
            @ _ry(sign * limb["shoulder_across"])
            @ _rx(-sign * limb["shoulder_abd"])
            @ _rz(limb["shoulder_flex"])
        )
        elbow = shoulder + arm @ _DOWN * UPPER_ARM
        fore = arm @ _rz(limb["elbow"])
        wrist = elbow + fore @ _DOWN * FOREARM
        p[f"{side}.shoulder"] = shoulder
        p[f"{side}.elbow"] = elbow
        p[f"{side}.wrist"] = wrist
        p[f"{side}.hand"] = wrist + fore @ _DOWN * HAND
        hip = pelvis + root @ _LEFT * (sign * HIP_HALF)
        thigh = root @ _ry(-a["legs_roll"]) @ _rx(-sign * limb["hip_abd"]) @ _rz(limb["hip_flex"])
        knee = hip + thigh @ _DOWN * THIGH
        shin = thigh @ _rz(-limb["knee"])
        ankle = knee + shin @ _DOWN * SHIN
        foot = shin @ _rz(-(limb["ankle"] + FOOT_DROP_DEG))
        p[f"{side}.hip"] = hip
        p[f"{side}.knee"] = knee
        p[f"{side}.ankle"] = ankle
        p[f"{side}.toe"] = ankle + foot @ _FWD * FOOT
    return Skeleton(p)


def _ground_y(s: Skeleton) -> float:
    ys = [v[1] for k, v in s.points.items() if k not in ("nose", "face")]
    lowest = min(ys)
    head_bottom = s.points["head"][1] - HEAD_R
    return float(min(lowest, head_bottom))


def _anchor_point(s: Skeleton, anchor: str) -> Vec:
    names = {
        "pelvis": ("pelvis",),
        "feet": ("left.ankle", "right.ankle"),
        "knees": ("left.knee", "right.knee"),
        "hands": ("left.hand", "right.hand"),
    }[anchor]
    return np.mean([s.points[n] for n in names], axis=0)  # type: ignore[no-any-return]


def placed(picture: Picture, angles: dict[str, float], reference: Skeleton | None) -> Skeleton:
    """The skeleton put in its surroundings: on the seat, or standing or lying on the floor.

    The anchor point keeps the place it has in ``reference`` (the start pose), so a figure does
    not slide about: feet stay on the floor spot, knees on the mat, the pelvis on the seat.
    """
    s = skeleton(angles)
    if picture.prop == "chair" and picture.anchor == "pelvis":
        offset = np.array([0.0, SEAT_HEIGHT, 0.0]) - s.points["pelvis"]
        return s.moved(offset)
    offset = np.array([0.0, -_ground_y(s), 0.0])
    s = s.moved(offset)
    if reference is not None:
        here = _anchor_point(s, picture.anchor)
        there = _anchor_point(reference, picture.anchor)
        s = s.moved(np.array([there[0] - here[0], 0.0, there[2] - here[2]]))
    else:
        here = _anchor_point(s, picture.anchor)
        s = s.moved(np.array([-here[0], 0.0, -here[2]]))
    return s


def project(view: str, v: Vec) -> tuple[float, float]:
    """3D point to picture coordinates (x right, y up) for the view."""
    if view == "side":
        return float(v[0]), float(v[1])
    if view == "front":
        # Turned a little (three-quarter view), so that what points at the viewer shows.
        a = math.radians(THREE_QUARTER_DEG)
        return float(v[2] * math.cos(a) + v[0] * math.sin(a)), float(v[1])
    return float(v[0]), float(v[2])  # top: forward to the right, the person's left up


def interpolate(a: dict[str, float], b: dict[str, float], t: float) -> dict[str, float]:
    # Smooth in and out, so the figure eases into the held position.
    w = 0.5 - 0.5 * math.cos(math.pi * t)
    return {k: a[k] + (b[k] - a[k]) * w for k in a}
