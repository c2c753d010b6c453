"""Hardware abstraction: the driver contract, and the drivers behind it (the twin first)."""

from openchair.hardware.contract import (
    AIR_ZONES,
    HEATERS,
    BoardFault,
    ChairDescription,
    ChairDriver,
    CommandRangeError,
    Commands,
    Readings,
    TapMode,
)

__all__ = [
    "AIR_ZONES",
    "HEATERS",
    "BoardFault",
    "ChairDescription",
    "ChairDriver",
    "CommandRangeError",
    "Commands",
    "Readings",
    "TapMode",
]
