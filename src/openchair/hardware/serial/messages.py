"""Message types of the protocol and their payloads (docs/PROTOCOL.md §4-§5).

The host sends HELLO, POLL, COMMAND, HEARTBEAT and BYE; the board sends BOARD_HELLO,
DESCRIPTION, READINGS and EVENT. :class:`Codec` turns ``Commands`` and ``Readings`` of one chair
into payloads and back, using the field tables of :mod:`~openchair.hardware.serial.fields` and
the zone and heater counts of the chair's description.
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.serial.fields import (
    COMMAND_FIELDS,
    DESCRIPTION_FIELDS,
    INT_RANGES,
    READINGS_FIELDS,
    WireField,
    check_coverage,
)

PROTOCOL_VERSION = 2
"""The version this openchair speaks; the board's BOARD_HELLO must name the same."""
MAGIC = b"OC"

FloatArray = npt.NDArray[np.float64]


class MsgType(enum.IntEnum):
    HELLO = 0x01
    POLL = 0x02
    COMMAND = 0x03
    HEARTBEAT = 0x04
    BYE = 0x05
    BOARD_HELLO = 0x81
    DESCRIPTION = 0x82
    READINGS = 0x83
    EVENT = 0x84


class EventKind(enum.IntEnum):
    FAULT_RAISED = 1
    FAULT_CLEARED = 2
    COMMAND_REJECTED = 3
    NOT_ARMED = 4
    VERSION_UNSUPPORTED = 5


STATUS_ARMED = 0x0001
"""READINGS status bit: the board accepts COMMAND frames (a HELLO of its version was received)."""

HELLO = struct.Struct("<HH")  # version_min, version_max
TIME = struct.Struct("<I")  # host_time_ms (POLL, HEARTBEAT, and the head of COMMAND)
BOARD_HELLO = struct.Struct("<2sHI")  # magic, protocol_version, boot_id; then u8 len + firmware
READINGS_PREFIX = struct.Struct("<HHIH")  # poll_seq, command_seq, board_time_ms, status
EVENT = struct.Struct("<BHH")  # kind, fault_flags, ref_seq; then u8 len + text


class PayloadError(ValueError):
    """A payload whose CRC matched but whose content does not fit its message type."""


def time_ms(now_s: float) -> int:
    """Host time on the wire: whole milliseconds, modulo 2**32 (wraps after 49.7 days)."""
    return math.floor(now_s * 1000.0 + 0.5) & 0xFFFFFFFF


@dataclass(frozen=True)
class BoardHello:
    protocol_version: int
    boot_id: int
    firmware: str

    def encode(self) -> bytes:
        return BOARD_HELLO.pack(MAGIC, self.protocol_version, self.boot_id) + _pack_str(
            self.firmware
        )

    @classmethod
    def decode(cls, payload: bytes) -> BoardHello:
        if len(payload) < BOARD_HELLO.size + 1:
            raise PayloadError("BOARD_HELLO: too short")
        magic, version, boot = BOARD_HELLO.unpack_from(payload)
        if magic != MAGIC:
            raise PayloadError(f"BOARD_HELLO: magic {magic!r} is not {MAGIC!r}")
        firmware, _ = _unpack_str(payload, BOARD_HELLO.size)
        return cls(version, boot, firmware)


@dataclass(frozen=True)
class Event:
    kind: int
    fault_flags: int
    ref_seq: int
    text: str

    def encode(self) -> bytes:
        return EVENT.pack(self.kind, self.fault_flags, self.ref_seq) + _pack_str(self.text)

    @classmethod
    def decode(cls, payload: bytes) -> Event:
        if len(payload) < EVENT.size + 1:
            raise PayloadError("EVENT: too short")
        kind, flags, ref = EVENT.unpack_from(payload)
        text, _ = _unpack_str(payload, EVENT.size)
        return cls(kind, flags, ref, text)


@dataclass(frozen=True)
class ReadingsHeader:
    poll_seq: int
    command_seq: int
    board_time_ms: int
    status: int


def _pack_str(text: str) -> bytes:
    data = text.encode("utf-8")[:255]
    return bytes([len(data)]) + data


def _unpack_str(payload: bytes, at: int) -> tuple[str, int]:
    if at >= len(payload):
        raise PayloadError("string: missing length byte")
    n = payload[at]
    data = payload[at + 1 : at + 1 + n]
    if len(data) != n:
        raise PayloadError("string: shorter than its length byte says")
    try:
        return data.decode("utf-8"), at + 1 + n
    except UnicodeDecodeError:
        raise PayloadError("string: not UTF-8") from None


# -- the chair's description ---------------------------------------------------------------------


def encode_description(d: ChairDescription) -> bytes:
    """The DESCRIPTION payload; raises ValueError for a value its wire type cannot hold."""
    check_coverage()
    out = bytearray()
    for f in DESCRIPTION_FIELDS:
        value = getattr(d, f.name)
        if f.kind == "str":
            out += _pack_str(value)
        elif f.kind == "names":
            out.append(len(value))
            for name in value:
                out += _pack_str(name)
        elif value is None and f.none_raw is not None:
            out += struct.pack("<" + f.code, f.none_raw)
        else:
            raw = _raw(f, float(value))
            if raw == f.none_raw:
                raise ValueError(f"{f.name}: {value:g} would read as none on the wire")
            out += struct.pack("<" + f.code, raw)
    return bytes(out)


def decode_description(payload: bytes) -> ChairDescription:
    check_coverage()
    values: dict[str, object] = {}
    at = 0
    try:
        for f in DESCRIPTION_FIELDS:
            if f.kind == "str":
                values[f.name], at = _unpack_str(payload, at)
            elif f.kind == "names":
                count = payload[at]
                at += 1
                names = []
                for _ in range(count):
                    name, at = _unpack_str(payload, at)
                    names.append(name)
                values[f.name] = tuple(names)
            else:
                (raw,) = struct.unpack_from("<" + f.code, payload, at)
                at += f.size
                if f.kind == "bool":
                    values[f.name] = bool(raw)
                elif f.none_raw is not None and raw == f.none_raw:
                    values[f.name] = None
                elif f.name == "foot_roller_levels":
                    values[f.name] = int(raw)
                else:
                    values[f.name] = raw / f.per_unit
    except (IndexError, struct.error):
        raise PayloadError("DESCRIPTION: shorter than its fields") from None
    if at != len(payload):
        raise PayloadError(f"DESCRIPTION: {len(payload) - at} bytes past its last field")
    return ChairDescription(**values)  # type: ignore[arg-type]


def _raw(f: WireField, value: float) -> int:
    raw = round(value * f.per_unit)
    lo, hi = INT_RANGES[f.code]
    if not lo <= raw <= hi:
        raise ValueError(
            f"{f.name}: {value:g} does not fit the wire ({f.wire_type} in steps of {f.scale:g})"
        )
    return raw


# -- commands and readings -----------------------------------------------------------------------


class _Table:
    """One field table laid out for a chair with ``n_zones`` air zones and ``n_heaters`` heaters.

    ``absent`` names per-heater or per-zone fields this chair does not have (``heater_current_a``
    of a board that senses no heater current): they take no bytes and decode as empty columns.
    """

    def __init__(
        self,
        table: tuple[WireField, ...],
        n_zones: int,
        n_heaters: int,
        absent: frozenset[str] = frozenset(),
    ) -> None:
        self.fields = table
        self.counts = [
            0 if f.name in absent else {"chair": 1, "zone": n_zones, "heater": n_heaters}[f.per]
            for f in table
        ]
        self.format = "".join(f.code * c for f, c in zip(table, self.counts, strict=True))
        self.struct = struct.Struct("<" + self.format)
        self.per_unit = np.repeat([f.per_unit for f in table], self.counts).astype(np.float64)
        self.lo = np.array([INT_RANGES[c][0] for c in self.format], dtype=np.float64)
        self.hi = np.array([INT_RANGES[c][1] for c in self.format], dtype=np.float64)
        self.nullable = np.array([c in "hi" for c in self.format])
        self.lo_valid = np.where(self.nullable, self.lo + 1, self.lo)
        ends = np.cumsum(self.counts)
        self.slices = [slice(int(e - c), int(e)) for e, c in zip(ends, self.counts, strict=True)]

    def values(self, obj: object) -> FloatArray:
        parts = []
        for f, count in zip(self.fields, self.counts, strict=True):
            v = np.asarray(getattr(obj, f.name), dtype=np.float64).reshape(-1)
            if v.size != count:
                raise ValueError(f"{f.name}: {v.size} values, this chair's layout has {count}")
            parts.append(v)
        return np.concatenate(parts)


class Codec:
    """Commands and readings of one chair, to payloads and back, for one chair description."""

    def __init__(self, description: ChairDescription) -> None:
        check_coverage()
        self.description = description
        n_z, n_h = description.n_air_zones, description.n_heaters
        self.commands = _Table(COMMAND_FIELDS, n_z, n_h)
        no_current = frozenset({"heater_current_a"} if description.heater_current_a <= 0 else ())
        self.readings = _Table(READINGS_FIELDS, n_z, n_h, absent=no_current)
        self.command_size = TIME.size + self.commands.struct.size
        self.readings_size = READINGS_PREFIX.size + self.readings.struct.size
        self.last_missing: tuple[str, ...] = ()
        """Fields the last decoded READINGS marked "no valid reading" (decoded as NaN)."""

    # Commands: the host encodes (and refuses what does not fit), the board decodes.

    def encode_commands(self, commands: Commands, host_time_ms: int) -> bytes:
        if commands.batch_size != 1:
            raise ValueError(f"a serial link drives one chair, not {commands.batch_size}")
        t = self.commands
        raw = np.rint(t.values(commands) * t.per_unit)
        bad = ~((t.lo <= raw) & (raw <= t.hi))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            f = t.fields[next(k for k, s in enumerate(t.slices) if s.start <= i < s.stop)]
            raise ValueError(
                f"{f.name}: {raw[i] / t.per_unit[i]:g} does not fit the wire "
                f"({f.wire_type} in steps of {f.scale:g})"
            )
        return TIME.pack(host_time_ms & 0xFFFFFFFF) + t.struct.pack(*raw.astype(np.int64).tolist())

    def decode_commands(self, payload: bytes) -> tuple[int, Commands]:
        if len(payload) != self.command_size:
            raise PayloadError(
                f"COMMAND: {len(payload)} bytes, this chair's commands take {self.command_size}"
            )
        (host_ms,) = TIME.unpack_from(payload)
        t = self.commands
        values = np.array(t.struct.unpack_from(payload, TIME.size), dtype=np.float64) / t.per_unit
        parts: dict[str, object] = {}
        for f, s in zip(t.fields, t.slices, strict=True):
            v = values[s]
            if f.per != "chair":
                parts[f.name] = v.reshape(1, -1).copy()
            elif f.kind == "bool":
                parts[f.name] = v != 0
            elif f.code in "bB":
                parts[f.name] = v.astype(np.int64)
            else:
                parts[f.name] = v.copy()
        return host_ms, Commands(**parts)  # type: ignore[arg-type]

    # Readings: the board encodes (saturating; NaN becomes "no reading"), the host decodes.

    def encode_readings(self, readings: Readings, header: ReadingsHeader) -> bytes:
        t = self.readings
        values = t.values(readings) * t.per_unit
        missing = ~np.isfinite(values)
        raw = np.clip(np.rint(np.where(missing, 0.0, values)), t.lo_valid, t.hi)
        raw = np.where(missing & t.nullable, t.lo, raw)
        prefix = READINGS_PREFIX.pack(
            header.poll_seq & 0xFFFF,
            header.command_seq & 0xFFFF,
            header.board_time_ms & 0xFFFFFFFF,
            header.status & 0xFFFF,
        )
        return prefix + t.struct.pack(*raw.astype(np.int64).tolist())

    def decode_readings(self, payload: bytes, time_s: float) -> tuple[ReadingsHeader, Readings]:
        if len(payload) != self.readings_size:
            raise PayloadError(
                f"READINGS: {len(payload)} bytes, this chair's readings take {self.readings_size}"
            )
        header = ReadingsHeader(*READINGS_PREFIX.unpack_from(payload))
        t = self.readings
        raw = np.array(t.struct.unpack_from(payload, READINGS_PREFIX.size), dtype=np.float64)
        absent = t.nullable & (raw == t.lo)
        values = np.where(absent, np.nan, raw / t.per_unit)
        self.last_missing = (
            tuple(f.name for f, s in zip(t.fields, t.slices, strict=True) if absent[s].any())
            if absent.any()
            else ()
        )
        parts: dict[str, object] = {"time_s": time_s}
        for f, s in zip(t.fields, t.slices, strict=True):
            v = values[s]
            if f.per != "chair":
                parts[f.name] = v.reshape(1, -1).copy()
            elif f.kind == "bool":
                parts[f.name] = v != 0
            elif f.name == "fault_flags":
                parts[f.name] = raw[s].astype(np.int64)
            else:
                parts[f.name] = v.copy()
        return header, Readings(**parts)  # type: ignore[arg-type]
