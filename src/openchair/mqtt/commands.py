"""Commands arriving on ``openchair/<id>/cmd/<name>``: checked here, carried out by the service.

Everything on the wire is untrusted: a payload that is too large, not UTF-8 text, of the wrong
type, or out of range is refused with a reason (logged and published on the result topic) and
never reaches the service. A retained command is ignored (it was sent at some time in the past,
to whoever would subscribe later), and so is one whose own timestamp (JSON ``{"ts": ...}``) is
older than :data:`MAX_COMMAND_AGE_S`: a stop or a start from a minute ago must not run now.

What is well formed goes to the same ``ChairService`` method every client calls, so Home
Assistant gets the same validation and the same refusals as the CLI and the web page. A stop is
always carried out, whatever its payload says (a stop is never unsafe), unless it is retained or
stale.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from openchair.mqtt.discovery import PAYLOAD_OFF, PAYLOAD_ON, PAYLOAD_PRESS
from openchair.mqtt.telemetry import StateView, iso
from openchair.mqtt.topics import COMMANDS
from openchair.service.answer import Answer
from openchair.service.service import INTENSITY_MAX, INTENSITY_MIN, ChairService

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 512
MAX_COMMAND_AGE_S = 10.0
"""A command carrying its own time is dropped when older than this (or this far ahead)."""


@dataclass(frozen=True)
class Incoming:
    command: str
    payload: bytes
    retained: bool


@dataclass(frozen=True)
class Parsed:
    """A well-formed command: its name and value (``None`` for a button press)."""

    command: str
    value: object = None
    extra: tuple[tuple[str, object], ...] = ()


class RefusalError(Exception):
    """Why a message was not a command; the reason goes to the log and the result topic."""


def parse(msg: Incoming, now: datetime) -> Parsed:
    """The command in ``msg``, or :class:`RefusalError`."""
    name = msg.command
    if name not in COMMANDS:
        raise RefusalError(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
    if msg.retained:
        raise RefusalError(
            f"{name}: retained command ignored (it may be old; commands are never kept)"
        )
    if name == "stop":
        _check_age(_json_or_none(msg.payload), now, name)
        return Parsed("stop")
    if len(msg.payload) > MAX_PAYLOAD_BYTES:
        raise RefusalError(
            f"{name}: payload of {len(msg.payload)} bytes is over {MAX_PAYLOAD_BYTES}"
        )
    try:
        text = msg.payload.decode("utf-8")
    except UnicodeDecodeError:
        raise RefusalError(f"{name}: payload is not UTF-8 text") from None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        raise RefusalError(f"{name}: payload has control characters")
    text = text.strip()
    obj = _json_or_none(msg.payload) if text.startswith("{") else None
    if text.startswith("{") and obj is None:
        raise RefusalError(f"{name}: payload looks like JSON but is not a JSON object")
    value: object = text
    extra: tuple[tuple[str, object], ...] = ()
    if obj is not None:
        _check_age(obj, now, name)
        value = obj.get("value")
        extra = tuple((k, v) for k, v in obj.items() if k not in ("value", "ts"))
    if name in ("start", "pause", "resume", "scan", "reset"):
        if value not in (None, "", PAYLOAD_PRESS):
            raise RefusalError(f"{name}: expected {PAYLOAD_PRESS!r}, got {_short(value)}")
        return Parsed(name, None, extra)
    if name == "program":
        if not isinstance(value, str) or not value:
            raise RefusalError(f"program: expected a program name, got {_short(value)}")
        return Parsed(name, value)
    if name == "intensity":
        return Parsed(name, _whole_number(value))
    if name == "heat":
        if value in (PAYLOAD_ON, True):
            return Parsed(name, True)
        if value in (PAYLOAD_OFF, False):
            return Parsed(name, False)
        raise RefusalError(f"heat: expected ON or OFF, got {_short(value)}")
    raise RefusalError(f"unknown command {name!r}")  # pragma: no cover - COMMANDS covers all


def _json_or_none(payload: bytes) -> dict[str, object] | None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _check_age(obj: dict[str, object] | None, now: datetime, name: str) -> None:
    if obj is None or "ts" not in obj:
        return
    ts = obj["ts"]
    try:
        if isinstance(ts, bool):
            raise TypeError
        if isinstance(ts, int | float):
            sent = datetime.fromtimestamp(float(ts), now.tzinfo)
        elif isinstance(ts, str):
            sent = datetime.fromisoformat(ts)
            if sent.tzinfo is None:
                raise ValueError
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError):
        raise RefusalError(f"{name}: 'ts' must be ISO-8601 with a zone or Unix seconds") from None
    age = (now - sent).total_seconds()
    if abs(age) > MAX_COMMAND_AGE_S:
        raise RefusalError(
            f"{name}: sent {age:.0f} s ago (over {MAX_COMMAND_AGE_S:.0f} s); a stale command "
            "is never carried out"
        )


def _whole_number(value: object) -> int:
    if isinstance(value, bool):
        raise RefusalError(f"intensity: {value!r} is not a whole number")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise RefusalError(f"intensity: {_short(value)} is not a whole number") from None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise RefusalError(f"intensity: {value!r} is not a whole number")
        value = int(value)
    if not isinstance(value, int):
        raise RefusalError(f"intensity: {_short(value)} is not a whole number")
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Dispatcher:
    """Carries out parsed commands on the service; keeps the program and intensity picked in
    Home Assistant for the next start (in ``view``)."""

    def __init__(
        self, service: ChairService, view: StateView, names: Callable[[], dict[str, str]]
    ) -> None:
        self.service = service
        self.view = view
        self._names = names
        """Program name (and id) -> id, from the service's library."""

    async def run(self, cmd: Parsed) -> Answer:
        s = self.service
        if cmd.command == "stop":
            return await s.stop()
        if cmd.command == "pause":
            return await s.pause()
        if cmd.command == "resume":
            return await s.resume()
        if cmd.command == "scan":
            return await s.scan()
        if cmd.command == "reset":
            return await s.reset()
        if cmd.command == "program":
            names = self._names()
            program = str(cmd.value)
            if program not in names:
                known = ", ".join(sorted({n for n in names if names[n] != n}))
                return Answer.refused(f"unknown program {program!r}; choose one of {known}")
            self.view.chosen_program = _display_name(names, program)
            return Answer.ok(f"{self.view.chosen_program} chosen; press Start")
        if cmd.command == "intensity":
            value = int(str(cmd.value))
            if self._session_running():
                answer = await s.intensity(value=value)
            elif not INTENSITY_MIN <= value <= INTENSITY_MAX:
                answer = Answer.refused(
                    f"intensity {value} is outside {INTENSITY_MIN}..{INTENSITY_MAX}"
                )
            else:
                answer = Answer.ok(f"intensity {value} for the next session")
            if answer.accepted:
                self.view.chosen_intensity = value
            return answer
        if cmd.command == "heat":
            return await s.heat(bool(cmd.value))
        if cmd.command == "start":
            extra = dict(cmd.extra)
            names = self._names()
            wanted = extra.get("program", self.view.chosen_program)
            if wanted is None:
                return Answer.refused("choose a program first")
            intensity = extra.get("intensity", self.view.chosen_intensity)
            program_id = names.get(str(wanted), str(wanted))
            answer = await s.start(program_id, intensity)  # type: ignore[arg-type]
            if answer.accepted and isinstance(intensity, int):
                self.view.chosen_intensity = intensity
            return answer
        return Answer.refused(f"unknown command {cmd.command!r}")

    def _session_running(self) -> bool:
        frame = self.service.snapshot()
        return frame is not None and frame.activity == "session"


def _display_name(names: dict[str, str], program: str) -> str:
    program_id = names[program]
    for name, pid in names.items():
        if pid == program_id and name != pid:
            return name
    return program_id


def result_payload(command: str, answer: Answer, now: datetime) -> dict[str, object]:
    return {"command": command, **answer.to_dict(), "ts": iso(now)}
