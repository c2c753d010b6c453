"""Rules about the rollers: the person's comfortable depth and comfort force, the hard limits,
the carriage waiting for the rollers, and a force sensor that stays silent while the rollers
surely press."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import REGION_NAMES
from openchair.body.track import GRID_Y_MM, flat_index, grid_position, sample_cautious
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
        self._at_carriage: tuple[IntArray, IntArray] = (np.zeros(n, np.intp), np.ones(n, np.intp))
        """Flat indices of the grid points around the carriage reading of the frame being
        filtered, into any (N, G) grid seen as one row."""
        self.set_maps(maps)
        self._ceiling: FloatArray = np.full(n, self.hard_depth_mm)
        self._silent_since: FloatArray = np.full(n, np.nan)
        self._sent_depth: FloatArray = np.zeros(n)
        self._sent_y: FloatArray = np.full(n, np.nan)
        self._runaway_tracked = False
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

    def runaway(self, r: Readings, now_s: float) -> None:
        """Rollers deeper than commanded that keep going deeper do not obey their depth."""
        beyond = r.depth_mm > self._sent_depth + DEPTH_RUNAWAY_MARGIN_MM
        if not beyond.any() and not self._runaway_tracked:
            self.log.edge(ROLLER_DEPTH_RUNAWAY, False, now_s, 0.0, DEPTH_RUNAWAY_MARGIN_MM)
            return
        self._runaway_tracked = bool(beyond.any())
        start = beyond & np.isnan(self._runaway_from)
        if beyond.any():
            self._runaway_from = np.where(
                beyond, np.where(start, r.depth_mm, self._runaway_from), np.nan
            )
        elif not np.isnan(self._runaway_from).all():
            self._runaway_from = np.full(self.log.batch_size, np.nan)
        deeper = r.depth_mm - self._runaway_from  # NaN where not beyond: never compared true
        self.log.edge(
            ROLLER_DEPTH_RUNAWAY,
            deeper > DEPTH_RUNAWAY_MARGIN_MM,
            now_s,
            lambda: np.nan_to_num(r.depth_mm - self._sent_depth),
            DEPTH_RUNAWAY_MARGIN_MM,
        )

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

    def locate(self, r: Readings) -> None:
        """Find the grid points around the carriage once per frame: every rule looks there."""
        at = flat_index(self.depth_grid, grid_position(r.carriage_y_mm)[0])
        self._at_carriage = (at, at + 1)

    def _cautious_at_carriage(self, grid: FloatArray) -> FloatArray:
        """``sample_cautious`` of an (N, G) grid at the carriage (one lookup serves all rules)."""
        flat, (i0, i1) = grid.reshape(-1), self._at_carriage
        return np.minimum(flat.take(i0), flat.take(i1))

    def _surely_pressing_at_carriage(self) -> FloatArray:
        """Roller depth past which the rollers must feel the back where the carriage is (the
        larger of the two grid values around it: this threshold must never be under-estimated)."""
        flat, (i0, i1) = self._pressing_grid.reshape(-1), self._at_carriage
        return np.maximum(flat.take(i0), flat.take(i1))

    def silent_sensor(self, r: Readings, now_s: float) -> None:
        # Only on the back itself (sacrum to T1): above it the neck and head may stand far off
        # the backrest, and a roller there can be deep and touch nothing.
        on_back = (r.carriage_y_mm >= self._back_lo_mm) & (r.carriage_y_mm <= self._back_hi_mm)
        deep = r.occupied & on_back & (r.depth_mm > self._surely_pressing_at_carriage())
        quiet = deep & (np.maximum(r.force_left_n, r.force_right_n) < SILENT_FORCE_N)
        self._silent_since = np.where(
            quiet, np.where(np.isnan(self._silent_since), now_s, self._silent_since), np.nan
        )
        silent_for = now_s - self._silent_since  # NaN where not quiet, and then not compared true
        self.log.edge(
            FORCE_SENSOR_SILENT,
            quiet & (silent_for >= SILENT_FORCE_S),
            now_s,
            lambda: np.nan_to_num(silent_for),
            SILENT_FORCE_S,
        )

    def apply(self, out: Commands, r: Readings, now_s: float) -> None:
        lim, log = self.limits, self.log
        force = np.maximum(r.force_left_n, r.force_right_n)
        comfort = self._cautious_at_carriage(self.force_grid)
        limit = np.minimum(comfort, lim.roller_force_hard_max_n)
        # By prediction: the force as it will be when a back-off ordered now takes effect.
        k = self._ring_at
        old_s = self._ring_times[k]
        old_force = self._force_ring[k].copy()
        self._force_ring[k] = force
        self._ring_times[k] = now_s
        self._ring_at = (k + 1) % FORCE_RATE_WINDOW_TICKS
        if self.predict and np.isfinite(old_s) and now_s > old_s:
            rise = np.maximum(force - old_force - FORCE_RISE_NOISE_N, 0.0) / (now_s - old_s)
            force = force + rise * FORCE_PREDICT_S
        over = force > limit
        if over.any():
            self._ceiling = np.where(
                over, np.maximum(r.depth_mm - FORCE_BACKOFF_MM, 0.0), self._ceiling
            )
        log.edge(ROLLER_FORCE, over, now_s, force, limit)
        hard = self.hard_depth_mm
        self._ceiling = np.where(
            over, self._ceiling, np.minimum(self._ceiling + CEILING_RECOVERY_MM_S * 0.01, hard)
        )
        at_target = self.comfortable_depth_at(out.carriage_y_target_mm)
        person = np.minimum(self._cautious_at_carriage(self.depth_grid), at_target)
        allowed = np.minimum(np.minimum(person, self._ceiling), hard)
        clamped = out.depth_target_mm > allowed + 0.5
        log.edge(ROLLER_DEPTH, clamped & ~over, now_s, out.depth_target_mm, allowed)
        # Pressing, the rollers go deeper only as fast as the force rule can always undo.
        pressing = np.maximum(r.force_left_n, r.force_right_n) > SILENT_FORCE_N
        growth = np.where(
            pressing,
            np.maximum(self._sent_depth, r.depth_mm) + DEPTH_GROWTH_IN_CONTACT_MM_S * 0.01,
            np.inf,
        )
        out.depth_target_mm = np.minimum(out.depth_target_mm, allowed)
        if self.predict:
            # ... and not at all while the carriage is still on its way to a press: a target that
            # stands still (a place to press, not a roll's moving target) far from the carriage.
            target = out.carriage_y_target_mm
            placed = np.abs(target - self._sent_y) < PRESS_TARGET_STILL_MM
            travelling = placed & (np.abs(target - r.carriage_y_mm) > PRESS_ARRIVAL_MM)
            light = np.maximum(self._sent_depth, PRESS_TRAVEL_DEPTH_FRACTION * person)
            growth = np.where(travelling, np.minimum(growth, light), growth)
            out.depth_target_mm = np.minimum(out.depth_target_mm, growth)
        # The depth motor is slower than the carriage: rollers still deeper than the place the
        # carriage is heading to may go hold it where it is until they are back in.
        step = np.minimum(
            np.maximum(out.carriage_y_target_mm - r.carriage_y_mm, -CARRIAGE_LOOKAHEAD_MM),
            CARRIAGE_LOOKAHEAD_MM,
        )
        ahead = np.minimum(at_target, self.comfortable_depth_at(r.carriage_y_mm + step))
        wait = r.depth_mm > ahead + CARRIAGE_WAIT_DEPTH_MM
        if wait.any():
            d = self.description
            out.carriage_y_target_mm = np.where(
                wait,
                np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
                out.carriage_y_target_mm,
            )


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
