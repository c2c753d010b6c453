"""The person's own upright posture: a few still seconds, kept in their data folder.

Every posture measure is compared with this baseline, never with a population norm. A calibration
is refused when nobody (or not enough of the head and shoulders) was in view, or when the person
moved too much to give one steady posture.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openchair.posture.config import PostureConfig
from openchair.posture.landmarks import PoseFrame
from openchair.posture.metrics import (
    FrontalMetrics,
    Metrics,
    SideMetrics,
    ViewMode,
    measure,
)

FORMAT_VERSION = 1


class CalibrationError(Exception):
    """The frames cannot give a calibration; the message says what to do."""


class CalibrationFileError(Exception):
    """A stored calibration is missing or unreadable; the message names the file."""


@dataclass(frozen=True)
class Calibration:
    mode: ViewMode
    baseline: Metrics
    t_s: float
    frames: int
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "mode": self.mode.value,
            "baseline": asdict(self.baseline),
            "t_s": self.t_s,
            "frames": self.frames,
            "duration_s": self.duration_s,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Calibration:
        try:
            if d["version"] != FORMAT_VERSION:
                raise ValueError(f"format version {d['version']} (expected {FORMAT_VERSION})")
            mode = ViewMode(d["mode"])
            base_cls = FrontalMetrics if mode is ViewMode.FRONTAL else SideMetrics
            raw = {k: float(v) for k, v in d["baseline"].items()}
            baseline: Metrics = base_cls(**raw)
            if not all(np.isfinite(list(raw.values()))):
                raise ValueError("baseline values must be finite")
            return cls(
                mode=mode,
                baseline=baseline,
                t_s=float(d["t_s"]),
                frames=int(d["frames"]),
                duration_s=float(d["duration_s"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CalibrationFileError(f"not a posture calibration: {err}") from None


def calibrate(
    frames: Sequence[PoseFrame], mode: ViewMode, config: PostureConfig | None = None
) -> Calibration:
    """The median posture over ``frames``, if they show one person sitting still."""
    cfg = config or PostureConfig()
    if not frames:
        raise CalibrationError("no frames arrived from the camera")
    with_person = [f for f in frames if f.person]
    measured = [m for m in (measure(f, mode) for f in with_person) if m is not None]
    if len(with_person) < cfg.calib_min_person_share * len(frames):
        raise CalibrationError(
            f"nobody in view in {len(frames) - len(with_person)} of {len(frames)} frames: "
            "sit in front of the camera and try again"
        )
    if len(measured) < cfg.calib_min_frames:
        what = "head and shoulders" if mode is ViewMode.FRONTAL else "ear, shoulder and hip"
        raise CalibrationError(
            f"your {what} were clearly visible in only {len(measured)} frames "
            f"(at least {cfg.calib_min_frames} needed): check the light and the camera's aim"
        )
    rows = np.array([list(asdict(m).values()) for m in measured], dtype=np.float64)
    med = np.median(rows, axis=0)
    if isinstance(measured[0], FrontalMetrics):
        # Wander in shoulder widths, with each frame's scale taken out (eye distance), so that
        # leaning in and out shows as a change of distance, not as a moving head.
        unit = med[5] / med[4]  # the median shoulder width in eye distances
        wander = max((rows[:, 0] / rows[:, 4]).std(), (rows[:, 2] / rows[:, 4]).std()) / unit
        if wander > cfg.calib_max_sd_sw or rows[:, 3].std() > cfg.calib_max_sd_deg:
            raise CalibrationError("you moved too much: sit upright and still, then try again")
        if rows[:, 4].std() / med[4] > cfg.calib_max_sd_face:
            raise CalibrationError("you moved towards or away from the screen: keep still")
        baseline: Metrics = FrontalMetrics(*(float(v) for v in med))
    else:
        if rows.std(axis=0).max() > cfg.calib_max_sd_deg:
            raise CalibrationError("you moved too much: sit upright and still, then try again")
        baseline = SideMetrics(*(float(v) for v in med))
    return Calibration(
        mode=mode,
        baseline=baseline,
        t_s=frames[-1].t_s,
        frames=len(measured),
        duration_s=frames[-1].t_s - frames[0].t_s,
    )


def data_dir() -> Path:
    """The person's openchair data folder: $OPENCHAIR_DATA_DIR, else the XDG data home."""
    env = os.environ.get("OPENCHAIR_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "openchair"


def calibration_path(mode: ViewMode, base: Path | None = None) -> Path:
    return (base or data_dir()) / "posture" / f"calibration-{mode.value}.json"


def save_calibration(cal: Calibration, path: Path) -> None:
    """Write atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal.to_dict(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_calibration(path: Path) -> Calibration:
    if not path.exists():
        raise CalibrationFileError(
            f"no calibration at {path}: run `openchair posture calibrate` first"
        )
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CalibrationFileError(
            f"{path}: unreadable ({err}); run `openchair posture calibrate` to make a new one"
        ) from None
    try:
        return Calibration.from_dict(d)
    except CalibrationFileError as err:
        raise CalibrationFileError(
            f"{path}: {err}; run `openchair posture calibrate` to make a new one"
        ) from None
