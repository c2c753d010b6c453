"""Faults of the wire between host and board, injectable in the board emulator.

Each fault is named on the command line as ``NAME[=VALUE][@SECONDS]`` (SECONDS in board time,
from the first frame): ``drop_bytes=0.001`` loses each byte with that probability,
``corrupt_bytes=0.001`` flips bits, ``delay=5`` holds the board's frames 5 ms, ``duplicate`` sends
every frame twice, ``garbage@3`` injects a burst of random bytes both ways, ``cable_pulled@3``
cuts both directions for good, ``reboot@3`` restarts the board, ``wrong_version`` makes the
board speak protocol version 2. docs/PROTOCOL.md §8 lists what each one does to a session.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class LinkFault(enum.StrEnum):
    DROP_BYTES = "drop_bytes"
    CORRUPT_BYTES = "corrupt_bytes"
    DELAY = "delay"
    DUPLICATE = "duplicate"
    GARBAGE = "garbage"
    CABLE_PULLED = "cable_pulled"
    REBOOT = "reboot"
    WRONG_VERSION = "wrong_version"


_DEFAULT_VALUE = {
    LinkFault.DROP_BYTES: 0.001,
    LinkFault.CORRUPT_BYTES: 0.001,
    LinkFault.DELAY: 5.0,
    LinkFault.GARBAGE: 64.0,
}
_PROBABILITIES = {LinkFault.DROP_BYTES, LinkFault.CORRUPT_BYTES}
_EVENTS = {LinkFault.GARBAGE, LinkFault.CABLE_PULLED, LinkFault.REBOOT}
"""Faults that happen once, at a moment; the others hold from their moment on."""


@dataclass(frozen=True)
class ScheduledLinkFault:
    fault: LinkFault
    value: float
    at_s: float

    @property
    def once(self) -> bool:
        return self.fault in _EVENTS


def parse_link_fault(text: str) -> ScheduledLinkFault:
    """``NAME[=VALUE][@SECONDS]`` → a scheduled fault; ValueError with the known names."""
    head, _, when = text.partition("@")
    name, _, value = head.partition("=")
    try:
        fault = LinkFault(name.strip())
    except ValueError:
        known = ", ".join(f.value for f in LinkFault)
        raise ValueError(f"unknown link fault {name!r}; link faults: {known}") from None
    try:
        v = float(value) if value else _DEFAULT_VALUE.get(fault, 0.0)
        at = float(when) if when else 0.0
    except ValueError:
        raise ValueError(
            f"{text!r}: expected NAME[=VALUE][@SECONDS], e.g. drop_bytes=0.01@2"
        ) from None
    if at < 0 or v < 0 or (fault in _PROBABILITIES and v > 1):
        raise ValueError(f"{text!r}: the value or the time is out of range")
    return ScheduledLinkFault(fault, v, at)


class ByteFaults:
    """Applies the byte-level faults (drop, corrupt) to a chunk, with a seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.drop_p = 0.0
        self.corrupt_p = 0.0

    def apply(self, data: bytes) -> bytes:
        if not data or (self.drop_p == 0.0 and self.corrupt_p == 0.0):
            return data
        arr = np.frombuffer(data, dtype=np.uint8).copy()
        if self.corrupt_p:
            hit = self.rng.random(arr.size) < self.corrupt_p
            arr[hit] ^= self.rng.integers(1, 256, int(hit.sum()), dtype=np.uint8)
        if self.drop_p:
            arr = arr[self.rng.random(arr.size) >= self.drop_p]
        return arr.tobytes()
