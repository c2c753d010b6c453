"""Rules about the rollers: the person's comfortable depth and comfort force, the hard limits,
the carriage waiting for the rollers, and a force sensor that stays silent while the rollers
surely press."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import REGION_NAMES
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM, sample_cautious
from openchair.compiled import kernel
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.events import EventLog
from openchair.safety.limits import (
    CARRIAGE_LOOKAHEAD_MM,
    CARRIAGE_WAIT_DEPTH_MM,
    CEILING_RECOVERY_MM_S,
    DEPTH_GROWTH_IN_CONTACT_MM_S,
    DEPTH_RUNAWAY_MARGIN_MM,
    FORCE_BACKOFF_MM,
    FORCE_PREDICT_S,
    FORCE_RATE_WINDOW_TICKS,
    FORCE_RISE_NOISE_N,
    PRESS_ARRIVAL_MM,
    PRESS_TARGET_STILL_MM,
    PRESS_TRAVEL_DEPTH_FRACTION,
    SILENT_CONTACT_MM,
    SILENT_DEPTH_FRACTION,
    SILENT_FORCE_N,
    SILENT_FORCE_S,
    SafetyLimits,
)
from openchair.safety.rules import (
    FORCE_SENSOR_SILENT,
    ROLLER_DEPTH,
    ROLLER_DEPTH_RUNAWAY,
    ROLLER_FORCE,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


class ForceRules:
    """Owns the person's limits along the track (from the body maps), the depth ceiling after a
    force back-off, and since when each force reading has been silent."""

    def __init__(
        self,
        description: ChairDescription,
        limits: SafetyLimits,
        log: EventLog,
        maps: BodyMapBatch,
        *,
        predict: bool = True,
    ) -> None:
        self.description = description
        self.predict = predict
        """Back off by the force's prediction and limit depth growth while pressing (off for the
        scan, whose light contact is its own force control and whose map is not the person's)."""
        self.limits = limits
        self.log = log
        n = log.batch_size
        self.hard_depth_mm = min(description.depth_max_mm, limits.roller_depth_hard_max_mm)
        self._cell: IntArray = np.zeros(n, np.intp)
        """Per chair, the grid point at or below the carriage reading of the frame being
        filtered (every rule looks there)."""
        d = description
        self._kernel_limits = np.array(
            [
                GRID_Y_MM[0],
                GRID_STEP_MM,
                GRID_Y_MM.size - 1.000001,
                SILENT_FORCE_N,
                SILENT_FORCE_S,
                DEPTH_RUNAWAY_MARGIN_MM,
                limits.roller_force_hard_max_n,
                FORCE_RISE_NOISE_N,
                FORCE_PREDICT_S,
                FORCE_BACKOFF_MM,
                CEILING_RECOVERY_MM_S,
                self.hard_depth_mm,
                DEPTH_GROWTH_IN_CONTACT_MM_S,
                PRESS_TARGET_STILL_MM,
                PRESS_ARRIVAL_MM,
                PRESS_TRAVEL_DEPTH_FRACTION,
                CARRIAGE_LOOKAHEAD_MM,
                CARRIAGE_WAIT_DEPTH_MM,
                d.carriage_y_min_mm,
                d.carriage_y_max_mm,
            ]
        )
        """The limits the kernels read, in the order they unpack them (passed in, never compiled
        in: a cached kernel would keep an old limit)."""
        self.set_maps(maps)
        self._ceiling: FloatArray = np.full(n, self.hard_depth_mm)
        self._silent_since: FloatArray = np.full(n, np.nan)
        self._sent_depth: FloatArray = np.zeros(n)
        self._sent_y: FloatArray = np.full(n, np.nan)
        self._force_ring: FloatArray = np.zeros((FORCE_RATE_WINDOW_TICKS, n))
        """The last forces read, one row per tick, oldest overwritten first."""
        self._ring_at = 0
        self._ring_times: FloatArray = np.full(FORCE_RATE_WINDOW_TICKS, np.nan)
        self._runaway_from: FloatArray = np.full(n, np.nan)
        """Depth reading when the rollers were first seen deeper than commanded."""

    def sent(self, frame: Commands) -> None:
        """The depth and carriage target of the frame that went to the chair (after every
        rule)."""
        self._sent_depth = frame.depth_target_mm
        self._sent_y = frame.carriage_y_target_mm

    def set_maps(self, maps: BodyMapBatch) -> None:
        lim = self.limits
        force_by_region = maps.comfort_force_n.copy()
        neck = REGION_NAMES.index("neck")
        force_by_region[:, neck] = np.minimum(force_by_region[:, neck], lim.neck_force_max_n)
        depth = maps.along_track(maps.comfortable_depth_mm)
        force = maps.along_track(force_by_region)
        # Above the neck region (the head) only neck-level force is ever allowed.
        above_neck = GRID_Y_MM[None, :] > maps.region_bounds_mm("neck")[1][:, None]
        force = np.where(above_neck, np.minimum(force, lim.neck_force_max_n), force)
        self.depth_grid = np.minimum(depth, self.hard_depth_mm)
        self.force_grid = np.minimum(force, lim.roller_force_hard_max_n)
        self._pressing_grid = pressing_depth_grid(maps, self.depth_grid, self.description)
        self._back_lo_mm = maps.region_bounds_mm("sacrum")[0]
        self._back_hi_mm = maps.landmark_y_mm("T1")

    def comfort_force_at(self, y_mm: FloatArray) -> FloatArray:
        return sample_cautious(self.force_grid, y_mm)

    def comfortable_depth_at(self, y_mm: FloatArray) -> FloatArray:
        return sample_cautious(self.depth_grid, y_mm)

    def watch(self, r: Readings, now_s: float) -> None:
        """Where the carriage is on the grid (every rule looks there), a force sensor that
        stays silent while the rollers surely press, and rollers deeper than commanded that keep
        going deeper (they do not obey their depth): one kernel call, then the events."""
        acts = np.zeros((2, r.batch_size), dtype=np.bool_)
        _force_watch(
            r.carriage_y_mm,
            r.depth_mm,
            r.force_left_n,
            r.force_right_n,
            r.occupied,
            now_s,
            self._pressing_grid,
            self._back_lo_mm,
            self._back_hi_mm,
            self._sent_depth,
            self._kernel_limits,
            self._cell,
            self._silent_since,
            self._runaway_from,
            acts,
        )
        if not acts.any() and self.log.resting(_WATCH_RULES):
            return  # the common case: neither rule acts now, nor did at the last tick
        self.log.edge(
            FORCE_SENSOR_SILENT,
            acts[0],
            now_s,
            lambda: np.nan_to_num(now_s - self._silent_since),
            SILENT_FORCE_S,
        )
        self.log.edge(
            ROLLER_DEPTH_RUNAWAY,
            acts[1],
            now_s,
            lambda: np.nan_to_num(r.depth_mm - self._sent_depth),
            DEPTH_RUNAWAY_MARGIN_MM,
        )

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        """The person's force and depth limits, the depth ceiling after a back-off, depth growth
        while pressing, and the carriage waiting for the rollers: one kernel call, then the
        events."""
        # By prediction: the force as it will be when a back-off ordered now takes effect.
        k = self._ring_at
        old_s = float(self._ring_times[k])
        self._ring_times[k] = now_s
        self._ring_at = (k + 1) % FORCE_RATE_WINDOW_TICKS
        predict_rise = self.predict and bool(np.isfinite(old_s)) and now_s > old_s
        n = r.batch_size
        wanted_depth = out.depth_target_mm
        force, limit, allowed = np.empty(n), np.empty(n), np.empty(n)
        depth, carriage = np.empty(n), np.empty(n)
        acts = np.zeros((2, n), dtype=np.bool_)
        _force_apply(
            r.carriage_y_mm,
            r.depth_mm,
            r.force_left_n,
            r.force_right_n,
            wanted_depth,
            out.carriage_y_target_mm,
            now_s,
            self.predict,
            predict_rise,
            now_s - old_s,
            self._force_ring[k],
            self._cell,
            self.force_grid,
            self.depth_grid,
            self._sent_depth,
            self._sent_y,
            self._kernel_limits,
            self._ceiling,
            force,
            limit,
            allowed,
            depth,
            carriage,
            acts,
        )
        out.depth_target_mm = depth
        out.carriage_y_target_mm = carriage
        if not acts.any() and self.log.resting(_APPLY_RULES):
            return  # the common case: neither rule acts now, nor did at the last tick
        self.log.edge(ROLLER_FORCE, acts[0], now_s, force, limit)
        self.log.edge(ROLLER_DEPTH, acts[1], now_s, wanted_depth, allowed)


_WATCH_RULES = frozenset({FORCE_SENSOR_SILENT, ROLLER_DEPTH_RUNAWAY})
_APPLY_RULES = frozenset({ROLLER_FORCE, ROLLER_DEPTH})


@kernel
def _minimum(a: float, b: float) -> float:
    """``np.minimum`` of two numbers (a NaN wins)."""
    return a if (a < b or a != a) else b


@kernel
def _maximum(a: float, b: float) -> float:
    """``np.maximum`` of two numbers (a NaN wins)."""
    return a if (a > b or a != a) else b


@kernel
def _cell_of(y_mm: float, lim: FloatArray) -> int:
    """The grid point at or below ``y_mm``, kept inside the grid (``track.grid_cell``)."""
    pos = _minimum(_maximum((y_mm - lim[_GRID_Y0]) / lim[_GRID_STEP], 0.0), lim[_GRID_LAST])
    if pos != pos:
        raise IndexError("a carriage position that is not a number has no place on the grid")
    return int(pos)


@kernel
def _cautious(grid: FloatArray, i: int, cell: int) -> float:
    """The smaller of the two grid values around a place: a limit is never interpolated
    past (``track.sample_cautious``)."""
    return _minimum(grid[i, cell], grid[i, cell + 1])


(
    _GRID_Y0,
    _GRID_STEP,
    _GRID_LAST,
    _SILENT_N,
    _SILENT_S,
    _RUNAWAY_MM,
    _FORCE_HARD_N,
    _RISE_NOISE_N,
    _PREDICT_S,
    _BACKOFF_MM,
    _RECOVERY_MM_S,
    _HARD_DEPTH_MM,
    _GROWTH_MM_S,
    _STILL_MM,
    _ARRIVAL_MM,
    _TRAVEL_FRACTION,
    _LOOKAHEAD_MM,
    _WAIT_MM,
    _Y_MIN_MM,
    _Y_MAX_MM,
) = range(20)
"""Where each value is in ``ForceRules._kernel_limits``."""


@kernel
def _force_watch(
    y_mm: FloatArray,
    depth_mm: FloatArray,
    force_left_n: FloatArray,
    force_right_n: FloatArray,
    occupied: BoolArray,
    now_s: float,
    pressing_grid: FloatArray,
    back_lo_mm: FloatArray,
    back_hi_mm: FloatArray,
    sent_depth: FloatArray,
    lim: FloatArray,
    cell: IntArray,
    silent_since: FloatArray,
    runaway_from: FloatArray,
    acts: BoolArray,
) -> None:
    """Per chair: its grid cell (into ``cell``), the silent-sensor rule (``acts[0]``) and the
    depth-runaway rule (``acts[1]``), updating their timers in place."""
    n = y_mm.shape[0]
    for i in range(n):
        cell[i] = _cell_of(y_mm[i], lim)
    for i in range(n):
        y, depth, c = y_mm[i], depth_mm[i], cell[i]
        # Only on the back itself (sacrum to T1): above it the neck and head may stand far off
        # the backrest, and a roller there can be deep and touch nothing. The pressing depth is
        # the larger of the two grid values: it must never be under-estimated.
        surely = _maximum(pressing_grid[i, c], pressing_grid[i, c + 1])
        deep = occupied[i] and back_lo_mm[i] <= y <= back_hi_mm[i] and depth > surely
        if deep and _maximum(force_left_n[i], force_right_n[i]) < lim[_SILENT_N]:
            if np.isnan(silent_since[i]):
                silent_since[i] = now_s
            if now_s - silent_since[i] >= lim[_SILENT_S]:
                acts[0, i] = True
        else:
            silent_since[i] = np.nan
        # Deeper than commanded, and since then deeper by the margin again: a runaway.
        if depth > sent_depth[i] + lim[_RUNAWAY_MM]:
            if np.isnan(runaway_from[i]):
                runaway_from[i] = depth
            if depth - runaway_from[i] > lim[_RUNAWAY_MM]:
                acts[1, i] = True
        else:
            runaway_from[i] = np.nan


@kernel
def _force_apply(
    y_mm: FloatArray,
    depth_mm: FloatArray,
    force_left_n: FloatArray,
    force_right_n: FloatArray,
    wanted_depth_mm: FloatArray,
    target_y_mm: FloatArray,
    now_s: float,
    predict: bool,
    predict_rise: bool,
    rise_dt_s: float,
    ring_row: FloatArray,
    cell: IntArray,
    force_grid: FloatArray,
    depth_grid: FloatArray,
    sent_depth: FloatArray,
    sent_y: FloatArray,
    lim: FloatArray,
    ceiling: FloatArray,
    force_out: FloatArray,
    limit_out: FloatArray,
    allowed_out: FloatArray,
    depth_out: FloatArray,
    carriage_out: FloatArray,
    acts: BoolArray,
) -> None:
    """Per chair: the force rule (``acts[0]``, seen ``force_out`` against ``limit_out``), the
    depth rule (``acts[1]``, against ``allowed_out``), the depth and carriage targets that may
    go (``depth_out``, ``carriage_out``); swaps this tick's force into the ring row and
    updates the ceiling in place."""
    n = y_mm.shape[0]
    hard = lim[_HARD_DEPTH_MM]
    for i in range(n):
        y, depth, c = y_mm[i], depth_mm[i], cell[i]
        measured = _maximum(force_left_n[i], force_right_n[i])
        limit = _minimum(_cautious(force_grid, i, c), lim[_FORCE_HARD_N])
        old_force = ring_row[i]
        ring_row[i] = measured
        force = measured
        if predict_rise:
            rise = _maximum(measured - old_force - lim[_RISE_NOISE_N], 0.0) / rise_dt_s
            force = measured + rise * lim[_PREDICT_S]
        over = force > limit
        if over:
            ceiling[i] = _maximum(depth - lim[_BACKOFF_MM], 0.0)
        else:
            ceiling[i] = _minimum(ceiling[i] + lim[_RECOVERY_MM_S] * 0.01, hard)
        force_out[i] = force
        limit_out[i] = limit
        acts[0, i] = over
        target = target_y_mm[i]
        at_target = _cautious(depth_grid, i, _cell_of(target, lim))
        person = _minimum(_cautious(depth_grid, i, c), at_target)
        allowed = _minimum(_minimum(person, ceiling[i]), hard)
        allowed_out[i] = allowed
        wanted = wanted_depth_mm[i]
        acts[1, i] = wanted > allowed + 0.5 and not over
        # Pressing, the rollers go deeper only as fast as the force rule can always undo.
        if measured > lim[_SILENT_N]:
            growth = _maximum(sent_depth[i], depth) + lim[_GROWTH_MM_S] * 0.01
        else:
            growth = np.inf
        new_depth = _minimum(wanted, allowed)
        if predict:
            # ... and not at all while the carriage is still on its way to a press: a target
            # that stands still (a place to press, not a roll's moving target) far from it.
            placed = abs(target - sent_y[i]) < lim[_STILL_MM]
            if placed and abs(target - y) > lim[_ARRIVAL_MM]:
                light = _maximum(sent_depth[i], lim[_TRAVEL_FRACTION] * person)
                growth = _minimum(growth, light)
            new_depth = _minimum(new_depth, growth)
        depth_out[i] = new_depth
        # The depth motor is slower than the carriage: rollers still deeper than the place the
        # carriage is heading to make it hold where it is until they are back in.
        look = lim[_LOOKAHEAD_MM]
        step = _minimum(_maximum(target - y, -look), look)
        ahead = _minimum(at_target, _cautious(depth_grid, i, _cell_of(y + step, lim)))
        if depth > ahead + lim[_WAIT_MM]:
            carriage_out[i] = _minimum(_maximum(y, lim[_Y_MIN_MM]), lim[_Y_MAX_MM])
        else:
            carriage_out[i] = target


def pressing_depth_grid(
    maps: BodyMapBatch, depth_grid: FloatArray, description: ChairDescription
) -> FloatArray:
    """(N, G) roller depth past which rollers surely press on the back, for the silent-sensor
    rule: the scan's contact depth plus SILENT_CONTACT_MM plus the largest stroke, where it is
    known; +inf where this person's contact depth is unknown at that place; 80 % of the
    comfortable depth for a person whose map has no contact depth at all."""
    stroke = max(description.knead_depth_amplitude_mm, description.tap_depth_amplitude_mm)
    fallback = SILENT_DEPTH_FRACTION * depth_grid
    has = maps.has_contact_depth()
    if not has.any():
        return fallback
    contact = maps.contact_depth_mm
    pressing = np.where(np.isfinite(contact), contact + SILENT_CONTACT_MM + stroke, np.inf)
    return np.where(has[:, None], pressing, fallback)
