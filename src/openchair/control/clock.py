"""Clocks for the control loop: real time for a chair, simulated time for tests and verification.

The loop asks the clock to wait until each tick is due and how late it woke; everything else is
the same code path whichever clock drives it.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    def now_s(self) -> float: ...

    def sleep_until(self, t_s: float) -> None: ...

    def late_by_s(self, t_s: float) -> float:
        """How late, in wall-clock seconds, the tick due at ``t_s`` is running."""
        ...


@dataclass
class SimulatedClock:
    """Simulated time: deterministic, never late.

    Without ``pace`` waiting is instant and a session runs as fast as the machine allows. With
    ``pace`` (e.g. 10) simulated time is held to at most that many times wall time, for demos;
    falling behind is not a missed deadline here, because no real chair is waiting.
    """

    t_s: float = 0.0
    pace: float | None = None
    _wall_start: float = field(default_factory=time.monotonic)

    def now_s(self) -> float:
        return self.t_s

    def sleep_until(self, t_s: float) -> None:
        self.t_s = max(self.t_s, t_s)
        if self.pace is not None:
            ahead = self.t_s / self.pace - (time.monotonic() - self._wall_start)
            if ahead > 0.001:
                time.sleep(ahead)

    def late_by_s(self, t_s: float) -> float:
        return 0.0


LATENESS_KEPT = 100_000
"""Wake-ups whose lateness a real clock keeps: the last 1,000 s at 100 Hz (a service runs for
months; an unbounded list would grow by megabytes an hour)."""


@dataclass
class RealClock:
    """Monotonic wall time, optionally sped up ``speed`` times (a demo at 10× real time).

    It records how late each recent wake-up was (in session seconds), for jitter figures.
    """

    speed: float = 1.0
    lateness_s: deque[float] = field(default_factory=lambda: deque(maxlen=LATENESS_KEPT))
    _start: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed: {self.speed} must be above 0")

    def now_s(self) -> float:
        return (time.monotonic() - self._start) * self.speed

    def sleep_until(self, t_s: float) -> None:
        delay = (t_s - self.now_s()) / self.speed
        if delay > 0.0005:
            time.sleep(delay - 0.0003)
        while self.now_s() < t_s:  # the last 0.3 ms by polling: sleep overshoots
            pass
        self.lateness_s.append(self.late_by_s(t_s))

    def late_by_s(self, t_s: float) -> float:
        return max(0.0, (self.now_s() - t_s) / self.speed)
