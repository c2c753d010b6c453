"""A person drawn from an exercise's own pose description, as SVG.

The figure comes from :mod:`openchair.care.kinematics`; this module draws it: round-capped
strokes for the limbs and trunk (the far side paler, drawn first), a head with a face mark, and
the surroundings (chair, desk, wall, floor). The start pose is a faint ghost and the figure moves
between the two poses with SMIL animation (browsers play it; a still renderer shows the end pose
over the ghost of the start, which reads the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from openchair.care.kinematics import (
    HEAD_R,
    SEAT_HEIGHT,
    Skeleton,
    Vec,
    interpolate,
    placed,
    pose_angles,
    project,
)
from openchair.care.model import Exercise

SCALE_PX = 240.0
FRAMES = 7


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
