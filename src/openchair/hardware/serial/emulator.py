"""The board emulator behind a pseudo-terminal: the host opens the pty's path like a serial port.

:class:`BoardEmulator` moves bytes between the pty and a :class:`~.board.Board`, and applies the
link faults on the way (docs/PROTOCOL.md §8). It runs in a thread (tests, benchmarks) or in the
foreground (``openchair board-emulator``). A pty has no baud rate and a large buffer, so it is
faster and more forgiving than a UART; the protocol's timing (§6) is what a real link must meet.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from openchair.hardware.serial.board import Board
from openchair.hardware.serial.linkfaults import ByteFaults, LinkFault, ScheduledLinkFault

Clock = Callable[[], float]
POLL_S = 0.002
"""How often the loop wakes without input, for the link watchdog and scheduled faults."""


@dataclass
class LinkCounters:
    bytes_in: int = 0
    bytes_out: int = 0
    overrun_bytes: int = 0
    """Bytes the host did not take in time (the pty buffer was full): lost, as on a UART."""
    faults_applied: list[str] = field(default_factory=list)


class BoardEmulator:
    """A :class:`Board` on the master side of a new pty; :attr:`path` is the port to open."""

    def __init__(
        self,
        board: Board,
        *,
        link_faults: list[ScheduledLinkFault] | None = None,
        seed: int = 0,
        clock: Clock = time.monotonic,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.board = board
        self._clock = clock
        self._log = log or (lambda _: None)
        self._pending = sorted(link_faults or [], key=lambda f: f.at_s)
        self._rng = np.random.default_rng(seed)
        self._bytes_in = ByteFaults(self._rng)
        self._bytes_out = ByteFaults(self._rng)
        self._delay_s = 0.0
        self._duplicate = False
        self.cable_pulled = False
        self._delayed: list[tuple[float, bytes]] = []
        self.counters = LinkCounters()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> BoardEmulator:
        """Serve in a background thread (tests and benchmarks)."""
        self._thread = threading.Thread(target=self.serve, name="board-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> BoardEmulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def serve(self) -> None:
        """Move bytes until :meth:`stop` (or Ctrl-C in the foreground)."""
        self._flush(self._clock())  # the BOARD_HELLO of the boot
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], POLL_S)
            now = self._clock()
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                if data and not self.cable_pulled:
                    self.counters.bytes_in += len(data)
                    self.board.receive(self._bytes_in.apply(data), now)
            self.board.tick(now)
            self._scheduled(now)
            self._flush(now)

    # -- faults ---------------------------------------------------------------------------------

    def _scheduled(self, now: float) -> None:
        while self._pending and self._pending[0].at_s <= self.board.board_time_s:
            f = self._pending.pop(0)
            self.counters.faults_applied.append(f.fault.value)
            self._log(f"link fault {f.fault.value} at {self.board.board_time_s:.2f} s")
            if f.fault is LinkFault.DROP_BYTES:
                self._bytes_in.drop_p = self._bytes_out.drop_p = f.value
            elif f.fault is LinkFault.CORRUPT_BYTES:
                self._bytes_in.corrupt_p = self._bytes_out.corrupt_p = f.value
            elif f.fault is LinkFault.DELAY:
                self._delay_s = f.value / 1000.0
            elif f.fault is LinkFault.DUPLICATE:
                self._duplicate = True
            elif f.fault is LinkFault.GARBAGE:
                junk = self._rng.integers(0, 256, int(f.value), dtype=np.uint8).tobytes()
                self.board.receive(junk, now)
                self._write(junk)
            elif f.fault is LinkFault.CABLE_PULLED:
                self.cable_pulled = True
            elif f.fault is LinkFault.REBOOT:
                self.board.reboot(int(self._rng.integers(2, 2**32)))
            # WRONG_VERSION is a property of the board itself, set when it is built.

    # -- output ---------------------------------------------------------------------------------

    def _flush(self, now: float) -> None:
        frames, self.board.out = self.board.out, []
        for frame in frames:
            self._delayed.append((now + self._delay_s, frame + frame if self._duplicate else frame))
        while self._delayed and self._delayed[0][0] <= now:
            _, data = self._delayed.pop(0)
            if not self.cable_pulled:
                self._write(self._bytes_out.apply(data))

    def _write(self, data: bytes) -> None:
        try:
            n = os.write(self._master, data)
        except (BlockingIOError, OSError):
            n = 0
        self.counters.bytes_out += n
        self.counters.overrun_bytes += len(data) - n
