"""The board side of the protocol, around the digital twin: what a chair's firmware does.

:class:`Board` is transport-free: bytes in (:meth:`Board.receive`), frames out (:attr:`Board.out`),
and :meth:`Board.tick` called every few milliseconds with the wall clock. It keeps one chair
(a :class:`TwinChair` with one body) and the protocol state: armed after a HELLO of its version,
the last command's sequence number, and the **link watchdog**.

Board time. A real board has its own clock. The twin, to repeat a run exactly, can follow the
host's clock instead (``clock="host"``): each POLL and COMMAND carries the host's time and the
twin steps to it, so a ``--speed fast`` session runs as fast as the link allows and gives the same
result as the twin in-process. The board's safety does not depend on the host's clock: when no
valid frame at all arrives for the watchdog timeout of *wall* time (cable pulled, host dead), the
board time runs on from the last command by the wall clock, so the twin's own watchdog puts the
chair in its safe state 250 ms after the last command. With ``clock="wall"`` the board time is the
wall clock throughout, like a real board.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Literal

from openchair.body.batch import BodyBatch
from openchair.hardware.contract import BoardFault, ChairDescription, CommandRangeError
from openchair.hardware.serial.framing import Frame, FrameDecoder, encode_frame
from openchair.hardware.serial.messages import (
    HELLO,
    PROTOCOL_VERSION,
    STATUS_ARMED,
    TIME,
    BoardHello,
    Codec,
    Event,
    EventKind,
    MsgType,
    PayloadError,
    ReadingsHeader,
    encode_description,
)
from openchair.hardware.twin import TwinChair, TwinFault

ClockMode = Literal["host", "wall"]
TwinFaultAt = tuple[TwinFault, float, str | None]
"""A twin fault, the board time it begins, and its heater or air zone (None: the default)."""
FIRMWARE = "openchair board emulator (digital twin)"


@dataclasses.dataclass(frozen=True)
class WatchdogTrip:
    """The link watchdog acted: when the last valid frame came and when the board went safe."""

    last_frame_wall_s: float
    tripped_wall_s: float
    last_command_board_s: float
    safe_board_s: float


class Board:
    """One emulated control board. See the module docstring."""

    def __init__(
        self,
        bodies: BodyBatch,
        *,
        seed: int = 0,
        description: ChairDescription | None = None,
        clock: ClockMode = "host",
        version: int = PROTOCOL_VERSION,
        boot_id: int = 1,
        twin_faults: list[TwinFaultAt] | None = None,
        log: Callable[[str], None] | None = None,
        link_timeout_s: float | None = None,
    ) -> None:
        """``link_timeout_s``: how long the host may send nothing at all before the board's clock
        runs on by itself (the COMMAND watchdog timeout unless given; tests that compare a run
        with the twin in-process lengthen it, so that a stall of the whole test machine is not
        taken for a pulled cable). ``twin_faults``: (fault, board seconds, heater or zone)."""
        if bodies.batch_size != 1:
            raise ValueError("a board drives one chair")
        self.description = description or ChairDescription()
        self.link_timeout_s = (
            self.description.watchdog_timeout_s if link_timeout_s is None else link_timeout_s
        )
        self._bodies = bodies
        self._seed = seed
        self.clock: ClockMode = clock
        self.version = version
        self.boot_id = boot_id
        self.codec = Codec(self.description)
        self.decoder = FrameDecoder()
        self.out: list[bytes] = []
        self.twin: TwinChair | None = None
        self._pending_faults = sorted(twin_faults or [], key=lambda f: f[1])
        self._log = log or (lambda _: None)
        self._seq = 0
        self.armed = False
        self._last_cmd_seq: int | None = None
        self._last_cmd_board_s = 0.0
        self._last_frame_wall_s: float | None = None
        self._free_run: tuple[float, float] | None = None
        """(wall, board) time at which the board's clock started to run on by itself."""
        self._wall0: float | None = None
        self._offset_s = 0.0
        """Board time minus host time (host clock): set at a session's first timed frame."""
        self._rebase = False
        self._reported_flags = 0
        self.trips: list[WatchdogTrip] = []
        self.rejected = 0
        self.duplicates = 0
        self._send(MsgType.BOARD_HELLO, self._hello().encode())

    # -- time -----------------------------------------------------------------------------------

    @property
    def board_time_s(self) -> float:
        return self.twin.time_s if self.twin is not None else 0.0

    def _target_time(self, host_s: float | None, wall_s: float) -> float | None:
        if self._free_run is not None:
            wall0, board0 = self._free_run
            return board0 + (wall_s - wall0)
        if self.clock == "wall":
            if self._wall0 is None:
                self._wall0 = wall_s
            return wall_s - self._wall0
        if host_s is not None and self._rebase and self.twin is not None:
            # A new host session: its clock may start anywhere; the board's runs on from here.
            self._offset_s = self.twin.time_s - host_s
            self._rebase = False
        return None if host_s is None else host_s + self._offset_s

    def _advance(self, t: float | None) -> TwinChair:
        if self.twin is None:
            start = 0.0 if t is None else t
            self.twin = TwinChair(self._bodies, seeds=[self._seed], start_time_s=start)
            self._last_cmd_board_s = start
        twin = self.twin
        if t is None:
            return twin
        while self._pending_faults and self._pending_faults[0][1] <= t:
            fault, at, target = self._pending_faults.pop(0)
            if at > twin.time_s:
                twin.read(at)
            twin.inject(fault, target=target)
            on = f" on {target}" if target else ""
            self._log(f"twin fault {fault.value}{on} at {twin.time_s:.2f} s")
        if t > twin.time_s:
            twin.read(t)
        return twin

    # -- input ----------------------------------------------------------------------------------

    def receive(self, data: bytes, wall_s: float) -> None:
        for frame in self.decoder.feed(data):
            self._handle(frame, wall_s)

    def _handle(self, frame: Frame, wall_s: float) -> None:
        self._last_frame_wall_s = wall_s
        try:
            kind = MsgType(frame.type)
        except ValueError:
            return  # a message type this board does not know: ignored (forward compatible)
        if kind is MsgType.HELLO:
            self._on_hello(frame)
            return
        if frame.version != self.version:
            return  # a frame of another protocol version: its layout is unknown here
        try:
            if kind is MsgType.POLL:
                self._on_poll(frame, wall_s)
            elif kind is MsgType.COMMAND:
                self._on_command(frame, wall_s)
            elif kind is MsgType.HEARTBEAT:
                TIME.unpack(frame.payload)
            elif kind is MsgType.BYE:
                self._go_safe()
                self.armed = False
        except (PayloadError, ValueError, struct.error) as err:
            self._event(EventKind.COMMAND_REJECTED, frame.seq, f"bad payload: {err}")

    def _on_hello(self, frame: Frame) -> None:
        try:
            lo, hi = HELLO.unpack(frame.payload)
        except struct.error:
            return  # not a HELLO of any version: ignored
        self._send(MsgType.BOARD_HELLO, self._hello().encode())
        if not lo <= self.version <= hi:
            self.armed = False
            self._event(
                EventKind.VERSION_UNSUPPORTED,
                frame.seq,
                f"this board speaks protocol version {self.version}, the host {lo}..{hi}",
            )
            return
        self._send(MsgType.DESCRIPTION, encode_description(self.description))
        self.armed = True
        self._last_cmd_seq = None
        self._rebase = True
        if self._free_run is not None and self.clock == "host":
            self._free_run = None  # the host is back and owns the clock again

    def _on_poll(self, frame: Frame, wall_s: float) -> None:
        (host_ms,) = TIME.unpack(frame.payload)
        twin = self._advance(self._target_time(host_ms / 1000.0, wall_s))
        readings = twin.read(twin.time_s)
        header = ReadingsHeader(
            poll_seq=frame.seq,
            command_seq=self._last_cmd_seq or 0,
            board_time_ms=round(twin.time_s * 1000) & 0xFFFFFFFF,
            status=STATUS_ARMED if self.armed else 0,
        )
        self._send(MsgType.READINGS, self.codec.encode_readings(readings, header))
        flags = int(readings.fault_flags[0])
        if flags != self._reported_flags:
            raised, cleared = flags & ~self._reported_flags, self._reported_flags & ~flags
            if raised:
                self._event(EventKind.FAULT_RAISED, frame.seq, repr(BoardFault(raised)), flags)
            if cleared:
                self._event(EventKind.FAULT_CLEARED, frame.seq, repr(BoardFault(cleared)), flags)
            self._reported_flags = flags

    def _on_command(self, frame: Frame, wall_s: float) -> None:
        if not self.armed:
            self.rejected += 1
            self._event(EventKind.NOT_ARMED, frame.seq, "not armed: send HELLO first")
            return
        if self._last_cmd_seq is not None:
            ahead = (frame.seq - self._last_cmd_seq) & 0xFFFF
            if ahead == 0 or ahead >= 0x8000:
                self.duplicates += 1  # a repeated or late frame: a newer one already counts
                return
        host_ms, commands = self.codec.decode_commands(frame.payload)
        twin = self._advance(self._target_time(host_ms / 1000.0, wall_s))
        try:
            twin.write(commands, twin.time_s)
        except CommandRangeError as err:
            self.rejected += 1
            self._event(EventKind.COMMAND_REJECTED, frame.seq, str(err))
            return
        self._last_cmd_seq = frame.seq
        self._last_cmd_board_s = twin.time_s

    # -- the link watchdog and scheduled work ---------------------------------------------------

    def tick(self, wall_s: float) -> None:
        """Call every few ms: the link watchdog, and the board clock when it runs by itself."""
        timeout = self.description.watchdog_timeout_s
        last = self._last_frame_wall_s
        if (
            self._free_run is None
            and self.clock == "host"
            and last is not None
            and wall_s - last >= self.link_timeout_s
        ):
            # Nothing from the host for the timeout: from now on the board's clock is its own,
            # counted from the last command, so the twin's watchdog acts as a real board's would.
            twin = self._advance(None)
            safe_at = self._last_cmd_board_s + timeout
            self._free_run = (wall_s, max(twin.time_s, safe_at))
            self._advance(max(twin.time_s, safe_at))
            self.trips.append(WatchdogTrip(last, wall_s, self._last_cmd_board_s, safe_at))
            self._log(f"link silent for {(wall_s - last) * 1000:.0f} ms: safe state")
        if self._free_run is not None or self.clock == "wall":
            self._advance(self._target_time(None, wall_s))

    def reboot(self, boot_id: int) -> None:
        """Restart: safe state, not armed, a new boot id, and an unsolicited BOARD_HELLO."""
        self._go_safe()
        self.armed = False
        self._last_cmd_seq = None
        self.boot_id = boot_id
        self.decoder = FrameDecoder()
        self._reported_flags = 0
        self._send(MsgType.BOARD_HELLO, self._hello().encode())
        self._log(f"rebooted (boot id {boot_id:#010x})")

    def _go_safe(self) -> None:
        if self.twin is not None:
            self.twin.close()

    # -- output ---------------------------------------------------------------------------------

    def _hello(self) -> BoardHello:
        return BoardHello(self.version, self.boot_id, FIRMWARE)

    def _event(self, kind: EventKind, ref_seq: int, text: str, flags: int = 0) -> None:
        self._send(MsgType.EVENT, Event(int(kind), flags, ref_seq & 0xFFFF, text).encode())

    def _send(self, kind: MsgType, payload: bytes) -> None:
        self.out.append(encode_frame(self.version, int(kind), self._seq, payload))
        self._seq = (self._seq + 1) & 0xFFFF
