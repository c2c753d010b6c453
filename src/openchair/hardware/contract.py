"""The driver contract: the one interface between openchair and a chair's control board.

Everything above this module (programs, the safety supervisor, the control loop, the self-test)
talks to a chair only through :class:`ChairDriver`, :class:`Commands` and :class:`Readings`.
The digital twin is one driver; a serial board driver is another. Like ros2_control's hardware
interfaces, a driver is swappable and nothing above it knows which one it is.

State is **batched**: every array has a leading dimension of ``batch_size`` chairs. A real chair
is a batch of one; verification steps thousands of simulated chairs at once through the same code.

Units are in the field names: ``_mm``, ``_mm_s`` (mm per second), ``_kpa``, ``_c`` (°C), ``_deg``,
``_n`` (newton), ``_a`` (ampere), ``_cpm`` (cycles per minute), ``_hz``, ``_s``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

AIR_ZONES: tuple[str, ...] = (
    "shoulder_left",
    "shoulder_right",
    "arm_left",
    "arm_right",
    "waist_left",
    "waist_right",
    "seat",
    "calf_left",
    "calf_right",
    "foot_left",
    "foot_right",
)
"""The air-cushion zones of the reference chair (docs/TWIN.md), in array column order."""

HEATERS: tuple[str, ...] = ("back", "calves")
"""The heaters of the reference chair, in array column order."""


class TapMode(enum.IntEnum):
    """How the two tapping heads strike: in turn ("knocking") or at once ("clapping")."""

    ALTERNATE = 0
    TOGETHER = 1


class BoardFault(enum.IntFlag):
    """Fault flags a control board reports about itself, one bit each (``Readings.fault_flags``)."""

    NONE = 0
    WATCHDOG = 1
    """No command frame for the watchdog timeout: the board went to its safe state by itself."""
    SAFE_STATE = 2
    """The board is holding its safe state (after the watchdog, or on its own decision)."""
    RECLINE_OVERCURRENT = 4
    """A recline motor drew more current than the board allows and was cut."""
    ENCODER = 8
    """An encoder reported an impossible jump."""
    SUPPLY_OPEN = 16
    """The supply relay is open: no actuator has power (opened by the controller's
    ``Commands.supply_off`` or by the board's watchdog)."""


@dataclass(frozen=True)
class ChairDescription:
    """What a chair can do: parts, ranges and speeds, as its driver reports them.

    The defaults are the reference chair of docs/TWIN.md. Another chair's driver returns its own
    values, and everything above the driver (compiler, supervisor, self-test) reads ranges from
    here instead of assuming them. The *safety* limits, which may be tighter, live in
    ``openchair.safety.limits``.
    """

    model: str = "openchair reference chair (digital twin)"
    carriage_y_min_mm: float = -550.0
    carriage_y_max_mm: float = 800.0
    carriage_speed_max_mm_s: float = 60.0
    carriage_accel_max_mm_s2: float = 300.0
    depth_max_mm: float = 120.0
    depth_speed_max_mm_s: float = 30.0
    width_min_mm: float = 40.0
    width_max_mm: float = 140.0
    width_speed_max_mm_s: float = 40.0
    knead_speed_max_cpm: float = 60.0
    knead_depth_amplitude_mm: float = 8.0
    """How far the kneading eccentric reaches past the rollers' set depth (and back)."""
    tap_depth_amplitude_mm: float = 6.0
    """How far a tapping stroke reaches past the rollers' set depth."""
    tap_rate_max_hz: float = 12.0
    air_zones: tuple[str, ...] = AIR_ZONES
    air_pressure_max_kpa: float = 45.0
    heaters: tuple[str, ...] = HEATERS
    heater_target_max_c: float = 45.0
    backrest_angle_min_deg: float = 100.0
    backrest_angle_max_deg: float = 165.0
    legrest_angle_min_deg: float = 0.0
    legrest_angle_max_deg: float = 85.0
    recline_full_travel_s: float = 15.0
    foot_roller_levels: int = 3
    watchdog_timeout_s: float = 0.25
    has_shoulder_sensor: bool = True
    # Protective devices, independent of the actuators they protect (IEC 60335-1 cl. 19).
    supply_relay: bool = True
    """A relay in every actuator's supply that ``Commands.supply_off`` opens, and that the
    board's watchdog opens by itself ``watchdog_supply_cut_s`` after it trips."""
    watchdog_supply_cut_s: float = 5.0
    """Time the watchdog's safe state has to retract the rollers before it cuts the supply."""
    heater_cutout_c: float | None = 42.8
    """Each heater's non-self-resetting thermal cut-out opens at this temperature (None: none)."""
    heater_current_a: float = 2.0
    """A powered heater's nominal current, reported in ``Readings.heater_current_a`` (0: the
    board does not sense heater current)."""

    @property
    def n_air_zones(self) -> int:
        return len(self.air_zones)

    @property
    def n_heaters(self) -> int:
        return len(self.heaters)

    def air_zone_index(self, zone: str) -> int:
        try:
            return self.air_zones.index(zone)
        except ValueError:
            raise ValueError(
                f"unknown air zone {zone!r}; this chair has: {', '.join(self.air_zones)}"
            ) from None

    def heater_index(self, heater: str) -> int:
        try:
            return self.heaters.index(heater)
        except ValueError:
            raise ValueError(
                f"unknown heater {heater!r}; this chair has: {', '.join(self.heaters)}"
            ) from None


class CommandRangeError(ValueError):
    """A command field is outside what the chair can do; the message names field, chair, range."""


@dataclass
class Commands:
    """The command frame for one control tick, for every chair of a batch.

    Heater targets of 0 °C mean "heater off". ``knead_direction`` is +1 (inward) or -1 (outward).
    ``tap_mode`` holds :class:`TapMode` values. A tap rate or knead speed of 0 stops that motor.
    """

    carriage_y_target_mm: FloatArray
    carriage_speed_limit_mm_s: FloatArray
    depth_target_mm: FloatArray
    width_target_mm: FloatArray
    knead_speed_cpm: FloatArray
    knead_direction: IntArray
    tap_rate_hz: FloatArray
    tap_mode: IntArray
    air_pressure_target_kpa: FloatArray  # (N, n_air_zones)
    heater_target_c: FloatArray  # (N, n_heaters)
    backrest_angle_target_deg: FloatArray
    legrest_angle_target_deg: FloatArray
    foot_roller_level: IntArray
    supply_off: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """True opens the chair's supply relay (no power to any actuator); left empty: all False."""

    def __post_init__(self) -> None:
        if not self.supply_off.size and self.carriage_y_target_mm.shape[0]:
            self.supply_off = np.zeros(self.carriage_y_target_mm.shape[0], dtype=bool)

    @property
    def batch_size(self) -> int:
        return int(self.carriage_y_target_mm.shape[0])

    @classmethod
    def safe(
        cls,
        description: ChairDescription,
        batch_size: int,
        carriage_y_mm: FloatArray | None = None,
        backrest_angle_deg: FloatArray | None = None,
        legrest_angle_deg: FloatArray | None = None,
    ) -> Commands:
        """The safe state (docs/TWIN.md) as a command frame.

        Carriage and recline hold where they are (pass the current positions; they never move on
        their own), depth retracts to 0, kneading and tapping stop, valves vent, heaters and foot
        rollers are off.
        """
        n = batch_size
        d = description

        def _hold(values: FloatArray | None, default: float) -> FloatArray:
            if values is None:
                return np.full(n, default, dtype=np.float64)
            return np.asarray(values, dtype=np.float64).copy()

        return cls(
            carriage_y_target_mm=_hold(carriage_y_mm, 0.0),
            carriage_speed_limit_mm_s=np.zeros(n),
            depth_target_mm=np.zeros(n),
            width_target_mm=np.full(n, (d.width_min_mm + d.width_max_mm) / 2),
            knead_speed_cpm=np.zeros(n),
            knead_direction=np.ones(n, dtype=np.int64),
            tap_rate_hz=np.zeros(n),
            tap_mode=np.zeros(n, dtype=np.int64),
            air_pressure_target_kpa=np.zeros((n, d.n_air_zones)),
            heater_target_c=np.zeros((n, d.n_heaters)),
            backrest_angle_target_deg=_hold(backrest_angle_deg, d.backrest_angle_min_deg),
            legrest_angle_target_deg=_hold(legrest_angle_deg, d.legrest_angle_min_deg),
            foot_roller_level=np.zeros(n, dtype=np.int64),
        )

    @classmethod
    def safe_holding(cls, description: ChairDescription, readings: Readings) -> Commands:
        """The safe state with the carriage and recline held where ``readings`` see them
        (clipped into the chair's ranges, so the frame is valid whatever the readings say)."""
        d, r = description, readings
        return cls.safe(
            d,
            r.batch_size,
            np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
            np.clip(r.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
            np.clip(r.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
        )

    def overlay(self, source: Commands, chairs: BoolArray) -> None:
        """Replace this frame's fields by ``source``'s for the chairs in the mask (each field a
        new array: arrays shared with other frames are never written to)."""
        for name in _COMMAND_FIELDS:
            target = getattr(self, name)
            m = chairs if target.ndim == 1 else chairs[:, None]
            setattr(self, name, np.where(m, getattr(source, name), target).astype(target.dtype))

    def copy(self) -> Commands:
        """A copy sharing no memory, with the (N, zones) and (N, heaters) fields column-major.

        The supervisor copies every frame and reduces over those columns for every chair each
        tick (``.max(axis=1)``, ``.any(axis=1)``); on contiguous columns that is many times
        faster for large batches. The values are the same.
        """
        return type(self)(**{name: getattr(self, name).copy(order="F") for name in _COMMAND_FIELDS})

    def select(self, chairs: npt.NDArray[np.intp] | slice) -> Commands:
        """The frames of some chairs of the batch, as a smaller batch."""
        return dataclasses.replace(
            self, **{f.name: getattr(self, f.name)[chairs].copy() for f in dataclasses.fields(self)}
        )

    def validate(self, description: ChairDescription) -> None:
        """Raise :class:`CommandRangeError` naming the first field outside the chair's range.

        Runs every tick, so the common case (all in range) is one comparison of every ranged
        value at once against bounds built once per chair and batch size (a few numpy calls
        instead of two reductions per field, which dominate for small batches); the search for
        the culprit, field by field, only runs when something is wrong.
        """
        n = self.batch_size
        for name in _COMMAND_FIELDS:
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray):
                raise CommandRangeError(f"{name}: expected a numpy array, got {type(arr).__name__}")
            if arr.shape[0] != n:
                raise CommandRangeError(
                    f"{name}: batch dimension is {arr.shape[0]}, expected {n} like the others"
                )
        d = description
        _check_shape(self.air_pressure_target_kpa, (n, d.n_air_zones), "air_pressure_target_kpa")
        _check_shape(self.heater_target_c, (n, d.n_heaters), "heater_target_c")
        lo, hi = _range_bounds(d, n)
        values = np.concatenate([getattr(self, name).ravel(order="K") for name in _RANGED_FIELDS])
        # (A 1-D field with extra dimensions changes the length: checked field by field too.)
        in_range = values.shape == lo.shape and bool(((lo <= values) & (values <= hi)).all())
        if not in_range:
            self._raise_out_of_range(d)
        if self.knead_direction.size and not (np.abs(self.knead_direction) == 1).all():
            _raise_allowed(self.knead_direction, "knead_direction", (-1, 1))

    def _raise_out_of_range(self, d: ChairDescription) -> None:
        """The field-by-field checks, in field order: raise for the first field out of range."""
        for name, lo, hi in _command_ranges(d):
            arr = getattr(self, name)
            if arr.size and not (lo <= arr.min() and arr.max() <= hi):
                _raise_range(arr, name, lo, hi)
        if self.knead_direction.size and not (np.abs(self.knead_direction) == 1).all():
            _raise_allowed(self.knead_direction, "knead_direction", (-1, 1))
        tap_mode = self.tap_mode
        if tap_mode.size and not (tap_mode.min() >= 0 and tap_mode.max() <= 1):
            _raise_allowed(tap_mode, "tap_mode", tuple(int(m) for m in TapMode))


_COMMAND_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Commands))


@functools.cache
def _command_ranges(d: ChairDescription) -> tuple[tuple[str, float, float], ...]:
    """(field, lowest, highest) of every ranged command field of chair ``d``, built once."""
    return (
        ("carriage_y_target_mm", d.carriage_y_min_mm, d.carriage_y_max_mm),
        ("carriage_speed_limit_mm_s", 0.0, d.carriage_speed_max_mm_s),
        ("depth_target_mm", 0.0, d.depth_max_mm),
        ("width_target_mm", d.width_min_mm, d.width_max_mm),
        ("knead_speed_cpm", 0.0, d.knead_speed_max_cpm),
        ("tap_rate_hz", 0.0, d.tap_rate_max_hz),
        ("air_pressure_target_kpa", 0.0, d.air_pressure_max_kpa),
        ("heater_target_c", 0.0, d.heater_target_max_c),
        ("backrest_angle_target_deg", d.backrest_angle_min_deg, d.backrest_angle_max_deg),
        ("legrest_angle_target_deg", d.legrest_angle_min_deg, d.legrest_angle_max_deg),
        ("foot_roller_level", 0, d.foot_roller_levels),
    )


_RANGED_FIELDS: tuple[str, ...] = (
    *(name for name, _, _ in _command_ranges(ChairDescription())),
    "tap_mode",
)
"""The fields ``validate`` checks at once, laid end to end in this order (tap mode: 0 or 1)."""


@functools.lru_cache(maxsize=16)
def _range_bounds(d: ChairDescription, n: int) -> tuple[FloatArray, FloatArray]:
    """Lowest and highest allowed value of every element of ``_RANGED_FIELDS`` for ``n`` chairs
    laid end to end, as ``validate`` concatenates them."""
    columns = {"air_pressure_target_kpa": d.n_air_zones, "heater_target_c": d.n_heaters}
    ranges = [*_command_ranges(d), ("tap_mode", 0, 1)]
    sizes = [n * columns.get(name, 1) for name, _, _ in ranges]
    lo = np.repeat(np.array([r[1] for r in ranges], dtype=np.float64), sizes)
    hi = np.repeat(np.array([r[2] for r in ranges], dtype=np.float64), sizes)
    lo.flags.writeable = False
    hi.flags.writeable = False
    return lo, hi


def _check_shape(arr: npt.NDArray[np.generic], shape: tuple[int, ...], name: str) -> None:
    if arr.shape != shape:
        raise CommandRangeError(f"{name}: shape is {arr.shape}, this chair expects {shape}")


def _raise_range(arr: FloatArray | IntArray, name: str, lo: float, hi: float) -> None:
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise CommandRangeError(f"{name}: {_where(idx)}: value is not a finite number")
    idx = tuple(int(i) for i in np.argwhere((arr < lo) | (arr > hi))[0])
    value = float(arr[idx])
    raise CommandRangeError(f"{name}: {_where(idx)}: {value:g} is outside {lo:g}..{hi:g}")


def _where(idx: tuple[int, ...]) -> str:
    return f"chair {idx[0]}" + (f", column {idx[1]}" if len(idx) > 1 else "")


def _raise_allowed(arr: IntArray, name: str, allowed: tuple[int, ...]) -> None:
    i = int(np.argwhere(~np.isin(arr, allowed))[0][0])
    raise CommandRangeError(
        f"{name}: chair {i}: {int(arr[i])} is not one of {', '.join(map(str, allowed))}"
    )


@dataclass
class Readings:
    """What a chair senses, for every chair of a batch, as of ``time_s``.

    Forces are the roller contact forces a board derives from motor current: noisy, and 0 when
    the rollers do not touch. ``shoulder_sensor`` is true while the sensor detects the top of the
    shoulder at the carriage position. Currents are those of the recline motors.
    """

    time_s: float
    carriage_y_mm: FloatArray
    depth_mm: FloatArray
    width_mm: FloatArray
    force_left_n: FloatArray
    force_right_n: FloatArray
    shoulder_sensor: BoolArray
    air_pressure_kpa: FloatArray  # (N, n_air_zones)
    heater_temp_c: FloatArray  # (N, n_heaters)
    backrest_angle_deg: FloatArray
    legrest_angle_deg: FloatArray
    backrest_current_a: FloatArray
    legrest_current_a: FloatArray
    occupied: BoolArray
    stop_button: BoolArray
    fault_flags: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    heater_current_a: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    """(N, n_heaters) heater currents, when the board senses them (empty otherwise)."""

    @property
    def batch_size(self) -> int:
        return int(self.carriage_y_mm.shape[0])

    def select(self, chairs: npt.NDArray[np.intp] | slice) -> Readings:
        """The readings of some chairs of the batch, as a smaller batch."""
        values: dict[str, object] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            batched = isinstance(v, np.ndarray) and v.shape[:1] == (self.batch_size,)
            values[f.name] = v[chairs].copy() if batched else v
        return dataclasses.replace(self, **values)  # type: ignore[arg-type]


@runtime_checkable
class ChairDriver(Protocol):
    """The contract every chair driver implements.

    Time is injected: the caller passes ``now_s`` from its clock (real or simulated). A real
    board's driver may ignore it; the twin advances its physics to it. A driver never moves
    anything on its own except to reach its safe state (watchdog, its own protections).

    Lifecycle, as ros2_control's hardware components have it: ``open()`` once (connect to the
    board), then ``read``/``write`` every tick, then ``close()`` (safe state, release). The
    chair service opens the driver before its loop's first tick and closes it after the last.
    """

    @property
    def description(self) -> ChairDescription: ...

    @property
    def batch_size(self) -> int: ...

    def open(self) -> None:
        """Connect to the hardware; after it, ``read`` and ``write`` may be called. Raises
        ``OSError`` (with a message naming the device) when the chair cannot be reached."""
        ...

    def read(self, now_s: float) -> Readings:
        """Sense every chair as of ``now_s``."""
        ...

    def write(self, commands: Commands, now_s: float) -> None:
        """Send one command frame; raises :class:`CommandRangeError` for out-of-range fields."""
        ...

    def close(self) -> None:
        """Put every chair in its safe state and release the hardware."""
        ...
