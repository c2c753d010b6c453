"""Drawing a program as a timeline a person can read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.hardware.contract import ChairDescription
from openchair.programs.compiler import compile_program
from openchair.programs.model import Program

TECHNIQUE_COLOURS = {
    "roll": "tab:blue",
    "knead": "tab:orange",
    "shiatsu": "tab:red",
    "tap": "tab:green",
    "knock": "tab:olive",
    "clap": "tab:cyan",
    "none": "lightgray",
}
SAMPLE_S = 0.25


def plot_program(
    program: Program, maps: BodyMapBatch, description: ChairDescription, out: Path
) -> None:
    """Roller position (coloured by technique) with landmarks, depth, air, heat and recline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    compiled = compile_program(program, _first(maps), description)
    ticks = np.arange(0, compiled.n_ticks, max(1, round(SAMPLE_S / compiled.tick_s)))
    frames = [compiled.setpoints_at(int(k)) for k in ticks]
    minutes = ticks * compiled.tick_s / 60.0
    y = np.array([f.carriage_y_target_mm[0] for f in frames])
    depth = np.array([f.depth_target_mm[0] for f in frames])
    air = np.array([f.air_pressure_target_kpa[0] for f in frames])
    heat = np.array([f.heater_target_c[0] for f in frames])
    back = np.array([f.backrest_angle_target_deg[0] for f in frames])
    leg = np.array([f.legrest_angle_target_deg[0] for f in frames])
    technique = [compiled.flat[compiled.step_at(int(k))].step.technique for k in ticks]

    fig, axes = plt.subplots(
        5, 1, figsize=(12, 11), sharex=True, gridspec_kw={"height_ratios": [3, 1, 1.3, 0.8, 0.8]}
    )
    ax = axes[0]
    for name, colour in TECHNIQUE_COLOURS.items():
        mask = np.array([t == name for t in technique])
        if mask.any():
            ax.scatter(minutes[mask], y[mask], s=2, color=colour, label=name)
    lm = maps.landmarks_y_mm[0]
    for name in ("S1", "L3", "L1", "T7", "T1", "C7", "shoulder"):
        yy = lm[LANDMARK_INDEX[name]]
        ax.axhline(yy, color="gray", lw=0.5, ls=":")
        ax.text(minutes[-1], yy, f" {name}", va="center", fontsize=8, color="gray")
    ax.set_ylabel("roller position y (mm)")
    ax.set_title(f"{program.name} — {program.minutes:g} min (average body)")
    ax.legend(loc="upper left", markerscale=4, fontsize=8, ncol=4)
    axes[1].plot(minutes, depth, color="tab:purple")
    axes[1].set_ylabel("depth (mm)")
    for j, zone in enumerate(description.air_zones):
        if air[:, j].max() > 0:
            axes[2].plot(minutes, air[:, j], lw=0.8, label=zone)
    axes[2].set_ylabel("air (kPa)")
    if air.max() > 0:
        axes[2].legend(fontsize=7, ncol=4, loc="upper left")
    for j, name in enumerate(description.heaters):
        axes[3].plot(minutes, heat[:, j], label=name)
    axes[3].set_ylabel("heat (°C)")
    axes[3].legend(fontsize=7, loc="upper left")
    axes[4].plot(minutes, back, label="backrest")
    axes[4].plot(minutes, leg, label="leg rest")
    axes[4].set_ylabel("recline (°)")
    axes[4].set_xlabel("minutes")
    axes[4].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)


def _first(maps: BodyMapBatch) -> BodyMapBatch:
    return BodyMapBatch.from_maps([maps.map_at(0)])
