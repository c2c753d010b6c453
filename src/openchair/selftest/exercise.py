"""Driving a chair for the self-test: one frame every control tick, through the contract only.

The self-test must work on a real board, so it never looks behind the driver contract: it writes
complete, in-range frames at the control rate (keeping the board's watchdog fed) and collects the
readings. Time comes from a :class:`Ticker`: simulated for the twin, real for a chair.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from openchair.hardware.contract import ChairDriver, Commands, Readings

TICK_S = 0.01


class Ticker(Protocol):
    """A time source that can wait until a moment."""

    def now_s(self) -> float: ...

    def sleep_until(self, t_s: float) -> None: ...


@dataclass
class SimulatedTicker:
    """Simulated time: waiting is instant, so the twin runs as fast as the machine allows."""

    t_s: float = 0.0

    def now_s(self) -> float:
        return self.t_s

    def sleep_until(self, t_s: float) -> None:
        self.t_s = max(self.t_s, t_s)


class RealTicker:
    """Wall-clock time for a real chair."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def now_s(self) -> float:
        return time.monotonic() - self._start

    def sleep_until(self, t_s: float) -> None:
        delay = t_s - self.now_s()
        if delay > 0:
            time.sleep(delay)


Until = Callable[[Readings], bool]


class Exerciser:
    """Holds the frame being sent and sends it every tick, collecting readings (chair 0)."""

    def __init__(self, driver: ChairDriver, ticker: Ticker) -> None:
        if driver.batch_size != 1:
            raise ValueError("the self-test checks one chair at a time")
        self.driver = driver
        self.ticker = ticker
        self.last = driver.read(ticker.now_s())
        self.frame = Commands.safe(
            driver.description,
            1,
            carriage_y_mm=self.last.carriage_y_mm,
            backrest_angle_deg=self.last.backrest_angle_deg,
            legrest_angle_deg=self.last.legrest_angle_deg,
        )
        self.elapsed_s = 0.0

    def run(self, seconds: float, until: Until | None = None) -> list[Readings]:
        """Send the current frame for up to ``seconds``; stop early once ``until`` holds."""
        out: list[Readings] = []
        for _ in range(max(1, round(seconds / TICK_S))):
            t = self.ticker.now_s()
            self.driver.write(self.frame, t)
            self.ticker.sleep_until(t + TICK_S)
            self.last = self.driver.read(self.ticker.now_s())
            self.elapsed_s += TICK_S
            out.append(self.last)
            if until is not None and until(self.last):
                break
        return out

    def silence(self, seconds: float) -> Readings:
        """Send nothing for a while (to see the board's watchdog act), then read."""
        self.ticker.sleep_until(self.ticker.now_s() + seconds)
        self.elapsed_s += seconds
        self.last = self.driver.read(self.ticker.now_s())
        return self.last

    def make_safe(self) -> None:
        """Back to the safe frame, holding the current positions."""
        self.frame = Commands.safe(
            self.driver.description,
            1,
            carriage_y_mm=self.last.carriage_y_mm.clip(
                self.driver.description.carriage_y_min_mm, self.driver.description.carriage_y_max_mm
            ),
            backrest_angle_deg=self.last.backrest_angle_deg,
            legrest_angle_deg=self.last.legrest_angle_deg,
        )
