"""The table of safety rules: name, limit, reaction and whether the reaction latches.

Every rule the supervisor holds has one row here. The rule families (``readings``, ``board``,
``force``, ``heat``, ``air``, ``recline``, ``presence``) decide *when* a rule acts; this table
says what it is called, what it guards and what it does, so that events, records, docs/SAFETY.md
and the tests all read the same names and reactions. Adding a rule starts with a row here
(docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One safety rule.

    ``limit`` names what the rule guards, in words (the numbers are in ``limits.py``);
    ``reaction`` is the text every event of this rule carries; a ``latching`` rule puts the
    chair in the safe state until ``reset``; a ``stop`` rule latches by a person's decision or
    absence (the session ends as *stopped*, not *fault*); ``supply_cut_s`` says that the safe
    state alone may not be obeyed, so the supply relay opens too.
    """

    name: str
    limit: str
    reaction: str
    latching: bool = False
    stop: bool = False
    supply_cut_s: float | None = None
    """For a rule whose actuator may not obey the safe state: the supply relay opens this long
    after the rule latched at most (sooner once the rollers are in; 0: at once)."""


STOP_BUTTON = "stop_button"
REMOTE_STOP = "remote_stop"
BOARD_WATCHDOG = "board_watchdog"
DRIVER_LOST = "driver_lost"
CONTROL_DEADLINE = "control_deadline"
ENCODER_JUMP = "encoder_jump"
FORCE_SENSOR_SILENT = "force_sensor_silent"
ROLLER_FORCE = "roller_force"
ROLLER_DEPTH = "roller_depth"
HEATER_TARGET = "heater_target"
HEATER_SENSOR = "heater_sensor"
HEATER_STUCK_SENSOR = "heater_sensor_stuck"
HEATER_CEILING = "heater_ceiling"
HEATER_RUNAWAY = "heater_runaway"
AIR_PRESSURE = "air_pressure"
AIR_VALVE_TIME = "air_valve_time"
SESSION_AUTO_OFF = "session_auto_off"
OCCUPANCY_PAUSE = "occupancy_pause"
OCCUPANCY_STOP = "occupancy_stop"
RECLINE_OBSTRUCTION = "recline_obstruction"
HEATER_RELAY_STUCK = "heater_relay_stuck"
HEATER_SENSOR_FROZEN = "heater_sensor_frozen"
HEATER_UNRESPONSIVE = "heater_sensor_unresponsive"
HEATER_UNSUPERVISED = "heater_unsupervised"
HEATER_NO_CURRENT = "heater_no_current"
ROLLER_DEPTH_RUNAWAY = "roller_depth_runaway"
READING_NOT_FINITE = "reading_not_finite"

_SAFE = "safe state, latched"
_CUT = "safe state, supply relay opened, latched"
SUPPLY_CUT_GRACE_S = 5.0
"""A heater that will not switch off loses its power once the rollers are in, 5 s at most
(0.75 °C of heating at full power): the rollers must not be left pressing."""

RULES: tuple[Rule, ...] = (
    Rule(STOP_BUTTON, "the handset's stop button", _SAFE, latching=True, stop=True),
    Rule(REMOTE_STOP, "a stop command (CLI, remote, API)", _SAFE, latching=True, stop=True),
    Rule(BOARD_WATCHDOG, "the board's watchdog tripped", _SAFE, latching=True),
    Rule(DRIVER_LOST, "readings older than driver_silent_s", _SAFE, latching=True),
    Rule(CONTROL_DEADLINE, "a tick later than control_deadline_miss_s", _SAFE, latching=True),
    Rule(ENCODER_JUMP, "a carriage reading that jumped impossibly far", _SAFE, latching=True),
    Rule(
        READING_NOT_FINITE,
        "a reading that is not a finite number (NaN, ±inf)",
        _SAFE,
        latching=True,
    ),
    Rule(FORCE_SENSOR_SILENT, "no force while the rollers surely press", _SAFE, latching=True),
    Rule(
        ROLLER_FORCE,
        "the person's comfort force, never roller_force_hard_max_n",
        "depth backed off",
    ),
    Rule(
        ROLLER_DEPTH,
        "the person's comfortable depth, never roller_depth_hard_max_mm",
        "depth clamped",
    ),
    Rule(HEATER_TARGET, "heater_target_max_c", "target capped"),
    Rule(HEATER_SENSOR, "a reading outside the plausible range", "heater off for the session"),
    Rule(HEATER_STUCK_SENSOR, "a driven heater's reading unchanged", "heater off for the session"),
    Rule(HEATER_CEILING, "heater_surface_max_c", "heater off"),
    Rule(
        HEATER_RUNAWAY,
        "a rise the heater cannot explain",
        _CUT,
        True,
        supply_cut_s=SUPPLY_CUT_GRACE_S,
    ),
    Rule(
        HEATER_RELAY_STUCK,
        "current in a heater commanded off",
        _CUT,
        True,
        supply_cut_s=SUPPLY_CUT_GRACE_S,
    ),
    Rule(
        HEATER_SENSOR_FROZEN,
        "a reading unchanged to the bit for heater_sensor_frozen_s",
        "heater off for the session",
    ),
    Rule(
        HEATER_UNRESPONSIVE,
        "a powered heater whose reading does not rise",
        "heater off for the session",
    ),
    Rule(
        HEATER_UNSUPERVISED,
        "a heater with a failed sensor and no current sensing",
        _CUT,
        True,
        supply_cut_s=SUPPLY_CUT_GRACE_S,
    ),
    Rule(
        HEATER_NO_CURRENT,
        "a heater driven hard that draws no current (cut-out open)",
        "heater off for the session",
    ),
    Rule(ROLLER_DEPTH_RUNAWAY, "rollers going deeper than commanded", _CUT, True, supply_cut_s=0.0),
    Rule(AIR_PRESSURE, "air_pressure_max_kpa", "vent"),
    Rule(AIR_VALVE_TIME, "air_valve_inflate_max_s", "vent"),
    Rule(SESSION_AUTO_OFF, "session_auto_off_s", "finish"),
    Rule(OCCUPANCY_PAUSE, "nobody seated", "pause"),
    Rule(
        OCCUPANCY_STOP,
        "nobody seated for unoccupied_stop_s",
        "stop, latched",
        latching=True,
        stop=True,
    ),
    Rule(RECLINE_OBSTRUCTION, "recline_current_spike_a", "stop, reverse briefly"),
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
LATCHING_RULES = frozenset(r.name for r in RULES if r.latching)
"""Rules whose reaction is the safe state, held until ``reset``."""
STOP_RULES = frozenset(r.name for r in RULES if r.stop)
"""Latched by a person's decision (or absence): the session ends as "stopped", not "fault"."""
