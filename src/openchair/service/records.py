"""What the control thread hands to storage: small immutable notes, never a database call.

The loop calls a :class:`Recorder` from its thread; a recorder must return at once (the store's
puts the note on its writer thread's queue). The notes carry plain values so that the writer
never touches an object the loop is still changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from openchair.body.bodymap import BodyMap
from openchair.control.record import ChairRecord
from openchair.service.frame import EventInfo


@dataclass(frozen=True)
class SessionOpened:
    session: str
    person: str | None
    program_id: str
    program_name: str
    intensity: int
    started_at: datetime


@dataclass(frozen=True)
class SessionProgress:
    """The session so far (outcome ``running``), at least once a second while it runs."""

    session: str
    chair: ChairRecord
    at: datetime


@dataclass(frozen=True)
class SessionClosed:
    session: str
    chair: ChairRecord
    ended_at: datetime


@dataclass(frozen=True)
class EventsHappened:
    events: tuple[EventInfo, ...]
    at: datetime


@dataclass(frozen=True)
class MapScanned:
    person: str
    body_map: BodyMap
    at: datetime


Note = SessionOpened | SessionProgress | SessionClosed | EventsHappened | MapScanned


class Recorder(Protocol):
    def note(self, note: Note) -> None:
        """Take a note; return at once (called on the control thread)."""
        ...


class NullRecorder:
    """Keeps nothing: a service without storage (tests, benchmarks)."""

    def note(self, note: Note) -> None:
        return None


class ListRecorder:
    """Keeps every note in memory, in order (tests)."""

    def __init__(self) -> None:
        self.notes: list[Note] = []

    def note(self, note: Note) -> None:
        self.notes.append(note)
