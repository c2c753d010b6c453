"""The safety supervisor: every setpoint passes here before any driver sees it.

``SafetySupervisor.filter(setpoints, readings, now_s)`` returns the frame that may reach the chair:
the program's frame clamped to the person's and the chair's limits, with reactions applied (depth
backed off, heater off, valve vented, motor stopped), or the safe state for chairs whose stop or
fault is latched. Every intervention is recorded as a :class:`SafetyEvent` when it begins.

The rules are a table (:mod:`openchair.safety.rules`); each family of rules is a class owning its
own state (``readings``, ``board``, ``force``, ``heat``, ``air``, ``recline``, ``presence``); the
supervisor only runs them in order. The first, ``readings``, latches a chair whose readings hold
a value that is not a finite number and hands the others a screened copy, so no rule ever judges
(or fails on) a NaN. Every limit and tuning constant comes from
:mod:`openchair.safety.limits`. All work is batched: the heat, force and air families and the
clamp to the chair's ranges are compiled kernels (one loop over the chairs, each chair's numbers
read once), the rest numpy over the batch. docs/SAFETY.md lists the rules and their reasons.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.compiled import kernel
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.safety.air import AirRules
from openchair.safety.board import BoardRules
from openchair.safety.events import EventLog, SafetyEvent
from openchair.safety.force import ForceRules, pressing_depth_grid
from openchair.safety.heat import HeatRules
from openchair.safety.limits import (
    AIR_VENT_PAUSE_S,
    CARRIAGE_LOOKAHEAD_MM,
    CARRIAGE_WAIT_DEPTH_MM,
    CEILING_RECOVERY_MM_S,
    DEFAULT_LIMITS,
    DEPTH_RUNAWAY_MARGIN_MM,
    ENCODER_MARGIN_MM,
    EVENT_HOLDOFF_S,
    FORCE_BACKOFF_MM,
    HEATER_CURRENT_OFF_S,
    HEATER_OFF_SETTLE_S,
    HEATER_RESPONSE_S,
    HEATER_RISE_UNEXPLAINED_C,
    HEATER_RISE_WINDOW_S,
    HEATER_SENSOR_FROZEN_S,
    HEATER_STUCK_CHANGE_C,
    SILENT_CONTACT_MM,
    SILENT_DEPTH_FRACTION,
    SILENT_FORCE_N,
    SILENT_FORCE_S,
    SUPPLY_CUT_RETRACTED_MM,
    SafetyLimits,
)
from openchair.safety.presence import PresenceRules
from openchair.safety.readings import ReadingRules
from openchair.safety.recline import ReclineRules
from openchair.safety.rules import (
    AIR_PRESSURE,
    AIR_VALVE_TIME,
    BOARD_WATCHDOG,
    CONTROL_DEADLINE,
    DRIVER_LOST,
    ENCODER_JUMP,
    FORCE_SENSOR_SILENT,
    HEATER_CEILING,
    HEATER_NO_CURRENT,
    HEATER_RELAY_STUCK,
    HEATER_RUNAWAY,
    HEATER_SENSOR,
    HEATER_SENSOR_FROZEN,
    HEATER_STUCK_SENSOR,
    HEATER_TARGET,
    HEATER_UNRESPONSIVE,
    HEATER_UNSUPERVISED,
    LATCHING_RULES,
    OCCUPANCY_PAUSE,
    OCCUPANCY_STOP,
    READING_NOT_FINITE,
    RECLINE_OBSTRUCTION,
    REMOTE_STOP,
    ROLLER_DEPTH,
    ROLLER_DEPTH_RUNAWAY,
    ROLLER_FORCE,
    RULES,
    SESSION_AUTO_OFF,
    STOP_BUTTON,
    STOP_RULES,
    SUPPLY_CUT_GRACE_S,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "AIR_PRESSURE",
    "AIR_VALVE_TIME",
    "AIR_VENT_PAUSE_S",
    "BOARD_WATCHDOG",
    "CARRIAGE_LOOKAHEAD_MM",
    "CARRIAGE_WAIT_DEPTH_MM",
    "CEILING_RECOVERY_MM_S",
    "CONTROL_DEADLINE",
    "DEPTH_RUNAWAY_MARGIN_MM",
    "DRIVER_LOST",
    "ENCODER_JUMP",
    "ENCODER_MARGIN_MM",
    "EVENT_HOLDOFF_S",
    "FORCE_BACKOFF_MM",
    "FORCE_SENSOR_SILENT",
    "HEATER_CEILING",
    "HEATER_CURRENT_OFF_S",
    "HEATER_NO_CURRENT",
    "HEATER_OFF_SETTLE_S",
    "HEATER_RELAY_STUCK",
    "HEATER_RESPONSE_S",
    "HEATER_RISE_UNEXPLAINED_C",
    "HEATER_RISE_WINDOW_S",
    "HEATER_RUNAWAY",
    "HEATER_SENSOR",
    "HEATER_SENSOR_FROZEN",
    "HEATER_SENSOR_FROZEN_S",
    "HEATER_STUCK_CHANGE_C",
    "HEATER_STUCK_SENSOR",
    "HEATER_TARGET",
    "HEATER_UNRESPONSIVE",
    "HEATER_UNSUPERVISED",
    "LATCHING_RULES",
    "OCCUPANCY_PAUSE",
    "OCCUPANCY_STOP",
    "READING_NOT_FINITE",
    "RECLINE_OBSTRUCTION",
    "REMOTE_STOP",
    "ROLLER_DEPTH",
    "ROLLER_DEPTH_RUNAWAY",
    "ROLLER_FORCE",
    "RULES",
    "SESSION_AUTO_OFF",
    "SILENT_CONTACT_MM",
    "SILENT_DEPTH_FRACTION",
    "SILENT_FORCE_N",
    "SILENT_FORCE_S",
    "STOP_BUTTON",
    "STOP_RULES",
    "SUPPLY_CUT_GRACE_S",
    "SafetyEvent",
    "SafetySupervisor",
    "clamp_to_chair",
    "pressing_depth_grid",
]


class SafetySupervisor:
    """Filters every frame for N chairs. See the module docstring."""

    def __init__(
        self,
        description: ChairDescription,
        maps: BodyMapBatch,
        limits: SafetyLimits = DEFAULT_LIMITS,
        *,
        session_start_s: float = 0.0,
        predict_force: bool = True,
    ) -> None:
        """``predict_force``: back off before a rising force gets past the limit and let the
        rollers deepen only as fast as that can be undone (False for the scan's light contact)."""
        self.description = description
        self.limits = limits
        n = maps.batch_size
        self.batch_size = n
        self.maps = maps
        self._log = EventLog(n)
        self._readings = ReadingRules(description, self._log)
        self._board = BoardRules(description, limits, self._log)
        self._force = ForceRules(description, limits, self._log, maps, predict=predict_force)
        self._presence = PresenceRules(limits, self._log, session_start_s)
        self._heat = HeatRules(description, limits, self._log, session_start_s)
        self._air = AirRules(description, limits, self._log)
        self._recline = ReclineRules(description, limits, self._log)
        self._supply_cut: BoolArray = np.zeros(n, dtype=bool)

    # -- what callers read ----------------------------------------------------------------------

    @property
    def events(self) -> list[SafetyEvent]:
        """Every intervention so far, in order (the supervisor's own list)."""
        return self._log.events

    @property
    def latched_rule(self) -> list[str | None]:
        """Per chair, the rule that latched it, or None."""
        return self._log.latched_rule

    @property
    def latched(self) -> BoolArray:
        """Chairs held in the safe state until ``reset`` (a copy)."""
        return self._log.latched.copy()

    @property
    def finish_requested(self) -> BoolArray:
        """Chairs whose session must finish (auto-off)."""
        return self._presence.finish_requested

    @property
    def occupancy_paused(self) -> BoolArray:
        """Chairs paused because nobody is seated."""
        return self._presence.paused

    # -- configuration and commands -------------------------------------------------------------

    def set_maps(self, maps: BodyMapBatch) -> None:
        """Use new body maps (after a scan or a shoulder nudge): limits follow the person."""
        if maps.batch_size != self.batch_size:
            raise ValueError(f"maps are for {maps.batch_size} chairs, not {self.batch_size}")
        self.maps = maps
        self._force.set_maps(maps)

    def stop(self, chairs: Sequence[int] | None = None, now_s: float = 0.0) -> None:
        """Remote stop: the safe state from the next frame on, latched until ``reset``."""
        for i in self._chairs(chairs):
            self._log.latch(i, REMOTE_STOP, now_s, 1.0, 0.0)

    def reset(self, chairs: Sequence[int] | None = None) -> None:
        """Clear latched stops and faults (after the person or technician acknowledged them)."""
        for i in self._chairs(chairs):
            self._log.unlatch(i)
            self._presence.reset(i)
            self._supply_cut[i] = False

    def begin_session(self, now_s: float) -> None:
        """A new activity starts on a long-lived supervisor: the session's auto-off counts from
        ``now_s`` and an earlier finish request is forgotten. Latched stops and faults stay."""
        self._presence.session_start_s = now_s
        self.finish_requested[:] = False

    def note_tick_lateness(self, late_s: float) -> None:
        """The control loop reports how late this tick started; too late is a missed deadline."""
        self._board.late_s = late_s

    def comfort_force_at(self, y_mm: FloatArray) -> FloatArray:
        return self._force.comfort_force_at(y_mm)

    def comfortable_depth_at(self, y_mm: FloatArray) -> FloatArray:
        return self._force.comfortable_depth_at(y_mm)

    # -- the filter -----------------------------------------------------------------------------

    def filter(self, setpoints: Commands, readings: Readings, now_s: float) -> Commands:
        """The frame that may reach the driver for this tick. Never mutates its inputs."""
        if setpoints.batch_size != self.batch_size or readings.batch_size != self.batch_size:
            raise ValueError("setpoints, readings and supervisor must have the same batch size")
        # clamp_to_chair gives every field a new array, so a shallow copy keeps the input intact.
        out = dataclasses.replace(setpoints)
        clamp_to_chair(out, self.description)
        # Readings that are not numbers latch their chair; the rules below read a screened copy.
        r = self._readings.screen(readings, now_s)
        self._board.check(r, now_s)
        self._board.encoder(r, now_s)
        self._force.watch(r, now_s)
        self._presence.occupancy(r, now_s)
        self._presence.auto_off(now_s)
        self._force.apply(out, r, now_s)
        self._heat.apply(out, r, now_s)
        self._air.apply(out, r, now_s)
        self._recline.apply(out, r, now_s)
        # Paused for occupancy: hold still with rollers off the body until the person is back.
        hold = self._presence.paused
        if hold.any():
            _apply_hold(out, r, hold, self.description)
        log = self._log
        latched = log.latched
        if latched.any():
            out.overlay(Commands.safe_holding(self.description, r), latched)
            # An actuator that may not obey the safe state loses its power: at once, or once
            # the rollers are in (so they are not left pressing), within the rule's time.
            wait = np.where(r.depth_mm < SUPPLY_CUT_RETRACTED_MM, 0.0, log.supply_cut_s)
            cut = np.isfinite(log.supply_cut_s) & (now_s - log.latched_at_s >= wait)
            self._supply_cut |= latched & cut
        if self._supply_cut.any() and self.description.supply_relay:
            out.supply_off = self._supply_cut.copy()
        self._force.sent(out)
        self._heat.sent(out.heater_target_c)
        return out

    def _chairs(self, chairs: Sequence[int] | None) -> list[int]:
        if chairs is None:
            return list(range(self.batch_size))
        bad = [c for c in chairs if not 0 <= c < self.batch_size]
        if bad:
            raise ValueError(f"chairs {bad} outside 0..{self.batch_size - 1}")
        return list(chairs)


def _apply_hold(out: Commands, r: Readings, mask: BoolArray, d: ChairDescription) -> None:
    """Hold still with the rollers off the body; warmth and air off too."""
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


def clamp_to_chair(out: Commands, d: ChairDescription) -> None:
    """Whatever a program asks, nothing outside the chair's ranges reaches the driver.

    A value that is not a number becomes the safe end of its range (``lo``): carriage at its
    end stop, motors at rest, heat and air off, recline at its least. Every field gets a new
    array, filled by one kernel call that reads each chair's numbers once.
    """
    n = out.batch_size
    f8 = np.float64  # as numpy's clip gives for any number type
    fields = (
        np.empty_like(out.carriage_y_target_mm, dtype=f8),
        np.empty_like(out.carriage_speed_limit_mm_s, dtype=f8),
        np.empty_like(out.depth_target_mm, dtype=f8),
        np.empty_like(out.width_target_mm, dtype=f8),
        np.empty_like(out.knead_speed_cpm, dtype=f8),
        np.empty(n, dtype=np.int64),
        np.empty_like(out.tap_rate_hz, dtype=f8),
        np.empty_like(out.tap_mode),
        np.empty_like(out.air_pressure_target_kpa, dtype=f8),
        np.empty_like(out.heater_target_c, dtype=f8),
        np.empty_like(out.backrest_angle_target_deg, dtype=f8),
        np.empty_like(out.legrest_angle_target_deg, dtype=f8),
        np.empty_like(out.foot_roller_level),
    )
    _clamp(
        out.carriage_y_target_mm,
        out.carriage_speed_limit_mm_s,
        out.depth_target_mm,
        out.width_target_mm,
        out.knead_speed_cpm,
        out.knead_direction,
        out.tap_rate_hz,
        out.tap_mode,
        out.air_pressure_target_kpa,
        out.heater_target_c,
        out.backrest_angle_target_deg,
        out.legrest_angle_target_deg,
        out.foot_roller_level,
        _chair_ranges(d),
        *fields,
    )
    (
        out.carriage_y_target_mm,
        out.carriage_speed_limit_mm_s,
        out.depth_target_mm,
        out.width_target_mm,
        out.knead_speed_cpm,
        out.knead_direction,
        out.tap_rate_hz,
        out.tap_mode,
        out.air_pressure_target_kpa,
        out.heater_target_c,
        out.backrest_angle_target_deg,
        out.legrest_angle_target_deg,
        out.foot_roller_level,
    ) = fields


@functools.cache
def _chair_ranges(d: ChairDescription) -> FloatArray:
    """The chair's ranges in the order ``_clamp`` reads them (built once per chair)."""
    ranges = np.array(
        [
            d.carriage_y_min_mm,
            d.carriage_y_max_mm,
            d.carriage_speed_max_mm_s,
            d.depth_max_mm,
            d.width_min_mm,
            d.width_max_mm,
            d.knead_speed_max_cpm,
            d.tap_rate_max_hz,
            d.air_pressure_max_kpa,
            d.heater_target_max_c,
            d.backrest_angle_min_deg,
            d.backrest_angle_max_deg,
            d.legrest_angle_min_deg,
            d.legrest_angle_max_deg,
            d.foot_roller_levels,
        ],
        dtype=np.float64,
    )
    ranges.flags.writeable = False
    return ranges


@kernel
def _within(value: float, lo: float, hi: float) -> float:
    """``value`` clipped into [lo, hi]; a value that is not a number becomes ``lo``."""
    above = value if value > lo else lo
    return above if above < hi else hi


@kernel
def _clamp(
    y: FloatArray,
    speed: FloatArray,
    depth: FloatArray,
    width: FloatArray,
    knead: FloatArray,
    knead_direction: IntArray,
    tap: FloatArray,
    tap_mode: IntArray,
    air: FloatArray,
    heat: FloatArray,
    back: FloatArray,
    leg: FloatArray,
    foot: IntArray,
    ranges: FloatArray,
    y_out: FloatArray,
    speed_out: FloatArray,
    depth_out: FloatArray,
    width_out: FloatArray,
    knead_out: FloatArray,
    knead_direction_out: IntArray,
    tap_out: FloatArray,
    tap_mode_out: IntArray,
    air_out: FloatArray,
    heat_out: FloatArray,
    back_out: FloatArray,
    leg_out: FloatArray,
    foot_out: IntArray,
) -> None:
    """Every field of every chair's frame into the chair's ranges (``_chair_ranges``)."""
    levels = int(ranges[14])
    for i in range(y.shape[0]):
        y_out[i] = _within(y[i], ranges[0], ranges[1])
        speed_out[i] = _within(speed[i], 0.0, ranges[2])
        depth_out[i] = _within(depth[i], 0.0, ranges[3])
        width_out[i] = _within(width[i], ranges[4], ranges[5])
        knead_out[i] = _within(knead[i], 0.0, ranges[6])
        knead_direction_out[i] = -1 if knead_direction[i] < 0 else 1
        tap_out[i] = _within(tap[i], 0.0, ranges[7])
        tap_mode_out[i] = min(max(tap_mode[i], 0), 1)
        for j in range(air.shape[1]):
            air_out[i, j] = _within(air[i, j], 0.0, ranges[8])
        for j in range(heat.shape[1]):
            heat_out[i, j] = _within(heat[i, j], 0.0, ranges[9])
        back_out[i] = _within(back[i], ranges[10], ranges[11])
        leg_out[i] = _within(leg[i], ranges[12], ranges[13])
        foot_out[i] = min(max(foot[i], 0), levels)
