"""The safety supervisor: every setpoint passes here before any driver sees it.

``SafetySupervisor.filter(setpoints, readings, now_s)`` returns the frame that may reach the chair:
the program's frame clamped to the person's and the chair's limits, with reactions applied (depth
backed off, heater off, valve vented, motor stopped), or the safe state for chairs whose stop or
fault is latched. Every intervention is recorded as a :class:`SafetyEvent` when it begins.

The rules and their reasons are listed in docs/SAFETY.md; every limit comes from
:mod:`openchair.safety.limits`. All work is vectorised over the batch.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import REGION_NAMES
from openchair.body.track import GRID_Y_MM, flat_index, grid_position, sample_cautious
from openchair.hardware.contract import BoardFault, ChairDescription, Commands, Readings
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Value = FloatArray | float | Callable[[], FloatArray | float]
"""What an event reports as the value seen: computed only when an event is recorded."""

ENCODER_MARGIN_MM = 5.0
"""A carriage reading may move at most 3 ticks' worth of full speed plus this between ticks."""
SILENT_FORCE_N = 0.5
SILENT_FORCE_S = 1.0
SILENT_CONTACT_MM = 5.0
"""Rollers whose shallowest point (kneading and tapping strokes included) is this far past the
depth at which the person's scan felt the back (with at least 2 N) always feel it: a force reading
that stays below SILENT_FORCE_N for SILENT_FORCE_S there means the force sensing is dead. The
5 mm cover the scan's 5 mm grid on the slope of the back."""
SILENT_DEPTH_FRACTION = 0.8
"""Without a contact depth (a map saved before it was kept), rollers at 80 % of the comfortable
depth count as pressing. Verification found this alone too eager: a region's comfortable depth
comes from its shallowest point, and at its deep end (the top of a strong lumbar hollow) rollers
at 80 % may not reach the back at all."""
FORCE_BACKOFF_MM = 10.0
"""How far the depth ceiling drops below the current depth when a force limit is crossed."""
CARRIAGE_WAIT_DEPTH_MM = 2.0
"""Rollers deeper than the comfortable depth where the carriage is heading, by more than this,
hold the carriage until they have retracted (found by verification: shiatsu moved on with the
rollers still out, into a shallower region)."""
CARRIAGE_LOOKAHEAD_MM = 15.0
"""How far ahead of the carriage the wait looks: past a full-speed stop (6 mm) and the time the
depth motor needs for a region step, so a region boundary is seen before it is crossed."""
CEILING_RECOVERY_MM_S = 2.0
"""How fast a backed-off depth ceiling rises again once forces are comfortable."""
HEATER_RISE_UNEXPLAINED_C = 1.5
HEATER_RISE_WINDOW_S = 20.0
HEATER_OFF_SETTLE_S = 30.0
"""A heater commanded off for this long that still warms by HEATER_RISE_UNEXPLAINED_C within
HEATER_RISE_WINDOW_S is heating by itself (relay stuck on)."""
HEATER_STUCK_CHANGE_C = 0.05
EVENT_HOLDOFF_S = 1.0
"""A rule acting again within this time of its last action continues the same event."""
AIR_VENT_PAUSE_S = 2.0
"""A valve that inflated too long is vented for this long before it may inflate again."""

# Rule names, stable strings used in events, records, docs and tests.
STOP_BUTTON = "stop_button"
REMOTE_STOP = "remote_stop"
BOARD_WATCHDOG = "board_watchdog"
DRIVER_LOST = "driver_lost"
CONTROL_DEADLINE = "control_deadline"
ROLLER_FORCE = "roller_force"
ROLLER_DEPTH = "roller_depth"
HEATER_CEILING = "heater_ceiling"
HEATER_TARGET = "heater_target"
HEATER_SENSOR = "heater_sensor"
HEATER_STUCK_SENSOR = "heater_sensor_stuck"
HEATER_RUNAWAY = "heater_runaway"
AIR_PRESSURE = "air_pressure"
AIR_VALVE_TIME = "air_valve_time"
SESSION_AUTO_OFF = "session_auto_off"
OCCUPANCY_PAUSE = "occupancy_pause"
OCCUPANCY_STOP = "occupancy_stop"
RECLINE_OBSTRUCTION = "recline_obstruction"
ENCODER_JUMP = "encoder_jump"
FORCE_SENSOR_SILENT = "force_sensor_silent"

LATCHING_RULES = frozenset(
    {
        STOP_BUTTON,
        REMOTE_STOP,
        BOARD_WATCHDOG,
        DRIVER_LOST,
        CONTROL_DEADLINE,
        HEATER_RUNAWAY,
        OCCUPANCY_STOP,
        ENCODER_JUMP,
        FORCE_SENSOR_SILENT,
    }
)
"""Rules whose reaction is the safe state, held until ``reset``."""
STOP_RULES = frozenset({STOP_BUTTON, REMOTE_STOP, OCCUPANCY_STOP})
"""Latched by a person's decision (or absence): the session ends as "stopped", not "fault"."""


@dataclass(frozen=True)
class SafetyEvent:
    """One intervention: when, which chair, which rule, what was seen, the limit, the reaction."""

    time_s: float
    chair: int
    rule: str
    value: float
    limit: float
    reaction: str

    def to_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 3),
            "chair": self.chair,
            "rule": self.rule,
            "value": round(self.value, 3),
            "limit": round(self.limit, 3),
            "reaction": self.reaction,
        }


class SafetySupervisor:
    """Filters every frame for N chairs. See the module docstring."""

    def __init__(
        self,
        description: ChairDescription,
        maps: BodyMapBatch,
        limits: SafetyLimits = DEFAULT_LIMITS,
        *,
        session_start_s: float = 0.0,
    ) -> None:
        self.description = description
        self.limits = limits
        self.events: list[SafetyEvent] = []
        n = maps.batch_size
        self.batch_size = n
        self._rows = np.arange(n)
        self._at_carriage: tuple[IntArray, IntArray] = (np.zeros(n, np.intp), np.ones(n, np.intp))
        """Flat indices of the grid points around the carriage reading of the frame being
        filtered, into any (N, G) grid of the supervisor seen as one row."""
        self.latched_rule: list[str | None] = [None] * n
        self._latched = np.zeros(n, dtype=bool)
        self._active: dict[str, BoolArray] = {}
        self._last_event_s: dict[str, FloatArray] = {}
        self._session_start_s = session_start_s
        self.set_maps(maps)
        self._ceiling = np.full(n, min(description.depth_max_mm, limits.roller_depth_hard_max_mm))
        self._unoccupied_since = np.full(n, np.nan)
        self.finish_requested = np.zeros(n, dtype=bool)
        self.occupancy_paused = np.zeros(n, dtype=bool)
        h, z = description.n_heaters, description.n_air_zones
        # Per-heater and per-zone state is column-major like the readings (the twin's and a
        # frame's copy): mixing layouts in one operation is several times slower.
        self._heater_disabled = np.zeros((n, h), dtype=bool, order="F")
        self._heater_off_since = np.full((n, h), session_start_s, order="F")
        self._heater_driven_since = np.full((n, h), np.nan, order="F")
        self._heater_last_change_temp = np.full((n, h), np.nan, order="F")
        self._temp_history: deque[tuple[float, FloatArray]] = deque()
        self._inflating_since = np.full((n, z), np.nan, order="F")
        self._vent_until = np.full((n, z), -np.inf, order="F")
        self._vent_until_latest_s = -np.inf
        """The latest end of any valve's vent pause: past it, no valve is pausing."""
        self._recline_locked = np.zeros(n, dtype=bool)
        self._recline_hold = np.zeros((n, 2))
        self._reverse_until = np.full(n, -np.inf)
        self._late_s = 0.0
        self._last_y = np.full(n, np.nan)
        self._last_read_s = np.nan
        self._silent_since = np.full(n, np.nan)

    # -- configuration and commands -------------------------------------------------------------

    def set_maps(self, maps: BodyMapBatch) -> None:
        """Use new body maps (after a scan or a shoulder nudge): limits follow the person."""
        if maps.batch_size != self.batch_size:
            raise ValueError(f"maps are for {maps.batch_size} chairs, not {self.batch_size}")
        self.maps = maps
        force_by_region = maps.comfort_force_n.copy()
        neck = REGION_NAMES.index("neck")
        force_by_region[:, neck] = np.minimum(
            force_by_region[:, neck], self.limits.neck_force_max_n
        )
        depth = maps.along_track(maps.comfortable_depth_mm)
        force = maps.along_track(force_by_region)
        # Above the neck region (the head) only neck-level force is ever allowed.
        above_neck = GRID_Y_MM[None, :] > maps.region_bounds_mm("neck")[1][:, None]
        force = np.where(above_neck, np.minimum(force, self.limits.neck_force_max_n), force)
        hard_depth = min(self.description.depth_max_mm, self.limits.roller_depth_hard_max_mm)
        self._depth_grid = np.minimum(depth, hard_depth)
        self._force_grid = np.minimum(force, self.limits.roller_force_hard_max_n)
        self._pressing_grid = pressing_depth_grid(maps, self._depth_grid, self.description)
        self._back_lo_mm = maps.region_bounds_mm("sacrum")[0]
        self._back_hi_mm = maps.landmark_y_mm("T1")

    def stop(self, chairs: Sequence[int] | None = None, now_s: float = 0.0) -> None:
        """Remote stop: the safe state from the next frame on, latched until ``reset``."""
        for i in self._chairs(chairs):
            self._latch(i, REMOTE_STOP, now_s, 1.0, 0.0)

    def reset(self, chairs: Sequence[int] | None = None) -> None:
        """Clear latched stops and faults (after the person or technician acknowledged them)."""
        for i in self._chairs(chairs):
            self.latched_rule[i] = None
            self._latched[i] = False
            self._unoccupied_since[i] = np.nan
            self.finish_requested[i] = False

    def begin_session(self, now_s: float) -> None:
        """A new activity starts on a long-lived supervisor: the session's auto-off counts from
        ``now_s`` and an earlier finish request is forgotten. Latched stops and faults stay."""
        self._session_start_s = now_s
        self.finish_requested[:] = False

    def note_tick_lateness(self, late_s: float) -> None:
        """The control loop reports how late this tick started; too late is a missed deadline."""
        self._late_s = late_s

    @property
    def latched(self) -> BoolArray:
        """Chairs held in the safe state until ``reset`` (a copy)."""
        return self._latched.copy()

    def comfort_force_at(self, y_mm: FloatArray) -> FloatArray:
        return sample_cautious(self._force_grid, y_mm)

    def comfortable_depth_at(self, y_mm: FloatArray) -> FloatArray:
        return sample_cautious(self._depth_grid, y_mm)

    def _cautious_at_carriage(self, grid: FloatArray) -> FloatArray:
        """``sample_cautious`` of an (N, G) grid at the carriage (one lookup serves all rules)."""
        flat, (i0, i1) = grid.reshape(-1), self._at_carriage
        return np.minimum(flat.take(i0), flat.take(i1))

    def _surely_pressing_at_carriage(self) -> FloatArray:
        """Roller depth past which the rollers must feel the back where the carriage is (the
        larger of the two grid values around it: this threshold must never be under-estimated)."""
        flat, (i0, i1) = self._pressing_grid.reshape(-1), self._at_carriage
        return np.maximum(flat.take(i0), flat.take(i1))

    # -- the filter -----------------------------------------------------------------------------

    def filter(self, setpoints: Commands, readings: Readings, now_s: float) -> Commands:
        """The frame that may reach the driver for this tick. Never mutates its inputs."""
        d = self.description
        if setpoints.batch_size != self.batch_size or readings.batch_size != self.batch_size:
            raise ValueError("setpoints, readings and supervisor must have the same batch size")
        # clamp_to_chair gives every field a new array, so a shallow copy keeps the input intact.
        out = dataclasses.replace(setpoints)
        clamp_to_chair(out, self.description)
        at = flat_index(self._depth_grid, grid_position(readings.carriage_y_mm)[0])
        self._at_carriage = (at, at + 1)
        self._check_latching(readings, now_s)
        self._sensors(readings, now_s)
        self._occupancy(readings, now_s)
        self._auto_off(now_s)
        self._depth_and_force(out, readings, now_s)
        self._heat(out, readings, now_s)
        self._air(out, readings, now_s)
        self._recline(out, readings, now_s)
        # Paused for occupancy: hold still with rollers off the body until the person is back.
        hold = self.occupancy_paused
        if hold.any():
            self._apply_hold(out, readings, hold)
        latched = self._latched
        if latched.any():
            safe = Commands.safe(
                d,
                self.batch_size,
                np.clip(readings.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
                np.clip(
                    readings.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg
                ),
                np.clip(
                    readings.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg
                ),
            )
            _assign(out, safe, latched)
        return out

    # -- rules ----------------------------------------------------------------------------------

    def _check_latching(self, r: Readings, now_s: float) -> None:
        lim = self.limits
        self._edge(STOP_BUTTON, r.stop_button, now_s, 1.0, 0.0, "safe state, latched")
        watchdog = (r.fault_flags & int(BoardFault.WATCHDOG)) != 0
        self._edge(BOARD_WATCHDOG, watchdog, now_s, 1.0, 0.0, "safe state, latched")
        stale = now_s - r.time_s
        self._edge(
            DRIVER_LOST,
            np.full(self.batch_size, stale > lim.driver_silent_s),
            now_s,
            stale,
            lim.driver_silent_s,
            "safe state, latched",
        )
        self._edge(
            CONTROL_DEADLINE,
            np.full(self.batch_size, self._late_s > lim.control_deadline_miss_s),
            now_s,
            self._late_s,
            lim.control_deadline_miss_s,
            "safe state, latched",
        )

    def _sensors(self, r: Readings, now_s: float) -> None:
        """Readings that cannot be true mean a broken sensor: the chair cannot be driven safely."""
        d = self.description
        dt = now_s - self._last_read_s if np.isfinite(self._last_read_s) else 0.0
        if dt > 0:
            possible = d.carriage_speed_max_mm_s * dt * 3 + ENCODER_MARGIN_MM
            jump = np.abs(r.carriage_y_mm - self._last_y)
            self._edge(
                ENCODER_JUMP,
                jump > possible,  # a reading that is not a number is no jump (NaN > x is False)
                now_s,
                lambda: np.nan_to_num(jump),
                possible,
                "safe state, latched",
            )
        self._last_y = r.carriage_y_mm.copy()
        self._last_read_s = now_s
        # Only on the back itself (sacrum to T1): above it the neck and head may stand far off
        # the backrest, and a roller there can be deep and touch nothing.
        on_back = (r.carriage_y_mm >= self._back_lo_mm) & (r.carriage_y_mm <= self._back_hi_mm)
        deep = r.occupied & on_back & (r.depth_mm > self._surely_pressing_at_carriage())
        quiet = deep & (np.maximum(r.force_left_n, r.force_right_n) < SILENT_FORCE_N)
        self._silent_since = np.where(
            quiet, np.where(np.isnan(self._silent_since), now_s, self._silent_since), np.nan
        )
        silent_for = now_s - self._silent_since  # NaN where not quiet, and then not compared true
        self._edge(
            FORCE_SENSOR_SILENT,
            quiet & (silent_for >= SILENT_FORCE_S),
            now_s,
            lambda: np.nan_to_num(silent_for),
            SILENT_FORCE_S,
            "safe state, latched",
        )

    def _occupancy(self, r: Readings, now_s: float) -> None:
        lim = self.limits
        empty = ~r.occupied
        newly = empty & np.isnan(self._unoccupied_since)
        self._unoccupied_since[newly] = now_s
        self._unoccupied_since[~empty] = np.nan
        away = np.where(empty, now_s - self._unoccupied_since, 0.0)
        self._edge(
            OCCUPANCY_PAUSE, empty, now_s, away, lim.unoccupied_pause_s, "pause", latch=False
        )
        self.occupancy_paused = empty & ~self._latched
        self._edge(
            OCCUPANCY_STOP,
            empty & (away >= lim.unoccupied_stop_s),
            now_s,
            away,
            lim.unoccupied_stop_s,
            "stop, latched",
        )

    def _auto_off(self, now_s: float) -> None:
        running = now_s - self._session_start_s
        over = np.full(self.batch_size, running >= self.limits.session_auto_off_s)
        self._edge(
            SESSION_AUTO_OFF,
            over,
            now_s,
            running,
            self.limits.session_auto_off_s,
            "finish",
            latch=False,
        )
        self.finish_requested |= over

    def _depth_and_force(self, out: Commands, r: Readings, now_s: float) -> None:
        lim = self.limits
        force = np.maximum(r.force_left_n, r.force_right_n)
        comfort = self._cautious_at_carriage(self._force_grid)
        limit = np.minimum(comfort, lim.roller_force_hard_max_n)
        over = force > limit
        if over.any():
            self._ceiling = np.where(
                over, np.maximum(r.depth_mm - FORCE_BACKOFF_MM, 0.0), self._ceiling
            )
        self._edge(ROLLER_FORCE, over, now_s, force, limit, "depth backed off")
        hard = min(self.description.depth_max_mm, lim.roller_depth_hard_max_mm)
        self._ceiling = np.where(
            over, self._ceiling, np.minimum(self._ceiling + CEILING_RECOVERY_MM_S * 0.01, hard)
        )
        at_target = self.comfortable_depth_at(out.carriage_y_target_mm)
        person = np.minimum(self._cautious_at_carriage(self._depth_grid), at_target)
        allowed = np.minimum(np.minimum(person, self._ceiling), hard)
        clamped = out.depth_target_mm > allowed + 0.5
        self._edge(
            ROLLER_DEPTH, clamped & ~over, now_s, out.depth_target_mm, allowed, "depth clamped"
        )
        out.depth_target_mm = np.minimum(out.depth_target_mm, allowed)
        # The depth motor is slower than the carriage: rollers still deeper than the place the
        # carriage is heading to may go hold it where it is until they are back in.
        step = np.minimum(
            np.maximum(out.carriage_y_target_mm - r.carriage_y_mm, -CARRIAGE_LOOKAHEAD_MM),
            CARRIAGE_LOOKAHEAD_MM,
        )
        ahead = np.minimum(at_target, self.comfortable_depth_at(r.carriage_y_mm + step))
        wait = r.depth_mm > ahead + CARRIAGE_WAIT_DEPTH_MM
        if wait.any():
            out.carriage_y_target_mm = np.where(
                wait,
                np.clip(
                    r.carriage_y_mm,
                    self.description.carriage_y_min_mm,
                    self.description.carriage_y_max_mm,
                ),
                out.carriage_y_target_mm,
            )

    def _heat(self, out: Commands, r: Readings, now_s: float) -> None:
        lim = self.limits
        temps = r.heater_temp_c
        wanted = out.heater_target_c
        self._edge(
            HEATER_TARGET,
            (wanted > lim.heater_target_max_c).any(axis=1),
            now_s,
            lambda: wanted.max(axis=1),
            lim.heater_target_max_c,
            "target capped",
            latch=False,
        )
        target = np.minimum(wanted, lim.heater_target_max_c)
        implausible = (temps < lim.heater_sensor_min_plausible_c) | (
            temps > lim.heater_sensor_max_plausible_c
        )
        implausible_chair = implausible.any(axis=1)
        self._edge(
            HEATER_SENSOR,
            implausible_chair,
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_max_plausible_c,
            "heater off for the session",
            latch=False,
        )
        if implausible_chair.any():
            self._heater_disabled |= implausible
            self._heater_driven_since[implausible] = np.nan
        # Stuck sensor: driven well below target, and the reading does not move.
        driven = (target > 0) & (temps < target - 2.0) & ~self._heater_disabled
        start = driven & np.isnan(self._heater_driven_since)
        np.copyto(self._heater_driven_since, now_s, where=start)
        np.copyto(self._heater_last_change_temp, temps, where=start)
        moved = driven & (np.abs(temps - self._heater_last_change_temp) > HEATER_STUCK_CHANGE_C)
        np.copyto(self._heater_driven_since, now_s, where=moved)
        np.copyto(self._heater_last_change_temp, temps, where=moved)
        np.copyto(self._heater_driven_since, np.nan, where=~driven)
        stuck = driven & ((now_s - self._heater_driven_since) >= lim.heater_sensor_stuck_s)
        stuck_chair = stuck.any(axis=1)
        self._edge(
            HEATER_STUCK_SENSOR,
            stuck_chair,
            now_s,
            lambda: _extreme(temps),
            lim.heater_sensor_stuck_s,
            "heater off for the session",
            latch=False,
        )
        if stuck_chair.any():
            self._heater_disabled |= stuck
        # Over the ceiling: off now (not latched: it may cool and resume).
        hot = temps >= lim.heater_surface_max_c
        self._edge(
            HEATER_CEILING,
            hot.any(axis=1),
            now_s,
            lambda: temps.max(axis=1),
            lim.heater_surface_max_c,
            "heater off",
            latch=False,
        )
        target = np.where(hot | self._heater_disabled, 0.0, target)
        # A rise the heater cannot explain: off for a while, yet warming.
        off = target <= 0
        self._heater_off_since = np.where(off, self._heater_off_since, np.nan)
        self._heater_off_since = np.where(
            off & np.isnan(self._heater_off_since), now_s, self._heater_off_since
        )
        # Once a second is enough to see a slow thermal rise.
        if not self._temp_history or now_s - self._temp_history[-1][0] >= 1.0:
            self._temp_history.append((now_s, temps.copy()))
        while self._temp_history[0][0] < now_s - HEATER_RISE_WINDOW_S - 1.0:
            self._temp_history.popleft()
        old_t, old_temps = self._temp_history[0]
        if now_s - old_t >= HEATER_RISE_WINDOW_S - 0.5:
            settled = off & ((now_s - self._heater_off_since) >= HEATER_OFF_SETTLE_S)
            rising = settled & ~implausible & (temps - old_temps > HEATER_RISE_UNEXPLAINED_C)
            self._edge(
                HEATER_RUNAWAY,
                rising.any(axis=1),
                now_s,
                lambda: (temps - old_temps).max(axis=1),
                HEATER_RISE_UNEXPLAINED_C,
                "safe state, latched",
            )
        out.heater_target_c = target

    def _air(self, out: Commands, r: Readings, now_s: float) -> None:
        lim = self.limits
        target = np.minimum(out.air_pressure_target_kpa, lim.air_pressure_max_kpa)
        over = r.air_pressure_kpa > lim.air_pressure_max_kpa
        over_chair = over.any(axis=1)
        self._edge(
            AIR_PRESSURE,
            over_chair,
            now_s,
            lambda: r.air_pressure_kpa.max(axis=1),
            lim.air_pressure_max_kpa,
            "vent",
            latch=False,
        )
        inflating = target > r.air_pressure_kpa + 0.5
        self._inflating_since = np.where(
            inflating,
            np.where(np.isnan(self._inflating_since), now_s, self._inflating_since),
            np.nan,
        )
        too_long = inflating & ((now_s - self._inflating_since) > lim.air_valve_inflate_max_s)
        too_long_chair = too_long.any(axis=1)
        self._edge(
            AIR_VALVE_TIME,
            too_long_chair,
            now_s,
            lambda: np.nan_to_num(now_s - self._inflating_since).max(axis=1),
            lim.air_valve_inflate_max_s,
            "vent",
            latch=False,
        )
        if too_long_chair.any():
            self._vent_until = np.where(too_long, now_s + AIR_VENT_PAUSE_S, self._vent_until)
            self._vent_until_latest_s = float(self._vent_until.max())
        if not over_chair.any() and now_s >= self._vent_until_latest_s:
            # Nothing over pressure and no valve in its vent pause: the common case, cheaply.
            out.air_pressure_target_kpa = target
            return
        venting = over | (now_s < self._vent_until)
        self._inflating_since[venting] = np.nan
        out.air_pressure_target_kpa = np.where(venting, 0.0, target)

    def _recline(self, out: Commands, r: Readings, now_s: float) -> None:
        lim, d = self.limits, self.description
        spike = (r.backrest_current_a > lim.recline_current_spike_a) | (
            r.legrest_current_a > lim.recline_current_spike_a
        )
        new = spike & ~self._recline_locked
        if new.any():
            # Stop, and back off briefly the way the motor came.
            back_dir = np.sign(out.backrest_angle_target_deg - r.backrest_angle_deg)
            leg_dir = np.sign(out.legrest_angle_target_deg - r.legrest_angle_deg)
            self._recline_hold[new, 0] = np.clip(
                r.backrest_angle_deg - 2.0 * back_dir,
                d.backrest_angle_min_deg,
                d.backrest_angle_max_deg,
            )[new]
            self._recline_hold[new, 1] = np.clip(
                r.legrest_angle_deg - 2.0 * leg_dir,
                d.legrest_angle_min_deg,
                d.legrest_angle_max_deg,
            )[new]
            self._reverse_until[new] = now_s + lim.recline_reverse_s
            self._recline_locked |= new
        self._edge(
            RECLINE_OBSTRUCTION,
            spike,
            now_s,
            np.maximum(r.backrest_current_a, r.legrest_current_a),
            lim.recline_current_spike_a,
            "stop, reverse briefly",
            latch=False,
        )
        locked = self._recline_locked
        if locked.any():
            reversing = now_s < self._reverse_until
            hold_b = np.where(reversing, self._recline_hold[:, 0], r.backrest_angle_deg)
            hold_l = np.where(reversing, self._recline_hold[:, 1], r.legrest_angle_deg)
            # After the brief reverse the recline stays where it is for the rest of the session.
            self._recline_hold[:, 0] = np.where(reversing, self._recline_hold[:, 0], hold_b)
            self._recline_hold[:, 1] = np.where(reversing, self._recline_hold[:, 1], hold_l)
            out.backrest_angle_target_deg = np.where(
                locked,
                np.clip(hold_b, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
                out.backrest_angle_target_deg,
            )
            out.legrest_angle_target_deg = np.where(
                locked,
                np.clip(hold_l, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
                out.legrest_angle_target_deg,
            )

    # -- helpers --------------------------------------------------------------------------------

    def _apply_hold(self, out: Commands, r: Readings, mask: BoolArray) -> None:
        d = self.description
        out.carriage_y_target_mm = np.where(
            mask,
            np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
            out.carriage_y_target_mm,
        )
        out.carriage_speed_limit_mm_s = np.where(mask, 0.0, out.carriage_speed_limit_mm_s)
        out.depth_target_mm = np.where(mask, 0.0, out.depth_target_mm)
        out.knead_speed_cpm = np.where(mask, 0.0, out.knead_speed_cpm)
        out.tap_rate_hz = np.where(mask, 0.0, out.tap_rate_hz)
        out.air_pressure_target_kpa = np.where(mask[:, None], 0.0, out.air_pressure_target_kpa)
        out.heater_target_c = np.where(mask[:, None], 0.0, out.heater_target_c)
        out.foot_roller_level = np.where(mask, 0, out.foot_roller_level)

    def _chairs(self, chairs: Sequence[int] | None) -> list[int]:
        if chairs is None:
            return list(range(self.batch_size))
        bad = [c for c in chairs if not 0 <= c < self.batch_size]
        if bad:
            raise ValueError(f"chairs {bad} outside 0..{self.batch_size - 1}")
        return list(chairs)

    def _latch(self, chair: int, rule: str, now_s: float, value: float, limit: float) -> None:
        if self.latched_rule[chair] is None:
            self.latched_rule[chair] = rule
            self._latched[chair] = True
            self.events.append(SafetyEvent(now_s, chair, rule, value, limit, "safe state, latched"))

    def _edge(
        self,
        rule: str,
        active_any: BoolArray | np.bool_,
        now_s: float,
        value: Value,
        limit: FloatArray | float,
        reaction: str,
        *,
        latch: bool = True,
    ) -> None:
        """Record an event for each chair where ``rule`` has just become active; latch if asked.

        ``value`` may be a function: what was seen is then only worked out when an event is
        recorded, which is rare, instead of on every tick."""
        active = np.asarray(active_any, dtype=bool)
        if active.shape != (self.batch_size,):
            active = np.broadcast_to(active, (self.batch_size,))
        previous = self._active.get(rule)
        self._active[rule] = active
        if not active.any():
            return
        new = active if previous is None else active & ~previous
        # A rule that flickers (a clamp at a region boundary) is one intervention, not hundreds:
        # a new event only after EVENT_HOLDOFF_S without that rule acting on that chair. Every
        # acting tick counts, whatever the other chairs of the batch do.
        last = self._last_event_s.setdefault(rule, np.full(self.batch_size, -np.inf))
        quiet = (now_s - last) >= EVENT_HOLDOFF_S
        last[active] = now_s
        if not new.any():
            return
        if latch and rule in LATCHING_RULES:
            quiet = np.ones(self.batch_size, dtype=bool)
        new = new & quiet
        if not new.any():
            return
        if callable(value):
            value = value()
        values = np.broadcast_to(np.asarray(value, dtype=np.float64), (self.batch_size,))
        limits = np.broadcast_to(np.asarray(limit, dtype=np.float64), (self.batch_size,))
        for i in np.flatnonzero(new):
            chair = int(i)
            if latch and rule in LATCHING_RULES:
                if self.latched_rule[chair] is None:
                    self.latched_rule[chair] = rule
                    self._latched[chair] = True
                    self.events.append(
                        SafetyEvent(
                            now_s, chair, rule, float(values[chair]), float(limits[chair]), reaction
                        )
                    )
                continue
            self.events.append(
                SafetyEvent(
                    now_s, chair, rule, float(values[chair]), float(limits[chair]), reaction
                )
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


def _assign(out: Commands, src: Commands, mask: BoolArray) -> None:
    for name in out.__dataclass_fields__:
        target = getattr(out, name)
        source = getattr(src, name)
        m = mask if target.ndim == 1 else mask[:, None]
        setattr(out, name, np.where(m, source, target).astype(target.dtype))


def _extreme(temps: FloatArray) -> FloatArray:
    """Per chair, the reading furthest from room temperature (what an alarm should show)."""
    far = np.abs(temps - 22.0)
    return np.asarray(temps[np.arange(temps.shape[0]), far.argmax(axis=1)], dtype=np.float64)


def _within(values: FloatArray, lo: float, hi: float) -> FloatArray:
    """Clip into [lo, hi]; a value that is not a number becomes ``lo``, the safe end of every
    range a frame holds (carriage at its end stop, motors at rest, heat and air off, recline at
    its least). ``fmax`` and ``fmin`` skip NaN, so this is two passes without a check first."""
    return np.fmin(np.fmax(values, lo), hi)


def clamp_to_chair(out: Commands, d: ChairDescription) -> None:
    """Whatever a program asks, nothing outside the chair's ranges reaches the driver.

    A value that is not a number becomes the safe end of its range.
    """
    out.carriage_y_target_mm = _within(
        out.carriage_y_target_mm, d.carriage_y_min_mm, d.carriage_y_max_mm
    )
    out.carriage_speed_limit_mm_s = _within(
        out.carriage_speed_limit_mm_s, 0.0, d.carriage_speed_max_mm_s
    )
    out.depth_target_mm = _within(out.depth_target_mm, 0.0, d.depth_max_mm)
    out.width_target_mm = _within(out.width_target_mm, d.width_min_mm, d.width_max_mm)
    out.knead_speed_cpm = _within(out.knead_speed_cpm, 0.0, d.knead_speed_max_cpm)
    out.knead_direction = np.where(out.knead_direction < 0, -1, 1).astype(np.int64)
    out.tap_rate_hz = _within(out.tap_rate_hz, 0.0, d.tap_rate_max_hz)
    out.tap_mode = np.minimum(np.maximum(out.tap_mode, 0), 1)
    out.air_pressure_target_kpa = _within(out.air_pressure_target_kpa, 0.0, d.air_pressure_max_kpa)
    out.heater_target_c = _within(out.heater_target_c, 0.0, d.heater_target_max_c)
    out.backrest_angle_target_deg = _within(
        out.backrest_angle_target_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg
    )
    out.legrest_angle_target_deg = _within(
        out.legrest_angle_target_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg
    )
    out.foot_roller_level = np.minimum(np.maximum(out.foot_roller_level, 0), d.foot_roller_levels)
