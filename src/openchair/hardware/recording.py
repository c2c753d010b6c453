"""A driver wrapper that keeps every frame it passes on: for tests, benchmarks and debugging.

It satisfies the driver contract itself, so it can stand between any caller and any driver.
"""

from __future__ import annotations

from openchair.hardware.contract import ChairDescription, ChairDriver, Commands, Readings


class RecordingDriver:
    """Passes everything to ``inner`` and records ``(now_s, frame)`` for each write."""

    def __init__(self, inner: ChairDriver) -> None:
        self.inner = inner
        self.writes: list[tuple[float, Commands]] = []
        self.frames: list[Commands] = []

    @property
    def description(self) -> ChairDescription:
        return self.inner.description

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def open(self) -> None:
        self.inner.open()

    def read(self, now_s: float) -> Readings:
        return self.inner.read(now_s)

    def write(self, commands: Commands, now_s: float) -> None:
        frame = commands.copy()
        self.writes.append((now_s, frame))
        self.frames.append(frame)
        self.inner.write(commands, now_s)

    def close(self) -> None:
        self.inner.close()
