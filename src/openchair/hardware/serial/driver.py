"""``SerialDriver``: the driver contract over a serial line to a chair's control board.

One chair (N = 1). Every ``read`` sends a POLL and waits for the READINGS that answers it; every
``write`` sends a COMMAND (the board's watchdog is fed by COMMAND frames only). Between frames a
background thread sends a HEARTBEAT when nothing else went out for ``heartbeat_s``, so the board
knows the host is there while it thinks (a heartbeat never feeds the command watchdog).

Faults the host cannot repair itself end fresh readings: ``read`` keeps returning the last good
readings, whose ``time_s`` ages, so the safety supervisor latches ``driver_lost`` and the session
goes to its safe state. That happens when the board stops answering (cable pulled, board dead)
and when the board restarts mid-session (a new boot id, or readings saying it is not armed): the
massage is not resumed by itself; :meth:`SerialDriver.open` again starts afresh. :attr:`fault`
says why, in words. A board speaking another protocol version is refused at :meth:`open`.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from collections.abc import Callable

import serial

from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.serial.framing import Frame, FrameDecoder, LinkStats, encode_frame
from openchair.hardware.serial.messages import (
    HELLO,
    PROTOCOL_VERSION,
    READINGS_PREFIX,
    STATUS_ARMED,
    TIME,
    BoardHello,
    Codec,
    Event,
    EventKind,
    MsgType,
    PayloadError,
    decode_description,
    time_ms,
)

_LOG = logging.getLogger("openchair.serial")
DEFAULT_BAUD = 921600
LINK_DOWN_PROBE_S = 0.002
POLLS_REMEMBERED = 64
"""A READINGS answering a POLL older than this many frames is too old to use."""


class LinkError(OSError):
    """The board cannot be reached or does not answer as a board (the message names the port).

    An ``OSError``, as the driver contract's ``open()`` promises for a chair that cannot be
    reached."""


class ProtocolVersionError(LinkError):
    """The board speaks another protocol version; nothing is sent to it."""


class BoardRebootedError(LinkError):
    """The board restarted while a session was running."""


class SerialDriver:
    """The driver contract over a serial port (a path, or an open pyserial port for tests).

    ``reply_timeout_s`` (20 ms) bounds the wait for a READINGS: long enough for any working link,
    short enough that a lost frame does not make the 100 Hz loop miss its 50 ms deadline.
    ``heartbeat_s``: the longest the host stays silent. ``lost_after_misses``: polls in a row
    without their answer before the link is reported down and only probed briefly.
    """

    def __init__(
        self,
        port: str | serial.Serial,
        *,
        baudrate: int = DEFAULT_BAUD,
        reply_timeout_s: float = 0.02,
        open_timeout_s: float = 2.0,
        heartbeat_s: float = 0.05,
        lost_after_misses: int = 3,
        report: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._port_spec = port
        self._baudrate = baudrate
        self.reply_timeout_s = reply_timeout_s
        self.open_timeout_s = open_timeout_s
        self.heartbeat_s = heartbeat_s
        self.lost_after_misses = lost_after_misses
        self._report = report or _LOG.warning
        self._clock = clock
        self._port: serial.Serial | None = None
        self._decoder = FrameDecoder()
        self._pending: list[Frame] = []
        self._poll_times: dict[int, float] = {}
        """Host time of each recent POLL, by its seq: a READINGS is stamped with its POLL's."""
        self._taken_seq: int | None = None
        self._codec: Codec | None = None
        self._desc: ChairDescription | None = None
        self._last: Readings | None = None
        self._seq = 0
        self._host_ms = 0
        self._last_sent = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.boot_id: int | None = None
        self.fault: str | None = None
        """Why fresh readings stopped (link lost, board restarted), or None while all is well."""
        self.misses = 0
        """Consecutive POLLs without their READINGS."""
        self.missed_total = 0
        self.events: list[Event] = []

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the port, agree on the protocol version and learn the chair's description.

        Raises :class:`ProtocolVersionError` for a board of another version and
        :class:`LinkError` when nothing answers as a board within ``open_timeout_s``. Calling it
        again while the link is well does nothing; after a fault (the board restarted) it starts
        afresh, which re-arms the board: that is the explicit step that lets a massage go on.
        """
        if self._port is not None and self._codec is not None and self.fault is None:
            return  # open and well: opening again is harmless, as for every driver
        if self._port is None:
            if isinstance(self._port_spec, str):
                try:
                    self._port = serial.Serial(self._port_spec, self._baudrate, timeout=0)
                except (serial.SerialException, OSError) as err:
                    raise LinkError(f"cannot open {self._port_spec}: {err}") from None
            else:
                self._port = self._port_spec
        self.fault = None
        self.misses = 0
        self._send(MsgType.HELLO, HELLO.pack(PROTOCOL_VERSION, PROTOCOL_VERSION))
        hello: BoardHello | None = None
        deadline = self._clock() + self.open_timeout_s
        while self._desc is None or hello is None:
            frame = self._next_frame(deadline)
            if frame is None:
                if hello is not None and hello.protocol_version != PROTOCOL_VERSION:
                    break
                raise LinkError(
                    f"no answer from a board on {self._port_name} within "
                    f"{self.open_timeout_s:g} s (is the board powered and the cable in?)"
                )
            if frame.type == MsgType.BOARD_HELLO:
                try:
                    hello = BoardHello.decode(frame.payload)
                except PayloadError:
                    continue
                if hello.protocol_version != PROTOCOL_VERSION:
                    break
            elif frame.type == MsgType.DESCRIPTION and frame.version == PROTOCOL_VERSION:
                self._desc = decode_description(frame.payload)
            elif frame.type == MsgType.EVENT:
                self._note_event(frame)
        if hello is None or hello.protocol_version != PROTOCOL_VERSION:
            version = "?" if hello is None else str(hello.protocol_version)
            self.close_port()
            raise ProtocolVersionError(
                f"the board on {self._port_name} speaks openchair serial protocol version "
                f"{version}; this openchair speaks version {PROTOCOL_VERSION}. Update the board's "
                "firmware or openchair so that both speak the same version; nothing was sent to "
                "the chair's motors."
            )
        assert self._desc is not None
        self.boot_id = hello.boot_id
        self._codec = Codec(self._desc)
        self._last = None
        self._taken_seq = None
        self._poll_times.clear()
        if self._heartbeat is None:
            self._stop.clear()
            self._heartbeat = threading.Thread(target=self._beat, name="serial-heartbeat")
            self._heartbeat.daemon = True
            self._heartbeat.start()

    def close(self) -> None:
        """Safe state: BYE tells the board to stop everything and disarm; then the port closes."""
        if self._port is not None and self._desc is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._send(MsgType.BYE, b"")
        self.close_port()

    def close_port(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=1.0)
            self._heartbeat = None
        if self._port is not None:
            if isinstance(self._port_spec, str):
                self._port.close()
            self._port = None

    # -- the contract ---------------------------------------------------------------------------

    @property
    def description(self) -> ChairDescription:
        if self._desc is None:
            raise LinkError("the serial driver is not open: call open() first")
        return self._desc

    @property
    def batch_size(self) -> int:
        return 1

    @property
    def stats(self) -> LinkStats:
        return self._decoder.stats

    def read(self, now_s: float) -> Readings:
        """The readings as of ``now_s``; the last good ones (ageing) if the link has failed."""
        if self._codec is None or self._port is None:
            raise LinkError("the serial driver is not open: call open() first")
        if self._last is None:
            # The first readings after open: the board's clock starts from this POLL's time.
            if not self._poll(now_s, self.open_timeout_s):
                raise LinkError(
                    f"the board on {self._port_name} answered HELLO but sends no readings"
                    + (f": {self.fault}" if self.fault else "")
                )
        elif self.fault is None:
            # Once the link looks down, only a short look per tick (a fast-running session must
            # not stall): any answer that arrives, even to an earlier POLL, brings it back.
            lost = self.misses >= self.lost_after_misses
            wait = min(self.reply_timeout_s, LINK_DOWN_PROBE_S) if lost else self.reply_timeout_s
            self._poll(now_s, wait)
        assert self._last is not None
        return self._last

    def write(self, commands: Commands, now_s: float) -> None:
        """Send one command frame; raises ``CommandRangeError`` before anything is sent."""
        if self._codec is None or self._port is None:
            raise LinkError("the serial driver is not open: call open() first")
        commands.validate(self.description)
        payload = self._codec.encode_commands(commands, time_ms(now_s))
        self._host_ms = time_ms(now_s)
        try:
            self._send(MsgType.COMMAND, payload)
        except (serial.SerialException, OSError) as err:
            self._fail(f"cannot write to the board: {err}")

    # -- internals ------------------------------------------------------------------------------

    @property
    def _port_name(self) -> str:
        return self._port_spec if isinstance(self._port_spec, str) else "the port"

    def _poll(self, now_s: float, wait_s: float) -> bool:
        """Ask for readings as of ``now_s`` and wait up to ``wait_s`` for them.

        A READINGS that answers an earlier POLL (a slow or lossy link) is taken too if it is the
        newest yet, stamped with that POLL's time, so the supervisor judges its true age. True
        once the answer to this POLL has come in time; only that counts the link as well.
        """
        self._host_ms = time_ms(now_s)
        try:
            seq = self._send(MsgType.POLL, TIME.pack(self._host_ms))
        except (serial.SerialException, OSError) as err:
            self._fail(f"cannot write to the board: {err}")
            return False
        self._poll_times[seq] = now_s
        self._poll_times.pop((seq - POLLS_REMEMBERED) & 0xFFFF, None)
        deadline = self._clock() + wait_s
        while True:
            frame = self._next_frame(deadline)
            if frame is None:
                break
            if frame.type == MsgType.READINGS and frame.version == PROTOCOL_VERSION:
                if self._take_readings(frame) == seq:
                    self.misses = 0
                    return True
                if self.fault is not None:
                    return False
            elif frame.type == MsgType.BOARD_HELLO:
                self._note_hello(frame)
                if self.fault is not None:
                    return False
            elif frame.type == MsgType.EVENT:
                self._note_event(frame)
        self.misses += 1
        self.missed_total += 1
        if self.misses == self.lost_after_misses:
            self._report(
                f"serial: no readings from the board for {self.misses} polls in a row; "
                "the safety supervisor stops the session once the readings are too old"
            )
        return False

    def _take_readings(self, frame: Frame) -> int | None:
        """Keep a READINGS frame if it is the newest; return its POLL's seq (None: not kept)."""
        assert self._codec is not None
        if len(frame.payload) < READINGS_PREFIX.size:
            return None
        poll_seq = int(READINGS_PREFIX.unpack_from(frame.payload)[0])
        asked_at = self._poll_times.get(poll_seq)
        ahead = (poll_seq - self._taken_seq) & 0xFFFF if self._taken_seq is not None else 1
        if asked_at is None or not 0 < ahead < 0x8000:
            return None  # a repeat, or older than what the host already has
        try:
            header, readings = self._codec.decode_readings(frame.payload, asked_at)
        except PayloadError:
            return None
        if self._last is not None and not header.status & STATUS_ARMED:
            self._fail(
                "the board is no longer armed (it restarted or was told BYE): it holds "
                "its safe state; the session is not resumed"
            )
            return None
        # The safety rules compare readings with limits, and a NaN compares false with everything:
        # a missing reading would pass them unseen. So it is never handed on; the driver stops
        # with a fault and the supervisor's ``driver_lost`` puts the chair in its safe state.
        missing = self._codec.last_missing
        if missing:
            self._fail(
                "the board reports no valid reading for "
                f"{', '.join(missing)}: the chair cannot be driven safely without it"
            )
            return None
        self._last = readings
        self._taken_seq = poll_seq
        return poll_seq

    def _note_hello(self, frame: Frame) -> None:
        try:
            hello = BoardHello.decode(frame.payload)
        except PayloadError:
            return
        if self.boot_id is not None and hello.boot_id != self.boot_id:
            self._fail(
                f"the board restarted (boot id {self.boot_id:#010x} -> {hello.boot_id:#010x}): "
                "it holds its safe state; the session is not resumed"
            )

    def _note_event(self, frame: Frame) -> None:
        try:
            event = Event.decode(frame.payload)
        except PayloadError:
            return
        self.events.append(event)
        if event.kind in (EventKind.COMMAND_REJECTED, EventKind.VERSION_UNSUPPORTED):
            self._report(f"serial: board: {event.text}")

    def _fail(self, why: str) -> None:
        if self.fault is None:
            self.fault = why
            self._report(f"serial: {why}")

    def _next_frame(self, deadline: float) -> Frame | None:
        """The next decoded frame, or None once ``deadline`` (on the driver's clock) passes."""
        assert self._port is not None
        if self._pending:
            return self._pending.pop(0)
        while True:
            remaining = deadline - self._clock()
            try:
                # Wait on the descriptor ourselves: changing pyserial's timeout reconfigures the
                # port (tcsetattr) on every call, which costs more than the exchange itself.
                ready, _, _ = select.select([self._port.fileno()], [], [], max(0.0, remaining))
                data = self._port.read(self._port.in_waiting or 1) if ready else b""
            except (serial.SerialException, OSError, ValueError) as err:
                self._fail(f"cannot read from the board: {err}")
                return None
            if data:
                frames = self._decoder.feed(data)
                if frames:
                    self._pending = frames[1:]
                    return frames[0]
            if remaining <= 0:
                return None

    def _send(self, kind: MsgType, payload: bytes) -> int:
        assert self._port is not None
        with self._lock:
            seq = self._seq
            self._seq = (self._seq + 1) & 0xFFFF
            self._port.write(encode_frame(PROTOCOL_VERSION, int(kind), seq, payload))
            self._last_sent = self._clock()
        return seq

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s / 2):
            if self._clock() - self._last_sent >= self.heartbeat_s and self._port is not None:
                try:
                    self._send(MsgType.HEARTBEAT, TIME.pack(self._host_ms))
                except (serial.SerialException, OSError, AttributeError):
                    return
