"""Frames on a byte stream: COBS-encoded, ``0x00``-delimited, each with its own CRC-32.

A frame on the wire is ``COBS(header ‖ payload ‖ CRC-32) 0x00``. COBS (Consistent Overhead Byte
Stuffing) removes every zero byte from the frame, so ``0x00`` marks a frame's end and nothing
else: after a lost, corrupted or inserted byte the receiver loses at most the frame it was in and
is back in step at the next ``0x00``. The CRC (CRC-32/ISO-HDLC, the one of zlib, Ethernet and the
STM32 CRC unit) rejects whatever COBS decoding lets through. docs/PROTOCOL.md §2 specifies it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from cobs import cobs

HEADER = struct.Struct("<BBH")
"""version (u8), message type (u8), sequence number (u16): the first four bytes of every frame."""
CRC_BYTES = 4
MAX_FRAME_BYTES = 1024
"""Longest decoded frame (header, payload, CRC) a receiver accepts; longer input is garbage."""
MIN_FRAME_BYTES = HEADER.size + CRC_BYTES
DELIMITER = b"\x00"


@dataclass(frozen=True)
class Frame:
    """One frame whose CRC matched: the header's fields and the payload bytes."""

    version: int
    type: int
    seq: int
    payload: bytes


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC (poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF; check 0xCBF43926)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_frame(version: int, msg_type: int, seq: int, payload: bytes) -> bytes:
    """The bytes to send for one frame, delimiter included."""
    body = HEADER.pack(version, msg_type, seq & 0xFFFF) + payload
    if len(body) + CRC_BYTES > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {len(body) + CRC_BYTES} bytes exceeds {MAX_FRAME_BYTES}")
    return bytes(cobs.encode(body + crc32(body).to_bytes(4, "little"))) + DELIMITER


def decode_frame(encoded: bytes) -> Frame | None:
    """One frame from the bytes between two delimiters, or None if they are not a valid frame."""
    if not encoded or len(encoded) > MAX_FRAME_BYTES + MAX_FRAME_BYTES // 254 + 1:
        return None
    try:
        raw = bytes(cobs.decode(encoded))
    except cobs.DecodeError:
        return None
    if len(raw) < MIN_FRAME_BYTES:
        return None
    body, tail = raw[:-CRC_BYTES], raw[-CRC_BYTES:]
    if crc32(body) != int.from_bytes(tail, "little"):
        return None
    version, msg_type, seq = HEADER.unpack_from(body)
    return Frame(version, msg_type, seq, body[HEADER.size :])


@dataclass
class LinkStats:
    """What a receiver threw away, and why: the link's health in numbers."""

    frames: int = 0
    bad_frames: int = 0
    """Chunks between delimiters that failed COBS, length or CRC checks."""
    overflows: int = 0
    """Runs of bytes longer than any frame without a delimiter (garbage or a lost delimiter)."""


@dataclass
class FrameDecoder:
    """Splits a byte stream into frames; any input at all is safe to feed."""

    stats: LinkStats = field(default_factory=LinkStats)
    _buf: bytearray = field(default_factory=bytearray)
    _discarding: bool = False

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        limit = MAX_FRAME_BYTES + MAX_FRAME_BYTES // 254 + 1
        while True:
            end = data.find(DELIMITER, start)
            if end < 0:
                self._buf += data[start:]
                if len(self._buf) > limit:
                    if not self._discarding:
                        self.stats.overflows += 1
                    self._discarding = True
                    self._buf.clear()
                return frames
            chunk = bytes(self._buf) + data[start:end] if self._buf else data[start:end]
            self._buf.clear()
            start = end + 1
            if self._discarding:
                self._discarding = False
                continue
            if not chunk:
                continue
            frame = decode_frame(chunk)
            if frame is None:
                self.stats.bad_frames += 1
            else:
                self.stats.frames += 1
                frames.append(frame)
