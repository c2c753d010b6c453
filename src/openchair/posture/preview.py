"""The terminal preview: the skeleton drawn in braille dots and the measures, never the image."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from openchair.posture.events import PostureEvent
from openchair.posture.landmarks import SKELETON, Lm, PoseFrame
from openchair.posture.metrics import MIN_VISIBILITY, FrontalMetrics, SideMetrics
from openchair.posture.monitor import PostureState

_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] in a cell


def braille_skeleton(frame: PoseFrame, cols: int = 34, rows: int = 13) -> list[str]:
    """The visible skeleton as ``rows`` lines of braille characters, mirrored like a mirror."""
    grid = np.zeros((rows * 4, cols * 2), dtype=bool)
    if frame.landmarks is not None:
        h_dots, w_dots = grid.shape
        # Fit the visible landmarks (with a margin) into the canvas, keeping their aspect
        # (a braille dot is about square): the person fills the view wherever they sit.
        vis = frame.landmarks[:, 3] >= MIN_VISIBILITY
        pts = frame.landmarks[vis if vis.any() else slice(None), :2] * (
            frame.width_px,
            frame.height_px,
        )
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.maximum(hi - lo, 1.0) * 1.4
        centre = (lo + hi) / 2
        scale = float(min(w_dots / span[0], h_dots / span[1]))

        def dot(i: int) -> tuple[float, float]:
            assert frame.landmarks is not None
            px = frame.landmarks[i, :2] * (frame.width_px, frame.height_px)
            # mirrored, like a mirror: the person's left shoulder on the left of the view
            x = w_dots / 2 - (px[0] - centre[0]) * scale
            return float(x), float(h_dots / 2 + (px[1] - centre[1]) * scale)

        segments = [
            (dot(a), dot(b))
            for a, b in SKELETON
            if min(frame.visibility(a), frame.visibility(b)) >= MIN_VISIBILITY
        ]
        neck = (Lm.MOUTH_LEFT, Lm.MOUTH_RIGHT, Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER)
        if min(frame.visibility(i) for i in neck) >= MIN_VISIBILITY:
            (ax, ay), (bx, by) = dot(Lm.MOUTH_LEFT), dot(Lm.MOUTH_RIGHT)
            (cx, cy), (dx, dy) = dot(Lm.LEFT_SHOULDER), dot(Lm.RIGHT_SHOULDER)
            segments.append((((ax + bx) / 2, (ay + by) / 2), ((cx + dx) / 2, (cy + dy) / 2)))
        for (x0, y0), (x1, y1) in segments:
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
            for s in np.linspace(0.0, 1.0, n + 1):
                x, y = int(x0 + s * (x1 - x0)), int(y0 + s * (y1 - y0))
                if 0 <= x < w_dots and 0 <= y < h_dots:
                    grid[y, x] = True
        if frame.visibility(Lm.NOSE) >= MIN_VISIBILITY:
            x, y = (int(v) for v in dot(Lm.NOSE))
            grid[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] = True
    lines = []
    for r in range(rows):
        chars = []
        for c in range(cols):
            code = 0x2800
            for dy in range(4):
                for dx in range(2):
                    if grid[r * 4 + dy, c * 2 + dx]:
                        code |= _BRAILLE_BITS[dy][dx]
            chars.append(chr(code))
        lines.append("".join(chars))
    return lines


def _metrics_table(state: PostureState) -> Table:
    t = Table.grid(padding=(0, 1))
    t.add_column(style="bold")
    t.add_column(justify="right")
    if not state.present:
        t.add_row("person", "[yellow]not in view[/]")
        return t
    t.add_row("person", "[green]in view[/]")
    m, d = state.metrics, state.smoothed
    if isinstance(m, FrontalMetrics):
        t.add_row("nose above shoulders", f"{m.nose_height:.2f} sw")
        t.add_row("shoulder tilt", f"{m.shoulder_roll_deg:+.1f}°")
    elif isinstance(m, SideMetrics):
        t.add_row("neck from vertical", f"{m.neck_incl_deg:.0f}°")
        t.add_row("torso from vertical", f"{m.torso_incl_deg:.0f}°")
    else:
        t.add_row("measures", "[dim]head or shoulders hidden[/]")
    if d is not None:
        t.add_row("", "")
        t.add_row("[dim]against calibration[/]", "")
        t.add_row("head nearer shoulders", f"{d.head_drop:+.2f} sw")
        t.add_row("head lower in view", f"{d.head_sink:+.2f} sw")
        t.add_row("shoulders up", f"{d.shoulders_raised:+.2f} sw")
        t.add_row("sideways lean", f"{d.lean_deg:.1f}°")
        t.add_row("closer to screen", f"{d.closer * 100:+.0f} %")
        if d.neck_deg or d.torso_deg:
            t.add_row("neck / torso", f"{d.neck_deg:+.0f}° / {d.torso_deg:+.0f}°")
    t.add_row("", "")
    if state.slouched:
        why = ", ".join(r.value.replace("_", " ") for r in state.reasons)
        t.add_row("[red]slouched[/]", f"[red]{state.slouched_for_s:.0f} s[/]")
        t.add_row("", f"[red]{why}[/]")
    else:
        t.add_row("posture", "[green]as calibrated[/]")
    return t


def render_view(
    frame: PoseFrame,
    state: PostureState,
    recent: Sequence[PostureEvent],
    title: str,
    t0: float,
) -> RenderableType:
    """The live view: skeleton on the left, measures on the right, recent events below."""
    sk = Text("\n".join(braille_skeleton(frame)), style="cyan")
    body = Table.grid(padding=(0, 2))
    body.add_column()
    body.add_column()
    body.add_row(sk, _metrics_table(state))
    lines = [
        f"{e.kind.value:>5} at {e.t_s - t0:.0f} s"
        + (f" ({', '.join(r.value for r in e.reasons)})" if e.reasons else "")
        + (f" away {e.away_for_s:.0f} s" if e.kind.value == "back" else "")
        for e in recent[-3:]
    ]
    events = Text("\n".join(lines) if lines else "no events yet", style="dim")
    return Panel(Group(body, events), title=title, width=80)
