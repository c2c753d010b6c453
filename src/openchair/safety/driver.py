"""The supervised driver: the only way from openchair's control code to a chair's driver.

Every frame written through it passes the safety supervisor first. It keeps the readings it
read last, so the supervisor always judges a frame against what the chair said most recently.
"""

from __future__ import annotations

from openchair.hardware.contract import ChairDescription, ChairDriver, Commands, Readings
from openchair.safety.supervisor import SafetySupervisor


class SupervisedDriver:
    """Wraps a driver; every frame passes ``supervisor.filter`` on its way."""

    def __init__(self, driver: ChairDriver, supervisor: SafetySupervisor) -> None:
        if driver.batch_size != supervisor.batch_size:
            raise ValueError("driver and supervisor must serve the same number of chairs")
        self._driver = driver
        self.supervisor = supervisor
        self._last: Readings | None = None

    @property
    def last_readings(self) -> Readings | None:
        """What the chair said at the last ``read`` (None before the first)."""
        return self._last

    @property
    def description(self) -> ChairDescription:
        return self._driver.description

    @property
    def batch_size(self) -> int:
        return self._driver.batch_size

    def read(self, now_s: float) -> Readings:
        self._last = self._driver.read(now_s)
        return self._last

    def write(self, setpoints: Commands, readings: Readings | None, now_s: float) -> Commands:
        """Filter ``setpoints`` against ``readings`` (None: the last ones read, reading now if
        there are none yet) and send the result; returns the frame the driver got."""
        r = readings if readings is not None else self._last
        if r is None:
            r = self.read(now_s)
        frame = self.supervisor.filter(setpoints, r, now_s)
        self._driver.write(frame, now_s)
        return frame

    def send(self, setpoints: Commands, now_s: float) -> Commands:
        """``write`` against the driver's own last readings."""
        return self.write(setpoints, None, now_s)

    def close(self) -> None:
        self._driver.close()
