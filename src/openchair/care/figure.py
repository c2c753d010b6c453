"""A person drawn from an exercise's own pose description, as SVG.

The figure is forward kinematics of a simple jointed body: pelvis, trunk, neck and head, upper
and lower arms with hands, thighs, shins and feet. Joint angles (``Pose``) rotate each segment
from its parent's frame, in 3D so that twists and side bends show too; the picture projects the
points onto the chosen view and draws them as round-capped strokes. The start pose is drawn as a
faint ghost and the figure moves between the two poses with SMIL animation (browsers play it;
a still renderer shows the end pose over the ghost of the start, which reads the same way).

Coordinates: x forward, y up, z to the person's left; lengths are fractions of stature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from openchair.care.model import Exercise, Limb, Picture, Pose

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

SCALE_PX = 240.0
FRAMES = 7


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


def depth(view: str, v: Vec) -> float:
    """Larger is nearer the viewer."""
    if view == "side":
        return float(v[2])
    if view == "front":
        return float(v[0])
    return float(v[1])


def interpolate(a: dict[str, float], b: dict[str, float], t: float) -> dict[str, float]:
    # Smooth in and out, so the figure eases into the held position.
    w = 0.5 - 0.5 * math.cos(math.pi * t)
    return {k: a[k] + (b[k] - a[k]) * w for k in a}


@dataclass(frozen=True)
class Segment:
    """One drawn part of the figure: a stroke between two joints, or the head circle."""

    name: str
    a: str
    b: str
    width: float
    far: bool


def _segments(view: str) -> list[Segment]:
    """Strokes in drawing order: the far side first, so the near limbs cover it."""
    far = view != "top"

    def leg(side: str, f: bool) -> list[Segment]:
        return [
            Segment(f"{side}.thigh", f"{side}.hip", f"{side}.knee", 0.05, f),
            Segment(f"{side}.shin", f"{side}.knee", f"{side}.ankle", 0.042, f),
            Segment(f"{side}.foot", f"{side}.ankle", f"{side}.toe", 0.03, f),
        ]

    def arm(side: str, f: bool) -> list[Segment]:
        return [
            Segment(f"{side}.upper_arm", f"{side}.shoulder", f"{side}.elbow", 0.04, f),
            Segment(f"{side}.forearm", f"{side}.elbow", f"{side}.wrist", 0.034, f),
            Segment(f"{side}.hand", f"{side}.wrist", f"{side}.hand", 0.028, f),
        ]

    return [
        *leg("right", far),
        *arm("right", far),
        Segment("hips", "left.hip", "right.hip", 0.06, False),
        Segment("lower_trunk", "pelvis", "waist", 0.085, False),
        Segment("upper_trunk", "waist", "neck_base", 0.09, False),
        Segment("shoulders", "left.shoulder", "right.shoulder", 0.05, False),
        Segment("neck", "neck_base", "neck_top", 0.04, False),
        *leg("left", False),
        *arm("left", False),
    ]


@dataclass(frozen=True)
class PropLine:
    """A stroke of the surroundings (chair, floor, desk, wall) in picture coordinates."""

    points: list[tuple[float, float]]
    width: float


def _box(x0: float, x1: float, y: float, z0: float, z1: float) -> list[Vec]:
    return [
        np.array(p, dtype=np.float64)
        for p in ((x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1), (x0, y, z0))
    ]


def _props3d(prop: str, frames: list[Skeleton]) -> list[tuple[list[Vec], float]]:
    """The surroundings as 3D polylines, placed from where the figure is."""
    pts = np.array([v for f in frames for v in f.points.values()])
    lo, hi = pts.min(axis=0) - 0.08, pts.max(axis=0) + 0.08
    out: list[tuple[list[Vec], float]] = []
    out.append((_box(lo[0], hi[0], -0.012, lo[2], hi[2]), 0.02 if prop == "floor" else 0.01))
    if prop == "chair":
        seat = SEAT_HEIGHT - 0.03
        bx = min(float(f.points["pelvis"][0]) for f in frames) - 0.1
        out.append((_box(bx, bx + 0.3, seat, -0.17, 0.17), 0.02))
        for z in (-0.15, 0.15):
            out.append(([np.array([bx, seat, z]), np.array([bx - 0.05, seat + 0.32, z])], 0.025))
            for x in (bx + 0.03, bx + 0.27):
                out.append(([np.array([x, seat, z]), np.array([x, 0.0, z])], 0.02))
        out.append(
            (
                [
                    np.array([bx - 0.05, seat + 0.32, -0.15]),
                    np.array([bx - 0.05, seat + 0.32, 0.15]),
                ],
                0.025,
            )
        )
    hands = [f.points[h] for f in (frames[0], frames[-1]) for h in ("left.hand", "right.hand")]
    if prop == "desk":
        edge = max(float(h[0]) for h in hands) - 0.03
        top = min(float(h[1]) for h in hands) - 0.015
        out.append((_box(edge, edge + 0.4, top, -0.35, 0.35), 0.025))
        for x in (edge + 0.03, edge + 0.37):
            out.append(([np.array([x, top, -0.32]), np.array([x, 0.0, -0.32])], 0.02))
            out.append(([np.array([x, top, 0.32]), np.array([x, 0.0, 0.32])], 0.02))
    if prop == "wall":
        x = max(float(h[0]) for h in hands) + 0.015
        out.append(
            (
                [
                    np.array([x, 0.0, -0.3]),
                    np.array([x, 1.05, -0.3]),
                    np.array([x, 1.05, 0.3]),
                    np.array([x, 0.0, 0.3]),
                ],
                0.025,
            )
        )
    return out


@dataclass(frozen=True)
class Drawing:
    """The figure's frames in picture coordinates, ready for SVG (and for tests)."""

    view: str
    prop: str
    frames: list[dict[str, tuple[float, float]]]
    start: dict[str, tuple[float, float]]
    end: dict[str, tuple[float, float]]
    segments: list[Segment]
    seconds: float
    props: list[PropLine]

    def bounds(self) -> tuple[float, float, float, float]:
        xs = [x for f in self.frames for x, _ in f.values()]
        ys = [y for f in self.frames for _, y in f.values()]
        return min(xs) - HEAD_R, min(ys) - HEAD_R, max(xs) + HEAD_R, max(ys) + HEAD_R


def drawing(exercise: Exercise) -> Drawing:
    pic = exercise.picture
    a0 = pose_angles(pic.start)
    a1 = pose_angles(pic.end)
    ref = placed(pic, a0, None)
    frames3d = [placed(pic, interpolate(a0, a1, i / (FRAMES - 1)), ref) for i in range(FRAMES)]
    frames = [{k: project(pic.view, v) for k, v in f.points.items()} for f in frames3d]
    return Drawing(
        view=pic.view,
        prop=pic.prop,
        frames=frames,
        start=frames[0],
        end=frames[-1],
        segments=_segments(pic.view),
        seconds=pic.seconds,
        props=[
            PropLine([project(pic.view, v) for v in line], width)
            for line, width in _props3d(pic.prop, frames3d)
        ],
    )


_INK = "#1f4e79"
_FAR_INK = "#6f93b5"
_GHOST = "#c9d3dc"
_PROP = "#9a8f80"


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def render_svg(exercise: Exercise, animate: bool = True) -> str:
    """The exercise's picture as a standalone SVG document."""
    d = drawing(exercise)
    x0, y0, x1, y1 = d.bounds()
    for line in d.props:
        for x, y in line.points:
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
    pad = 0.06
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad

    def px(pt: tuple[float, float]) -> tuple[float, float]:
        return (pt[0] - x0) * SCALE_PX, (y1 - pt[1]) * SCALE_PX

    w = (x1 - x0) * SCALE_PX
    h = (y1 - y0) * SCALE_PX
    title = escape(exercise.name)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(w)} {_fmt(h)}" '
        f'width="{_fmt(w)}" height="{_fmt(h)}" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        '<g class="prop" fill="none" stroke-linecap="round" stroke-linejoin="round">',
    ]
    for line in d.props:
        pts = " ".join(f"{_fmt(px(p)[0])},{_fmt(px(p)[1])}" for p in line.points)
        out.append(
            f'<polyline points="{pts}" stroke="{_PROP}" '
            f'stroke-width="{_fmt(line.width * SCALE_PX)}"/>'
        )
    out.append("</g>")

    def figure(
        frame: dict[str, tuple[float, float]], colour_far: str, colour: str, cls: str, moving: bool
    ) -> list[str]:
        parts = [f'<g class="{cls}" stroke-linecap="round" fill="none">']
        for seg in d.segments:
            ink = colour_far if seg.far else colour
            a, b = px(frame[seg.a]), px(frame[seg.b])
            attrs = (
                f'x1="{_fmt(a[0])}" y1="{_fmt(a[1])}" x2="{_fmt(b[0])}" y2="{_fmt(b[1])}" '
                f'stroke="{ink}" stroke-width="{_fmt(seg.width * SCALE_PX)}"'
            )
            if moving:
                anims = "".join(
                    _animate(attr, [px(f[name])[i] for f in d.frames], d.seconds)
                    for attr, name, i in (
                        ("x1", seg.a, 0),
                        ("y1", seg.a, 1),
                        ("x2", seg.b, 0),
                        ("y2", seg.b, 1),
                    )
                )
                parts.append(f'<line class="{seg.name}" {attrs}>{anims}</line>')
            else:
                parts.append(f'<line class="{seg.name}" {attrs}/>')
        hc = px(frame["head"])
        nose = px(frame["nose"])
        head_attrs = (
            f'cx="{_fmt(hc[0])}" cy="{_fmt(hc[1])}" r="{_fmt(HEAD_R * SCALE_PX)}" '
            f'fill="{colour}" stroke="none"'
        )
        nose_attrs = (
            f'cx="{_fmt(nose[0])}" cy="{_fmt(nose[1])}" r="{_fmt(0.022 * SCALE_PX)}" '
            f'fill="{colour}" stroke="none"'
        )
        face = px(frame["face"])
        face_attrs = (
            f'cx="{_fmt(face[0])}" cy="{_fmt(face[1])}" r="{_fmt(0.017 * SCALE_PX)}" '
            f'fill="#ffffff" stroke="none"'
        )
        if moving:
            parts.append(
                f'<circle class="head" {head_attrs}>'
                + _animate("cx", [px(f["head"])[0] for f in d.frames], d.seconds)
                + _animate("cy", [px(f["head"])[1] for f in d.frames], d.seconds)
                + "</circle>"
            )
            parts.append(
                f'<circle class="nose" {nose_attrs}>'
                + _animate("cx", [px(f["nose"])[0] for f in d.frames], d.seconds)
                + _animate("cy", [px(f["nose"])[1] for f in d.frames], d.seconds)
                + "</circle>"
            )
            parts.append(
                f'<circle class="face" {face_attrs}>'
                + _animate("cx", [px(f["face"])[0] for f in d.frames], d.seconds)
                + _animate("cy", [px(f["face"])[1] for f in d.frames], d.seconds)
                + "</circle>"
            )
        else:
            parts.append(f'<circle class="head" {head_attrs}/>')
            parts.append(f'<circle class="nose" {nose_attrs}/>')
        parts.append("</g>")
        return parts

    out += figure(d.start, _GHOST, _GHOST, "start-pose", False)
    out += figure(d.end, _FAR_INK, _INK, "figure", animate)
    out.append("</svg>")
    return "\n".join(out)


def _animate(attr: str, values: list[float], seconds: float) -> str:
    # Out to the end pose, hold it, back to the start, rest: the rhythm of a stretch.
    n = len(values)
    there = [*values, values[-1], *values[::-1], values[0]]
    times = [0.4 * i / (n - 1) for i in range(n)]
    times += [0.55]
    times += [0.55 + 0.4 * i / (n - 1) for i in range(n)]
    times += [1.0]
    return (
        f'<animate attributeName="{attr}" dur="{_fmt(seconds * 2)}s" repeatCount="indefinite" '
        f'values="{";".join(_fmt(v) for v in there)}" '
        f'keyTimes="{";".join(f"{t:.3f}" for t in times)}"/>'
    )
