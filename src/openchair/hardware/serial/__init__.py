"""The serial driver: openchair's binary protocol to a chair's control board, and a board emulator.

Modules, one job each: ``framing`` (COBS + CRC-32 frames on the byte stream), ``fields`` (the
field tables: wire type, scaling and unit of every value), ``messages`` (the message types and
their payloads), ``driver`` (:class:`SerialDriver`, the host side), ``board`` (the board's protocol
logic around the digital twin), ``linkfaults`` (injectable faults of the wire) and ``emulator``
(the board behind a pseudo-terminal). docs/PROTOCOL.md is the specification.
"""

from openchair.hardware.serial.driver import (
    BoardRebootedError,
    LinkError,
    ProtocolVersionError,
    SerialDriver,
)
from openchair.hardware.serial.messages import PROTOCOL_VERSION

__all__ = [
    "PROTOCOL_VERSION",
    "BoardRebootedError",
    "LinkError",
    "ProtocolVersionError",
    "SerialDriver",
]
