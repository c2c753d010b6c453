"""The compiler: a program plus a batch of body maps becomes the setpoints of every control tick.

Compilation expands repeats and groups into a flat list of timed steps and places each step's zone
on every body. ``CompiledProgram.setpoints_at(tick)`` then builds one ``Commands`` frame for the
whole batch from precomputed arrays: no Python loop over chairs, cheap enough to call every 10 ms.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.body.track import GRID_Y_MM, sample_linear
from openchair.hardware.contract import ChairDescription, Commands, TapMode
from openchair.programs import primitives as prim
from openchair.programs.model import (
    AIR_GROUPS,
    DERIVED_ZONES,
    AirStep,
    Program,
    ReclineAngles,
    Step,
)
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayT = TypeVar("ArrayT", bound=npt.NDArray[np.generic])

INTENSITY_DEPTH_FACTOR = {1: 0.6, 2: 0.8, 3: 1.0, 4: 1.15, 5: 1.3}
"""Intensity scales every depth fraction; the result never exceeds 1.0 (the comfortable depth)."""
WIDTH_MM = {"narrow": 50.0, "medium": 70.0, "wide": 90.0}
"""Named widths sit on the paraspinal lines: the erector spinae lie 25–45 mm either side."""
AIR_KPA_PER_LEVEL = 7.0
"""Air level 1..5 → 7..35 kPa, below the 45 kPa ceiling."""
RECLINE_PRESETS = {
    "upright": (105.0, 10.0),
    "relax": (125.0, 40.0),
    "zero-gravity": (150.0, 70.0),
}
"""(backrest°, leg rest°) of each preset."""
APPROACH_SETTLE_S = 1.0
"""Added to the time a step's approach to its zone takes at full speed (acceleration, braking)."""
SLOW_TRAVEL_TECHNIQUES = frozenset({"knead", "tap", "knock", "clap"})
"""Techniques that travel their zone slowly while they work (4–12 mm/s): the ones that get to
their zone at full speed first."""
APPROACH_DEPTH_FRACTION = 0.25
"""While getting to its zone, a step's rollers stay at this share of the shallowest comfortable
depth on the way: in light contact. Verification found a full-speed approach at the step's own
depth pressing past a person's pain threshold on a stiff spot."""
SPOT_HALF_WIDTH_MM = 20.0
"""A zone naming one landmark works a spot this far either side of it."""

_RANGE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\.\.\s*([A-Za-z0-9_]+)\s*$")


@dataclass(frozen=True)
class FlatStep:
    """One leaf step at its place in time, after repeats and groups are expanded."""

    step: Step
    label: str
    start_s: float
    seconds: float


def flatten(program: Program) -> list[FlatStep]:
    out: list[FlatStep] = []

    def walk(steps: list[Step], prefix: str, t: float) -> float:
        for i, step in enumerate(steps, start=1):
            number = f"{prefix}{i}"
            for _ in range(step.repeat):
                if step.step is not None:
                    t = walk(step.step, f"{number}.", t)
                else:
                    assert step.seconds is not None
                    what = step.name or f"{step.technique} {step.zone}"
                    out.append(FlatStep(step, f"step {number}: {what}", t, step.seconds))
                    t += step.seconds
        return t

    walk(program.step, "", 0.0)
    return out


def zone_bounds_mm(zone: str, maps: BodyMapBatch) -> tuple[FloatArray, FloatArray]:
    """Lower and upper ``y`` of a zone for every body."""
    if zone in REGION_NAMES:
        return maps.region_bounds_mm(zone)
    if zone in DERIVED_ZONES:
        first, last = DERIVED_ZONES[zone]
        return maps.region_bounds_mm(first)[0], maps.region_bounds_mm(last)[1]
    if zone in LANDMARKS:
        y = maps.landmark_y_mm(zone)
        return y - SPOT_HALF_WIDTH_MM, y + SPOT_HALF_WIDTH_MM
    m = _RANGE.match(zone)
    if not m:
        raise ValueError(f"unknown zone {zone!r}")
    a = maps.landmark_y_mm(m.group(1))
    b = maps.landmark_y_mm(m.group(2))
    return np.minimum(a, b), np.maximum(a, b)


def comfortable_depth_grid(maps: BodyMapBatch) -> FloatArray:
    """(N, G) comfortable depth at every track position: the region's, the smallest where
    regions overlap, and the person's smallest anywhere between regions."""
    return maps.along_track(maps.comfortable_depth_mm)


@dataclass(frozen=True)
class _StepPlan:
    flat: FlatStep
    lo: FloatArray
    hi: FloatArray
    spots: FloatArray  # (N, K) tight spots inside the zone, NaN-padded; K = 0 without any
    speed_mm_s: FloatArray
    depth_fraction: float
    width_mm: float
    knead_cpm: float
    tap_hz: float
    tap_mode: int
    air_kpa: FloatArray  # (Z,) level of each zone the step uses, 0 for the others
    air: AirStep | None
    heat_c: FloatArray  # (H,)
    recline_deg: tuple[float, float] | None
    foot_level: int
    stroke_mm: float
    """How far the technique's stroke reaches past the set depth (kneading, tapping)."""


@dataclass(frozen=True)
class _StepConstants:
    """The fields of a step's frames that stay the same for its whole length.

    They are shared by every frame of the step and read-only: whoever needs another value
    assigns a new array (the supervisor and the session do), and an in-place write by mistake
    fails loudly instead of changing later frames. ``air_pressure_target_kpa`` is None when the
    step's air has a rhythm (it changes every tick)."""

    width_target_mm: FloatArray
    knead_speed_cpm: FloatArray
    tap_rate_hz: FloatArray
    tap_mode: IntArray
    air_pressure_target_kpa: FloatArray | None
    heater_target_c: FloatArray
    backrest_angle_target_deg: FloatArray
    legrest_angle_target_deg: FloatArray
    foot_roller_level: IntArray


class CompiledProgram:
    """Setpoints of every tick of a program for a batch of bodies."""

    def __init__(
        self,
        program: Program,
        maps: BodyMapBatch,
        description: ChairDescription,
        *,
        intensity: int = 3,
        tick_s: float = 0.01,
        limits: SafetyLimits = DEFAULT_LIMITS,
        start_y_mm: FloatArray | None = None,
    ) -> None:
        """``start_y_mm``: where each chair's carriage is when the program starts (the session
        reads it); without it, the top of the track, where a scan leaves the carriage."""
        if intensity not in INTENSITY_DEPTH_FACTOR:
            raise ValueError(f"intensity: {intensity} is outside 1..5")
        self.program = program
        self.description = description
        self.tick_s = tick_s
        self.intensity = intensity
        self.batch_size = maps.batch_size
        self.maps = maps
        self.flat = flatten(program)
        self.duration_s = sum(f.seconds for f in self.flat)
        self.n_ticks = round(self.duration_s / tick_s)
        self.end_ticks = _frozen(np.full(maps.batch_size, self.n_ticks - 1, dtype=np.int64))
        """Per chair, the program tick at which its program has run out (the same for every
        chair here; a mix of programs on one batch has one per chair)."""
        self._starts = [round(f.start_s / tick_s) for f in self.flat]
        self._depth_grid = comfortable_depth_grid(maps)
        self._rows = np.arange(self.batch_size)
        self._limits = limits
        self._start_y_mm = start_y_mm
        self._plans = [self._plan(f, maps) for f in self.flat]
        self._last_recline = self._recline_before()
        self._fixed = [self._fixed_fields(i) for i in range(len(self._plans))]
        self._approach = self._approaches()
        self._approach_max_s = [float(seconds.max()) for seconds, _ in self._approach]
        self._no_heat = _frozen(np.zeros((self.batch_size, description.n_heaters), order="F"))
        self._knead_in = _frozen(np.ones(self.batch_size, dtype=np.int64))
        self._knead_out = _frozen(np.full(self.batch_size, -1, dtype=np.int64))

    # -- compile time ---------------------------------------------------------------------------

    def _plan(self, flat: FlatStep, maps: BodyMapBatch) -> _StepPlan:
        d, s = self.description, flat.step
        lo, hi = zone_bounds_mm(s.zone, maps)
        lo = np.clip(lo, d.carriage_y_min_mm, d.carriage_y_max_mm)
        hi = np.clip(hi, d.carriage_y_min_mm, d.carriage_y_max_mm)
        if s.technique == "roll":
            speed = (
                prim.pass_speed(lo, hi, flat.seconds, s.passes)
                if s.passes
                else np.full(self.batch_size, prim.ROLL_SPEED_MM_S[s.speed])
            )
        else:
            speed = (
                prim.pass_speed(lo, hi, flat.seconds, s.passes)
                if s.passes
                else np.full(self.batch_size, prim.TRAVEL_SPEED_MM_S[s.speed])
            )
        width = WIDTH_MM[s.width] if isinstance(s.width, str) else float(s.width)
        spots = maps.tight_spots_y_mm
        if s.linger > 0 and spots.size:
            spots = np.where((spots >= lo[:, None]) & (spots <= hi[:, None]), spots, np.nan)
            spots = -np.sort(-spots, axis=1)  # found spots first (NaN last), highest first
            spots = spots[:, np.isfinite(spots).any(axis=0)]
        else:
            spots = np.zeros((self.batch_size, 0))
        air_kpa = np.zeros(d.n_air_zones)
        if s.air is not None:
            for zone in s.air.zones:
                names = d.air_zones if zone == "all" else AIR_GROUPS.get(zone, (zone,))
                for name in names:
                    air_kpa[d.air_zone_index(name)] = min(
                        s.air.level * AIR_KPA_PER_LEVEL, d.air_pressure_max_kpa
                    )
        heat = np.zeros(d.n_heaters)
        if s.heat is not None:
            for name, target in (("back", s.heat.back), ("calves", s.heat.calves)):
                if target is not None and name in d.heaters:
                    heat[d.heater_index(name)] = min(target, d.heater_target_max_c)
        recline: tuple[float, float] | None = None
        if isinstance(s.recline, str):
            recline = RECLINE_PRESETS[s.recline]
        elif isinstance(s.recline, ReclineAngles):
            recline = (s.recline.backrest_deg, s.recline.legrest_deg)
        if recline is not None:
            recline = (
                float(np.clip(recline[0], d.backrest_angle_min_deg, d.backrest_angle_max_deg)),
                float(np.clip(recline[1], d.legrest_angle_min_deg, d.legrest_angle_max_deg)),
            )
        return _StepPlan(
            flat=flat,
            lo=lo,
            hi=hi,
            spots=spots,
            speed_mm_s=speed,
            depth_fraction=min(1.0, s.depth * INTENSITY_DEPTH_FACTOR[self.intensity]),
            width_mm=float(np.clip(width, d.width_min_mm, d.width_max_mm)),
            knead_cpm=min(prim.KNEAD_CPM[s.speed], d.knead_speed_max_cpm)
            if s.technique == "knead"
            else 0.0,
            tap_hz=min(prim.TAP_HZ[s.speed], d.tap_rate_max_hz)
            if s.technique in ("tap", "knock", "clap")
            else 0.0,
            tap_mode=int(TapMode.TOGETHER if s.technique == "clap" else TapMode.ALTERNATE),
            air_kpa=air_kpa,
            air=s.air,
            heat_c=heat,
            recline_deg=recline,
            foot_level=min(s.foot_rollers, d.foot_roller_levels),
            stroke_mm=d.knead_depth_amplitude_mm
            if s.technique == "knead"
            else d.tap_depth_amplitude_mm
            if s.technique in ("tap", "knock", "clap")
            else 0.0,
        )

    def _recline_before(self) -> list[tuple[float, float]]:
        """The recline in force at each step: a step that says nothing keeps the last one."""
        d = self.description
        current = RECLINE_PRESETS["upright"]
        current = (
            max(current[0], d.backrest_angle_min_deg),
            max(current[1], d.legrest_angle_min_deg),
        )
        out = []
        for plan in self._plans:
            if plan.recline_deg is not None:
                current = plan.recline_deg
            out.append(current)
        return out

    def _fixed_fields(self, index: int) -> _StepConstants:
        """The fields of a step's frames that stay the same for its whole length, built once."""
        plan, n = self._plans[index], self.batch_size
        backrest, legrest = self._last_recline[index]
        air = None
        if plan.air is None or plan.air.rhythm == "hold":
            air = _frozen(np.tile(plan.air_kpa, (n, 1)))
        return _StepConstants(
            width_target_mm=_frozen(np.full(n, plan.width_mm)),
            knead_speed_cpm=_frozen(np.full(n, plan.knead_cpm)),
            tap_rate_hz=_frozen(np.full(n, plan.tap_hz)),
            tap_mode=_frozen(np.full(n, plan.tap_mode, dtype=np.int64)),
            air_pressure_target_kpa=air,
            heater_target_c=_frozen(np.tile(plan.heat_c, (n, 1))),
            backrest_angle_target_deg=_frozen(np.full(n, backrest)),
            legrest_angle_target_deg=_frozen(np.full(n, legrest)),
            foot_roller_level=_frozen(np.full(n, plan.foot_level, dtype=np.int64)),
        )

    # -- per tick -------------------------------------------------------------------------------

    def step_at(self, tick: int) -> int:
        """Index into ``flat`` of the step that runs at ``tick`` (the last one after the end)."""
        return max(0, bisect.bisect_right(self._starts, tick) - 1)

    def step_label(self, index: int) -> str:
        return self.flat[index].label

    def _comfortable_depth_at(self, y_mm: FloatArray) -> FloatArray:
        return sample_linear(self._depth_grid, y_mm)

    def _motion(self, plan: _StepPlan, tau: float) -> prim.Motion:
        """Where the step's technique puts the carriage ``tau`` seconds into the step."""
        technique = plan.flat.step.technique
        linger_from = plan.flat.seconds * (1.0 - plan.flat.step.linger)
        if plan.spots.shape[1] and tau >= linger_from:
            motion = prim.linger(
                plan.spots,
                plan.lo,
                plan.hi,
                tau - linger_from,
                plan.flat.step.dwell_seconds,
                prim.sweep(plan.lo, plan.hi, tau, plan.speed_mm_s, plan.flat.step.rhythm),
            )
        elif technique == "shiatsu":
            motion = prim.shiatsu(plan.lo, plan.hi, tau, plan.flat.step.dwell_seconds)
        elif technique == "none":
            motion = prim.park(plan.lo)
        else:
            motion = prim.sweep(plan.lo, plan.hi, tau, plan.speed_mm_s, plan.flat.step.rhythm)
        return motion

    def _approaches(self) -> list[tuple[FloatArray, FloatArray]]:
        """Per step and chair, how a slowly travelling technique's carriage gets from where the
        previous step left it to where this step begins: the seconds that takes at full speed
        (plus a second to settle), and the light depth allowed meanwhile
        (APPROACH_DEPTH_FRACTION of the shallowest comfortable depth on the way). The first
        step starts from ``start_y_mm``. Other techniques get zeros: no approach."""
        d = self.description
        speed = min(prim.CARRIAGE_MAX_MM_S, d.carriage_speed_max_mm_s)
        before = (
            np.full(self.batch_size, d.carriage_y_max_mm)
            if self._start_y_mm is None
            else np.asarray(self._start_y_mm, dtype=np.float64)
        )
        none = np.zeros(self.batch_size)
        out = []
        for plan in self._plans:
            start = self._motion(plan, 0.0).carriage_y_mm
            if plan.flat.step.technique in SLOW_TRAVEL_TECHNIQUES:
                lo, hi = np.minimum(before, start), np.maximum(before, start)
                on_way = (GRID_Y_MM[None, :] >= lo[:, None]) & (GRID_Y_MM[None, :] <= hi[:, None])
                shallowest = np.where(on_way, self._depth_grid, np.inf).min(axis=1)
                shallowest = np.minimum(shallowest, self._comfortable_depth_at(start))
                seconds = np.abs(start - before) / speed + APPROACH_SETTLE_S
                out.append((seconds, APPROACH_DEPTH_FRACTION * shallowest))
            else:
                # Rolling is travel itself, shiatsu moves at full speed between presses, and a
                # parked step has no rollers out: none of them needs an approach.
                out.append((none, none))
            before = self._motion(plan, max(plan.flat.seconds - self.tick_s, 0.0)).carriage_y_mm
        return out

    def setpoints_at(self, tick: int) -> Commands:
        """The frame for every chair at ``tick`` (0 .. n_ticks − 1)."""
        d = self.description
        index = self.step_at(tick)
        plan = self._plans[index]
        tau = tick * self.tick_s - plan.flat.start_s
        motion = self._motion(plan, tau)
        speed_limit = motion.speed_limit_mm_s
        y = np.clip(motion.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm)
        comfortable = self._comfortable_depth_at(y)
        # Kneading and tapping strokes reach past the set depth: leave them that room, so that
        # the deepest point of a stroke is the comfortable depth, not beyond it.
        depth = np.minimum(
            plan.depth_fraction * motion.depth_scale * comfortable,
            np.maximum(comfortable - plan.stroke_mm, 0.0),
        )
        if tau < self._approach_max_s[index]:
            # Getting to the zone: at full speed, not at the technique's slow travel speed (a
            # kneading step would otherwise spend half a minute crossing the back to its zone),
            # and lightly, since fast rollers meet a stiff spot on the way too fast to back off.
            approach_s, light_mm = self._approach[index]
            approaching = tau < approach_s
            speed_limit = np.where(approaching, prim.CARRIAGE_MAX_MM_S, speed_limit)
            depth = np.where(approaching, np.minimum(depth, light_mm), depth)
        depth = np.clip(depth, 0.0, min(d.depth_max_mm, self._limits.roller_depth_hard_max_mm))
        fixed = self._fixed[index]
        air = fixed.air_pressure_target_kpa
        if air is None:
            air = np.tile(self._air_at(plan, tau), (self.batch_size, 1))
        return Commands(
            carriage_y_target_mm=y,
            carriage_speed_limit_mm_s=np.clip(speed_limit, 0.0, d.carriage_speed_max_mm_s),
            depth_target_mm=depth,
            width_target_mm=fixed.width_target_mm,
            knead_speed_cpm=fixed.knead_speed_cpm,
            knead_direction=self._knead_in if int(tau // 10) % 2 == 0 else self._knead_out,
            tap_rate_hz=fixed.tap_rate_hz,
            tap_mode=fixed.tap_mode,
            air_pressure_target_kpa=air,
            # The last frame of a program asks for no heat: a session that ends with it (rollers
            # in and upright already, so no finishing frames follow) leaves no heater on.
            heater_target_c=fixed.heater_target_c if tick < self.n_ticks - 1 else self._no_heat,
            backrest_angle_target_deg=fixed.backrest_angle_target_deg,
            legrest_angle_target_deg=fixed.legrest_angle_target_deg,
            foot_roller_level=fixed.foot_roller_level,
        )

    def _air_at(self, plan: _StepPlan, tau: float) -> FloatArray:
        air = plan.air
        if air is None:
            return plan.air_kpa
        f = air.cycles_per_min / 60.0
        if air.rhythm == "hold":
            return plan.air_kpa
        if air.rhythm == "pulse":
            return plan.air_kpa if (tau * f) % 1.0 < 0.5 else np.zeros_like(plan.air_kpa)
        if air.rhythm == "breathing":
            # Inflate on the in-breath, release on the out-breath: a smooth cycle at the pace.
            return np.asarray(plan.air_kpa * 0.5 * (1 - np.cos(2 * np.pi * f * tau)))
        used = np.flatnonzero(plan.air_kpa)
        if used.size == 0:
            return plan.air_kpa
        active = used[int(tau * f * used.size) % used.size]
        out = np.zeros_like(plan.air_kpa)
        out[active] = plan.air_kpa[active]
        return out


def _frozen(arr: ArrayT) -> ArrayT:
    arr.flags.writeable = False
    return arr


def compile_program(
    program: Program,
    maps: BodyMapBatch,
    description: ChairDescription,
    *,
    intensity: int = 3,
    tick_s: float = 0.01,
) -> CompiledProgram:
    """Compile ``program`` for every body of ``maps`` on a chair described by ``description``."""
    return CompiledProgram(program, maps, description, intensity=intensity, tick_s=tick_s)
