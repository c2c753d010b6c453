"""The field tables of protocol version 2: every value's wire type, scaling and unit.

A number travels as a little-endian integer: ``raw = round(value × per_unit)`` and ``value = raw /
per_unit`` (division by the integer keeps a decoded value within a range whose ends are whole
counts, such as 800.0 mm, exactly as an encoded one); the unit is the one in the field's name
(``_mm``, ``_n``, ``_kpa``, ...). Per-zone and per-heater fields carry one value per air zone
or heater, in the order the board's description lists them. The tables are the single source of
truth for the encoder, the decoder and the byte layouts in docs/PROTOCOL.md (a test checks the
document against them).

**Adding a field** is a protocol change: append it to a table (never insert; order is layout),
raise :data:`~openchair.hardware.serial.messages.PROTOCOL_VERSION`, and document it.
:func:`check_coverage` refuses to build a codec while ``Commands``, ``Readings`` or
``ChairDescription`` has a field no table carries, so a new dataclass field cannot silently stay
off the wire.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from typing import Literal

from openchair.hardware.contract import ChairDescription, Commands, Readings

Kind = Literal["num", "bool", "str", "names"]
Per = Literal["chair", "zone", "heater"]

INT_RANGES: dict[str, tuple[int, int]] = {
    "b": (-128, 127),
    "B": (0, 255),
    "h": (-32768, 32767),
    "H": (0, 65535),
    "i": (-(2**31), 2**31 - 1),
    "I": (0, 2**32 - 1),
}
TYPE_NAMES = {"b": "i8", "B": "u8", "h": "i16", "H": "u16", "i": "i32", "I": "u32"}
NO_READING = {"h": -32768, "i": -(2**31)}
"""In READINGS, the lowest value of a signed field means "no valid reading" (decoded as NaN)."""


@dataclass(frozen=True)
class WireField:
    """One field of a message: the dataclass field it carries and how."""

    name: str
    code: str = "h"
    """struct code of one value: b/B (i8/u8), h/H (i16/u16), i/I (i32/u32)."""
    per_unit: int = 1
    """Raw counts per unit of the field's name (100: steps of 0.01 mm for a ``_mm`` field)."""
    per: Per = "chair"
    kind: Kind = "num"
    note: str = ""
    none_raw: int | None = None
    """For a value that may be None (``heater_cutout_c``): the raw count that stands for None;
    a real value that would encode to it is refused."""

    @property
    def wire_type(self) -> str:
        if self.kind == "str":
            return "u8 length + UTF-8"
        if self.kind == "names":
            return "u8 count, then per name: u8 length + UTF-8"
        return TYPE_NAMES[self.code]

    @property
    def scale(self) -> float:
        """Value of one raw count, in the unit of the field's name."""
        return 1.0 / self.per_unit

    @property
    def size(self) -> int:
        return struct.calcsize("<" + self.code)


COMMAND_FIELDS: tuple[WireField, ...] = (
    WireField("carriage_y_target_mm", "h", 10),
    WireField("carriage_speed_limit_mm_s", "H", 100),
    WireField("depth_target_mm", "H", 100),
    WireField("width_target_mm", "H", 100),
    WireField("knead_speed_cpm", "H", 100),
    WireField("knead_direction", "b", 1, note="+1 inward, -1 outward"),
    WireField("tap_rate_hz", "H", 1000),
    WireField("tap_mode", "B", 1, note="0 in turn, 1 together"),
    WireField("air_pressure_target_kpa", "H", 100, per="zone"),
    WireField("heater_target_c", "H", 100, per="heater", note="0 = heater off"),
    WireField("backrest_angle_target_deg", "h", 100),
    WireField("legrest_angle_target_deg", "h", 100),
    WireField("foot_roller_level", "B", 1, note="0 = off"),
    WireField("supply_off", "B", kind="bool", note="1 = open the supply relay (v2)"),
)
"""The COMMAND payload after ``host_time_ms``, in this order."""

READINGS_FIELDS: tuple[WireField, ...] = (
    WireField("carriage_y_mm", "i", 100),
    WireField("depth_mm", "i", 100),
    WireField("width_mm", "i", 100),
    WireField("force_left_n", "i", 100),
    WireField("force_right_n", "i", 100),
    WireField("shoulder_sensor", "B", kind="bool", note="1 = shoulder detected"),
    WireField("air_pressure_kpa", "h", 100, per="zone"),
    WireField("heater_temp_c", "h", 100, per="heater"),
    WireField("backrest_angle_deg", "h", 100),
    WireField("legrest_angle_deg", "h", 100),
    WireField("backrest_current_a", "h", 1000),
    WireField("legrest_current_a", "h", 1000),
    WireField("occupied", "B", kind="bool", note="1 = someone seated"),
    WireField("stop_button", "B", kind="bool", note="1 = pressed"),
    WireField("fault_flags", "H", 1, note="bit field, see below"),
    WireField(
        "heater_current_a",
        "h",
        1000,
        per="heater",
        note="(v2) only if DESCRIPTION heater_current_a > 0",
    ),
)
"""The READINGS payload after its 10-byte prefix (§5.3), in this order."""

READINGS_HOST_FIELDS = frozenset({"time_s"})
"""``Readings`` fields the host fills itself: ``time_s`` is the host time of the POLL answered."""

DESCRIPTION_FIELDS: tuple[WireField, ...] = (
    WireField("model", kind="str"),
    WireField("carriage_y_min_mm", "h", 10),
    WireField("carriage_y_max_mm", "h", 10),
    WireField("carriage_speed_max_mm_s", "H", 100),
    WireField("carriage_accel_max_mm_s2", "H", 10),
    WireField("depth_max_mm", "H", 100),
    WireField("depth_speed_max_mm_s", "H", 100),
    WireField("width_min_mm", "H", 100),
    WireField("width_max_mm", "H", 100),
    WireField("width_speed_max_mm_s", "H", 100),
    WireField("knead_speed_max_cpm", "H", 100),
    WireField("knead_depth_amplitude_mm", "H", 100),
    WireField("tap_depth_amplitude_mm", "H", 100),
    WireField("tap_rate_max_hz", "H", 1000),
    WireField("air_zones", kind="names", note="sets the zone count and order"),
    WireField("air_pressure_max_kpa", "H", 100),
    WireField("heaters", kind="names", note="sets the heater count and order"),
    WireField("heater_target_max_c", "H", 100),
    WireField("backrest_angle_min_deg", "h", 100),
    WireField("backrest_angle_max_deg", "h", 100),
    WireField("legrest_angle_min_deg", "h", 100),
    WireField("legrest_angle_max_deg", "h", 100),
    WireField("recline_full_travel_s", "H", 100),
    WireField("foot_roller_levels", "B", 1),
    WireField("watchdog_timeout_s", "H", 1000),
    WireField("has_shoulder_sensor", "B", kind="bool"),
    WireField("supply_relay", "B", kind="bool", note="(v2) 1 = has a supply relay"),
    WireField("watchdog_supply_cut_s", "H", 100, note="(v2)"),
    WireField("heater_cutout_c", "H", 100, note="(v2) 0 = no cut-out", none_raw=0),
    WireField("heater_current_a", "H", 1000, note="(v2) 0 = heater current not sensed"),
)
"""The DESCRIPTION payload, in this order (the command ranges use the commands' scaling)."""


class WireCoverageError(RuntimeError):
    """A dataclass has a field that this protocol version does not carry."""


def check_coverage() -> None:
    """Raise :class:`WireCoverageError` if a contract dataclass has a field off the wire.

    Called whenever a codec is built, so a field added to ``Commands``, ``Readings`` or
    ``ChairDescription`` without a protocol change fails every serial test, by name.
    """
    problems: list[str] = []
    for cls, table, host_side in (
        (Commands, COMMAND_FIELDS, frozenset[str]()),
        (Readings, READINGS_FIELDS, READINGS_HOST_FIELDS),
        (ChairDescription, DESCRIPTION_FIELDS, frozenset[str]()),
    ):
        have = {f.name for f in dataclasses.fields(cls)}
        carried = {f.name for f in table} | host_side
        missing = sorted(have - carried)
        extra = sorted(carried - have)
        problems += [f"{cls.__name__}.{m} is not carried by the serial protocol" for m in missing]
        problems += [
            f"the serial protocol carries {cls.__name__}.{e}, which is gone" for e in extra
        ]
    if problems:
        raise WireCoverageError(
            "; ".join(problems) + ". Add it to the field tables in "
            "openchair/hardware/serial/fields.py, raise PROTOCOL_VERSION and document it in "
            "docs/PROTOCOL.md (§7 Adding a field)."
        )
