"""``open_driver(spec)``: one place that turns a ``--driver`` value into an open driver.

``twin`` (the default) is the digital twin in-process, with the given body and seed;
``serial:PATH`` is a control board on a serial port (``serial:/dev/ttyUSB0``, or the pty path that
``openchair board-emulator`` prints), optionally ``serial:PATH@BAUD``. Commands (``run``, ``scan``,
``selftest``, ``serve``) call this and then use only the driver contract.
"""

from __future__ import annotations

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import ChairDriver
from openchair.hardware.twin import TwinChair


class DriverSpecError(ValueError):
    """A ``--driver`` value that names no driver; the message lists the forms that do."""


def open_driver(spec: str, *, body: BodyParams | None = None, seed: int = 0) -> ChairDriver:
    """The driver named by ``spec``, open and ready.

    ``body`` and ``seed`` only matter to the twin (a real board has a real person in the chair).
    Raises :class:`DriverSpecError` for an unknown spec and
    :class:`~openchair.hardware.serial.LinkError` when a serial board cannot be reached or speaks
    another protocol version.
    """
    kind, _, rest = spec.partition(":")
    if kind == "twin" and not rest:
        params = body or BodyParams.from_percentile(50, "male")
        return TwinChair(BodyBatch.from_params([params]), seeds=[seed])
    if kind == "serial" and rest:
        from openchair.hardware.serial import SerialDriver
        from openchair.hardware.serial.driver import DEFAULT_BAUD

        path, _, baud = rest.partition("@")
        try:
            rate = int(baud) if baud else DEFAULT_BAUD
        except ValueError:
            raise DriverSpecError(f"{spec!r}: the baud rate after @ must be a number") from None
        driver = SerialDriver(path, baudrate=rate)
        driver.open()
        return driver
    raise DriverSpecError(
        f"{spec!r}: use 'twin' (the digital twin) or 'serial:PORT[@BAUD]', "
        "e.g. serial:/dev/ttyUSB0 or the path openchair board-emulator prints"
    )
