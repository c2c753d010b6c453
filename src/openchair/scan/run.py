"""Running a scan through the supervisor, and what it gives back."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openchair.body.bodymap import BodyMap, BodyMapBatch
from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.body.model import BodyParams, make_body
from openchair.control.session import SHOULDER_HUNG_LANDMARKS, SupervisedDriver
from openchair.hardware.contract import ChairDriver
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.safety.supervisor import SafetyEvent, SafetySupervisor
from openchair.scan.estimate import ChairEstimate, ScanOutcome, estimate_chair
from openchair.scan.routine import ScanRoutine

SCAN_END_ALIGN_S = 1.0
"""A scan hands over on a whole second of chair time: every chair of a batch ends its scan on the
same tick as it would alone, so a body verified among a population replays exactly alone."""
RETRACTED_MM = 1.0
SCAN_COMFORT_FORCE_N = 15.0
"""While scanning, before anyone's map is known, the supervisor allows only this much force."""


def provisional_map(batch_size: int) -> BodyMapBatch:
    """A cautious map for the supervisor during a scan: any depth, but only light force."""
    base = make_body(BodyParams.from_percentile(50, "female")).to_map()
    m = BodyMap(
        landmarks_y_mm=base.landmarks_y_mm,
        comfortable_depth_mm={r: DEFAULT_LIMITS.roller_depth_hard_max_mm for r in REGION_NAMES},
        comfort_force_n={r: SCAN_COMFORT_FORCE_N for r in REGION_NAMES},
        source="provisional",
    )
    return BodyMapBatch.from_maps([m] * batch_size)


@dataclass(frozen=True)
class ScanResult:
    chairs: tuple[ChairEstimate, ...]
    duration_s: float
    events: tuple[SafetyEvent, ...]

    @property
    def ok(self) -> bool:
        return all(c.outcome is ScanOutcome.OK for c in self.chairs)

    def maps(self) -> BodyMapBatch:
        """The scanned maps; raises if a chair's scan did not succeed."""
        failed = [i for i, c in enumerate(self.chairs) if c.body_map is None]
        if failed:
            raise ValueError(
                f"no body map for chair(s) {failed}: " + self.chairs[failed[0]].message
            )
        return BodyMapBatch.from_maps([c.body_map for c in self.chairs if c.body_map is not None])


def run_scan(
    driver: ChairDriver,
    *,
    limits: SafetyLimits = DEFAULT_LIMITS,
    start_s: float = 0.0,
    tick_s: float = 0.01,
) -> ScanResult:
    """Sweep, then retract; every frame through the supervisor. Simulated or real time alike:
    the caller's driver decides (the twin advances to each ``now_s``)."""
    n = driver.batch_size
    supervised = SupervisedDriver(
        driver,
        SafetySupervisor(
            driver.description,
            provisional_map(n),
            limits,
            session_start_s=start_s,
            predict_force=False,
        ),
    )
    routine = ScanRoutine(driver.description, n, limits)
    t = start_s
    max_ticks = round(limits.scan_duration_max_s / tick_s)
    align = max(1, round(SCAN_END_ALIGN_S / tick_s))
    end_k: int | None = None
    for k in range(max_ticks):
        t = start_s + k * tick_s
        readings = supervised.read(t)
        if end_k is None:
            frame = routine.hold(readings) if routine.finished else routine.setpoints(readings)
            supervised.write(frame, readings, t)
            # Hand over once every chair's rollers are back in: a program must not start with
            # the rollers still out where the sweep left them, above the head.
            if routine.finished and bool(np.all(readings.depth_mm < RETRACTED_MM)):
                end_k = min(-(-k // align) * align, max_ticks - 1)
        else:
            supervised.write(routine.hold(readings), readings, t)
        if end_k is not None and k >= end_k:
            break
    duration = t - start_s
    rec = routine.record
    y = np.asarray(rec.stacked("y_mm"), dtype=np.float64)
    depth = np.asarray(rec.stacked("depth_mm"), dtype=np.float64)
    force = np.asarray(rec.stacked("force_n"), dtype=np.float64)
    shoulder = np.asarray(rec.stacked("shoulder"), dtype=bool)
    used = routine.records_used
    chairs = tuple(
        estimate_chair(
            y[: used[i], i],
            depth[: used[i], i],
            force[: used[i], i],
            shoulder[: used[i], i],
            occupied=not bool(routine.nobody[i]),
            no_contact=bool(routine.no_contact[i]),
            track_max_mm=driver.description.carriage_y_max_mm,
            limits=limits,
        )
        for i in range(n)
    )
    return ScanResult(chairs, duration, tuple(supervised.supervisor.events))


def nudge_shoulder(body_map: BodyMap, mm: float) -> BodyMap:
    """The map with the shoulder line (and the landmarks placed from it) moved by ``mm``."""
    landmarks = dict(body_map.landmarks_y_mm)
    for name in SHOULDER_HUNG_LANDMARKS:
        landmarks[name] = round(landmarks[name] + mm, 1)
    return BodyMap(
        landmarks_y_mm=landmarks,
        comfortable_depth_mm=dict(body_map.comfortable_depth_mm),
        comfort_force_n=dict(body_map.comfort_force_n),
        tight_spots_y_mm=body_map.tight_spots_y_mm,
        source=body_map.source,
        contact_depth_mm=body_map.contact_depth_mm,
    )


def save_map(body_map: BodyMap, path: Path) -> None:
    data = {
        "format": "openchair body map 1",
        "source": body_map.source,
        "landmarks_y_mm": body_map.landmarks_y_mm,
        "comfortable_depth_mm": body_map.comfortable_depth_mm,
        "comfort_force_n": body_map.comfort_force_n,
        "tight_spots_y_mm": list(body_map.tight_spots_y_mm),
        "contact_depth_mm": [list(pair) for pair in body_map.contact_depth_mm],
    }
    path.write_text(json.dumps(data, indent=2))


def load_map(path: Path) -> BodyMap:
    """Read a saved map; a damaged file gives a ValueError naming what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a body map file: {err}") from None
    if not isinstance(data, dict) or data.get("format") != "openchair body map 1":
        raise ValueError(f"{path}: not an openchair body map (format line missing)")
    try:
        landmarks = {n: float(data["landmarks_y_mm"][n]) for n in LANDMARKS}
        depth = {r: float(data["comfortable_depth_mm"][r]) for r in REGION_NAMES}
        force = {r: float(data["comfort_force_n"][r]) for r in REGION_NAMES}
        spots = tuple(float(v) for v in data.get("tight_spots_y_mm", []))
        # Maps saved before the profile was kept have none: the supervisor then falls back to
        # judging force sensing by the comfortable depth alone.
        profile = tuple((float(y), float(d)) for y, d in data.get("contact_depth_mm", []))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: body map incomplete or damaged: {err}") from None
    if any(not 0 <= v <= DEFAULT_LIMITS.roller_depth_hard_max_mm for v in depth.values()):
        raise ValueError(f"{path}: a comfortable depth is outside 0..120 mm")
    if any(not 0 < v <= DEFAULT_LIMITS.roller_force_hard_max_n for v in force.values()):
        raise ValueError(f"{path}: a comfort force is outside 0..150 N")
    if any(not (math.isfinite(y) and math.isfinite(d)) for y, d in profile):
        raise ValueError(f"{path}: the back profile holds a value that is not a number")
    return BodyMap(
        landmarks,
        depth,
        force,
        spots,
        source=str(data.get("source", "scan")),
        contact_depth_mm=profile,
    )
