"""Commands on their way from a client to the control thread, already validated.

The asyncio side checks every value when the command is submitted (unknown program, zone or
preset, a number that is not finite or out of range) and only then builds one of these. The
control thread decides what depends on the chair's state at that tick (nobody seated, a fault
latched, a session already running) and answers through ``future``.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field

from openchair.body.bodymap import BodyMapBatch
from openchair.control.session import LiveCommand
from openchair.programs.model import Program
from openchair.service.answer import Answer

Reply = concurrent.futures.Future[Answer]


def _future() -> Reply:
    return concurrent.futures.Future()


@dataclass
class StopRequest:
    reply: Reply = field(default_factory=_future)


@dataclass
class ResetRequest:
    reply: Reply = field(default_factory=_future)


@dataclass
class PersonRequest:
    """Who sits in the chair now (None: a guest) and their saved body map, if any."""

    person: str | None
    maps: BodyMapBatch | None
    reply: Reply = field(default_factory=_future)
    map_refused: str | None = None
    """Why the person's saved map cannot be used (``safety.mapcheck``), if it was refused."""


@dataclass
class ScanRequest:
    reply: Reply = field(default_factory=_future)


@dataclass
class SelfTestRequest:
    reply: Reply = field(default_factory=_future)


@dataclass
class StartRequest:
    program: Program
    intensity: int
    maps: BodyMapBatch | None = None
    """A map to use instead of the seated person's (``openchair run --no-scan``)."""
    reply: Reply = field(default_factory=_future)


@dataclass
class LiveRequest:
    """A change to the running session. ``intensity_to``: an absolute intensity, turned into
    a step from the session's current one on the control thread."""

    command: LiveCommand
    intensity_to: int | None = None
    only_program: str | None = None
    """Refused unless the running session's program has this id (manual-mode changes)."""
    reply: Reply = field(default_factory=_future)


@dataclass
class ReclineRequest:
    """A recline preset: a live change during a session, the idle position otherwise."""

    preset: str
    angles: tuple[float, float]
    reply: Reply = field(default_factory=_future)


Request = (
    StopRequest
    | ResetRequest
    | PersonRequest
    | ScanRequest
    | SelfTestRequest
    | StartRequest
    | LiveRequest
    | ReclineRequest
)


@dataclass
class WaitRequest:
    """Resolve ``done`` when the current activity ends (at once, with the last result, if the
    chair is idle)."""

    done: concurrent.futures.Future[object] = field(default_factory=concurrent.futures.Future)


AnyRequest = Request | WaitRequest
