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
from openchair.body.track import GRID_Y_MM
from openchair.control.session import SHOULDER_HUNG_LANDMARKS, SupervisedDriver
from openchair.hardware.contract import ChairDriver, Readings
from openchair.inputs.files import load_json_bounded
from openchair.inputs.limits import BODY_MAP_FILE_MAX_BYTES, BODY_MAP_TIGHT_SPOTS_MAX
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.safety.supervisor import SafetyEvent, SafetySupervisor
from openchair.scan.estimate import ChairEstimate, ScanOutcome, estimate_chair
from openchair.scan.routine import ScanRoutine

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
    """From the first tick to the last: always ``limits.scan_duration_max_s`` less one tick, as
    the scan hands over at that fixed time (see :func:`run_scan`)."""
    events: tuple[SafetyEvent, ...]
    chairs_ready_s: tuple[float, ...] = ()
    """Per chair, when its own sweep was over and its rollers back in (from the scan's start;
    ``inf`` if never): how long the scan took for that person, before the fixed handover."""

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


class ScanSweep:
    """A scan as an activity of a control loop: one :meth:`tick` per control period.

    It writes through the caller's supervised driver, so a long-lived supervisor (the chair
    service's) keeps what it latched; :func:`run_scan` drives it alone with a fresh one.
    """

    def __init__(
        self,
        supervised: SupervisedDriver,
        *,
        limits: SafetyLimits = DEFAULT_LIMITS,
        start_s: float = 0.0,
        tick_s: float = 0.01,
        lumbar_from_hollow: bool = True,
        whole_profile: bool = True,
    ) -> None:
        self.supervised = supervised
        self.lumbar_from_hollow = lumbar_from_hollow
        self.whole_profile = whole_profile
        self.limits = limits
        self.start_s = start_s
        self.tick_s = tick_s
        n = supervised.supervisor.batch_size
        self._events_from = len(supervised.supervisor.events)
        self.routine = ScanRoutine(supervised.description, n, limits)
        self.max_ticks = round(limits.scan_duration_max_s / tick_s)
        self.ready_s = np.full(n, np.inf)
        self.k = 0
        self.last_t = start_s
        self.done = False
        self.last_readings: Readings | None = None

    def tick(self, t: float) -> bool:
        """Scan tick ``k`` at chair time ``t``; returns False once the scan has handed over.

        The scan hands over at a fixed time, ``limits.scan_duration_max_s`` after it began,
        which every scan fits in; a chair that is ready earlier holds still until then. So a
        program starts at the same time for a person scanned alone and among any batch, and a
        body verified in a population replays exactly alone (docs/VERIFY.md)."""
        routine, supervised = self.routine, self.supervised
        readings = supervised.read(t)
        self.last_readings = readings
        frame = routine.hold(readings) if routine.finished else routine.setpoints(readings)
        supervised.write(frame, readings, t)
        # A chair is ready once its sweep is over and its rollers are back in: a program must
        # not start with the rollers still out where the sweep left them, above the head.
        ready = routine.done & (readings.depth_mm < RETRACTED_MM) & ~np.isfinite(self.ready_s)
        self.ready_s[ready] = t - self.start_s
        self.last_t = t
        self.k += 1
        self.done = self.k >= self.max_ticks
        return not self.done

    def result(self) -> ScanResult:
        """The body maps estimated from what the sweep felt (call once it is done)."""
        rec = self.routine.record
        routine = self.routine
        description = self.supervised.description
        y = np.asarray(rec.stacked("y_mm"), dtype=np.float64)
        depth = np.asarray(rec.stacked("depth_mm"), dtype=np.float64)
        force = np.asarray(rec.stacked("force_n"), dtype=np.float64)
        force_soft = np.asarray(rec.stacked("force_soft_n"), dtype=np.float64)
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
                track_max_mm=description.carriage_y_max_mm,
                limits=self.limits,
                force_soft=force_soft[: used[i], i] if self.lumbar_from_hollow else None,
                whole_profile=self.whole_profile,
            )
            for i in range(len(used))
        )
        events = tuple(self.supervised.supervisor.events[self._events_from :])
        return ScanResult(
            chairs,
            self.last_t - self.start_s,
            events,
            tuple(float(v) for v in self.ready_s),
        )


def run_scan(
    driver: ChairDriver,
    *,
    limits: SafetyLimits = DEFAULT_LIMITS,
    start_s: float = 0.0,
    tick_s: float = 0.01,
    lumbar_from_hollow: bool = True,
    whole_profile: bool = True,
) -> ScanResult:
    """Sweep, then retract; every frame through the supervisor. Simulated or real time alike:
    the caller's driver decides (the twin advances to each ``now_s``). ``lumbar_from_hollow``
    False places the spine from the shoulder line alone (the scan before measured persons, kept
    for comparison: docs/SCAN.md); ``whole_profile`` False places it from the lumbar hollow and
    the shoulder line only (before the back template, :mod:`openchair.scan.template`).

    The scan hands over at a fixed time, ``limits.scan_duration_max_s`` after it began, which
    every scan fits in; a chair that is ready earlier holds still until then. So a program
    starts at the same time for a person scanned alone and among any batch, and a body verified
    in a population replays exactly alone (docs/VERIFY.md)."""
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
    sweep = ScanSweep(
        supervised,
        limits=limits,
        start_s=start_s,
        tick_s=tick_s,
        lumbar_from_hollow=lumbar_from_hollow,
        whole_profile=whole_profile,
    )
    while sweep.tick(start_s + sweep.k * tick_s):
        pass
    return sweep.result()


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
    """Read a saved map; a damaged file gives a ValueError naming what is wrong.

    Only a regular file of at most ``BODY_MAP_FILE_MAX_BYTES``, nested no deeper than
    ``NESTING_MAX_LEVELS``, is read; every value must be a finite number and every landmark on
    the roller track."""
    data = load_json_bounded(path, BODY_MAP_FILE_MAX_BYTES, "body map")
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
    if len(profile) > GRID_Y_MM.size:
        raise ValueError(
            f"{path}: the back profile has {len(profile)} points; the track has {GRID_Y_MM.size}"
        )
    if len(spots) > BODY_MAP_TIGHT_SPOTS_MAX:
        raise ValueError(
            f"{path}: {len(spots)} tight spots; at most {BODY_MAP_TIGHT_SPOTS_MAX} allowed"
        )
    track = (float(GRID_Y_MM[0]), float(GRID_Y_MM[-1]))
    for name, y in landmarks.items():
        if not math.isfinite(y):
            raise ValueError(f"{path}: landmark {name} is {y!r}, not a number")
        if not track[0] <= y <= track[1]:
            raise ValueError(
                f"{path}: landmark {name} at {y!r} mm is not on the roller track "
                f"({track[0]:g}..{track[1]:g} mm)"
            )
    try:
        return BodyMap(
            landmarks,
            depth,
            force,
            spots,
            source=str(data.get("source", "scan")),
            contact_depth_mm=profile,
        )
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
