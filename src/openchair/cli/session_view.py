"""The terminal view of a running session: a back with the rollers, cushions, heat and forces."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from openchair.body.landmarks import LANDMARK_INDEX
from openchair.control.record import SessionRecord
from openchair.control.session import Session, State

BACK_ROWS = 22
SHOWN_LANDMARKS = ("C7", "shoulder", "T7", "L1", "L3", "S1", "seat_crease")


def back_drawing(session: Session) -> Text:
    """The back from the neck (top) to the seat, with the rollers' position and pressure."""
    r = session.last_readings
    lm = session.maps.landmarks_y_mm[0]
    top, bottom = float(lm[LANDMARK_INDEX["C7"]]) + 90.0, -150.0
    y = float(r.carriage_y_mm[0]) if r is not None else 0.0
    force = float(max(r.force_left_n[0], r.force_right_n[0])) if r is not None else 0.0
    text = Text()
    marks = {name: float(lm[LANDMARK_INDEX[name]]) for name in SHOWN_LANDMARKS}
    for row in range(BACK_ROWS):
        hi = top - row * (top - bottom) / BACK_ROWS
        lo = hi - (top - bottom) / BACK_ROWS
        label = next((n for n, v in marks.items() if lo <= v < hi), "")
        rollers = lo <= y < hi
        body = "  (●|●)  " if rollers else "   |||   "
        style = "bold red" if rollers and force > 40 else ("bold yellow" if rollers else "dim")
        text.append(f"{label:>11} ", style="cyan")
        text.append(body + "\n", style=style)
    return text


def status_table(session: Session, now_s: float) -> Table:
    r = session.last_readings
    f = session.last_frame
    t = Table.grid(padding=(0, 1))
    t.add_column(style="bold")
    t.add_column()
    step = session.compiled.step_label(session.compiled.step_at(session.program_tick))
    t.add_row("program", escape(f"{session.program.name} — {step}"))
    t.add_row(
        "state", State(int(session.state[0])).name.lower() + (" (paused)" if session.paused else "")
    )
    if r is not None:
        t.add_row("rollers", f"y {r.carriage_y_mm[0]:.0f} mm, depth {r.depth_mm[0]:.0f} mm")
        t.add_row("force", f"left {r.force_left_n[0]:.0f} N, right {r.force_right_n[0]:.0f} N")
        used = [
            f"{z} {p:.0f}"
            for z, p in zip(session.description.air_zones, r.air_pressure_kpa[0], strict=True)
            if p > 1.0
        ]
        t.add_row("cushions", ", ".join(used) + " kPa" if used else "vented")
        heat = ", ".join(
            f"{h} {c:.1f} °C"
            for h, c in zip(session.description.heaters, r.heater_temp_c[0], strict=True)
        )
        on = f is not None and bool(np.any(f.heater_target_c[0] > 0))
        t.add_row("heat", heat + (" (on)" if on else ""))
        t.add_row(
            "recline", f"back {r.backrest_angle_deg[0]:.0f}°, legs {r.legrest_angle_deg[0]:.0f}°"
        )
    total = session.compiled.duration_s
    elapsed = min(session.program_tick * session.tick_s, total)
    t.add_row("time left", f"{int((total - elapsed) // 60)}:{int((total - elapsed) % 60):02d}")
    t.add_row("", ProgressBar(total=total, completed=elapsed, width=40))
    return t


def live_view(session: Session, now_s: float) -> Panel:
    grid = Table.grid(padding=(0, 3))
    grid.add_row(back_drawing(session), status_table(session, now_s))
    return Panel(Group(grid), title="openchair — digital twin", border_style="blue")


def summary_table(record: SessionRecord) -> Group:
    chairs = Table(title=f"Session summary — {escape(record.program_id)}")
    for col in (
        "chair",
        "outcome",
        "reason",
        "time",
        "max force N",
        "max depth mm",
        "max air kPa",
        "max heat °C",
    ):
        chairs.add_column(col)
    lim = record.limits
    for c in record.chairs:
        chairs.add_row(
            str(c.chair),
            c.outcome.value,
            c.reason,
            f"{int(c.seconds // 60)}:{int(c.seconds % 60):02d}",
            f"{c.max_force_n:.0f} / {lim['roller_force_hard_max_n']:.0f}",
            f"{c.max_depth_mm:.0f} / {lim['roller_depth_hard_max_mm']:.0f}",
            f"{c.max_pressure_kpa:.1f} / {lim['air_pressure_max_kpa']:.0f}",
            f"{c.max_temp_c:.1f} / {lim['heater_surface_max_c']:.0f}",
        )
    zones = Table(title="Time per zone (rollers working)")
    zones.add_column("zone")
    zones.add_column("time", justify="right")
    for zone, s in record.chairs[0].seconds_by_zone.items():
        zones.add_row(zone, f"{s / 60:.1f} min")
    events = Table(title=f"Safety events ({len(record.events)})")
    for col in ("time", "chair", "rule", "value", "limit", "reaction"):
        events.add_column(col)
    for e in record.events[:30]:
        events.add_row(
            f"{e.time_s:.1f} s",
            str(e.chair),
            e.rule,
            f"{e.value:.1f}",
            f"{e.limit:.1f}",
            e.reaction,
        )
    if len(record.events) > 30:
        events.caption = f"{len(record.events) - 30} more in --json"
    return Group(chairs, zones, events)
