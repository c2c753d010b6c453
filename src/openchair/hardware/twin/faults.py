"""The faults the twin can be made to have, on one chair of a batch or all of them."""

from __future__ import annotations

import enum

from openchair.hardware.contract import ChairDescription


class TwinFault(enum.StrEnum):
    """Injectable faults. The docstring of each says what a chair with it does."""

    TEMP_SENSOR_OPEN = "temp_sensor_open"
    """A heater's temperature sensor reads -40 °C (broken wire)."""
    TEMP_SENSOR_SHORTED = "temp_sensor_shorted"
    """A heater's temperature sensor reads 150 °C (short circuit)."""
    TEMP_SENSOR_STUCK = "temp_sensor_stuck"
    """A heater's temperature sensor keeps the value it had when the fault began."""
    HEATER_RELAY_STUCK_ON = "heater_relay_stuck_on"
    """A heater heats whatever its target, even when off."""
    PUMP_DEAD = "pump_dead"
    """The air pump gives no flow: no cushion can inflate."""
    VALVE_STUCK = "valve_stuck"
    """One zone's valve stays closed: that cushion neither inflates nor vents."""
    FORCE_SENSOR_DEAD = "force_sensor_dead"
    """Both roller force readings are 0 N whatever the rollers press."""
    ENCODER_GLITCH = "encoder_glitch"
    """The carriage position reading jumps by impossible amounts now and then."""
    LOST_COMMANDS = "lost_commands"
    """Command frames never reach the board, so its watchdog trips."""
    OCCUPANT_LEAVES = "occupant_leaves"
    """Nobody is seated: the seat senses no one and the rollers touch nothing."""
    OCCUPANT_LEANS_FORWARD = "occupant_leans_forward"
    """The person sits forward, off the backrest: the rollers cannot reach the back."""
    LEGREST_OBSTRUCTION = "legrest_obstruction"
    """Something is wedged under the leg rest: lowering it stalls the motor, current spikes."""
    DEPTH_MOTOR_RUNAWAY = "depth_motor_runaway"
    """The depth motor drives the rollers out at full speed whatever its target (a shorted
    driver), until its power is removed."""
    SUPPLY_RELAY_WELDED = "supply_relay_welded"
    """The supply relay's contacts are welded: opening it removes no power."""
    THERMAL_CUTOUT_FAILED = "thermal_cutout_failed"
    """A heater's thermal cut-out never opens."""


PER_HEATER = frozenset(
    {
        TwinFault.TEMP_SENSOR_OPEN,
        TwinFault.TEMP_SENSOR_SHORTED,
        TwinFault.TEMP_SENSOR_STUCK,
        TwinFault.HEATER_RELAY_STUCK_ON,
        TwinFault.THERMAL_CUTOUT_FAILED,
    }
)
PER_ZONE = frozenset({TwinFault.VALVE_STUCK})
DEFAULT_HEATER = "back"
DEFAULT_ZONE = "waist_left"


class UnknownFaultError(ValueError):
    """A fault name the twin does not know; the message lists the ones it does."""


def parse_fault(name: TwinFault | str) -> TwinFault:
    try:
        return TwinFault(name)
    except ValueError:
        known = ", ".join(f.value for f in TwinFault)
        raise UnknownFaultError(f"unknown fault {name!r}; known faults: {known}") from None


def check_target(fault: TwinFault, target: str | None, description: ChairDescription) -> None:
    """Raise ``ValueError`` naming the choices unless ``target`` fits ``fault`` on this chair: a
    heater for heater faults, an air zone for valve faults, nothing for the others."""
    if target is None:
        return
    if fault in PER_HEATER:
        description.heater_index(target)
    elif fault in PER_ZONE:
        description.air_zone_index(target)
    else:
        raise ValueError(f"fault {fault.value!r} takes no target (got {target!r})")
