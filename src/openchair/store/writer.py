"""The storage writer: a thread that turns the control loop's notes into rows.

The loop only ever calls :meth:`StoreWriter.note` (a queue put). The thread takes whatever has
arrived, writes it in one transaction and commits: a running session is in the database within
about a second of the loop's note, so a ``kill -9`` loses at most the last second or so. A
database error is logged and the batch dropped; the chair keeps running.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import socket
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from openchair.service.records import (
    EventsHappened,
    MapScanned,
    Note,
    SessionClosed,
    SessionOpened,
    SessionProgress,
)
from openchair.store.database import Store
from openchair.store.models import BodyMapRow, Person, SafetyEventRow, SessionRow
from openchair.store.people import map_to_json

log = logging.getLogger(__name__)

_STOP = object()
BATCH_MAX = 500


class StoreWriter:
    def __init__(self, store: Store, chair_id: str) -> None:
        self.store = store
        self.chair_id = chair_id
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.written = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="openchair-store", daemon=True)
        self._thread.start()

    def note(self, note: Note) -> None:
        self._queue.put(note)

    def close(self, timeout_s: float = 10.0) -> None:
        """Write everything noted so far, then end the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every note so far is written (tests)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout_s)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[object] = [item]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            notes = [n for n in batch if not isinstance(n, threading.Event) and n is not _STOP]
            if notes:
                try:
                    with self.store.session() as s:
                        for n in notes:
                            self._write(s, n)  # type: ignore[arg-type]
                    self.written += len(notes)
                except Exception:
                    self.failed += len(notes)
                    log.exception("could not write %d notes to %s", len(notes), self.store.where)
            for n in batch:
                if isinstance(n, threading.Event):
                    n.set()
            if any(n is _STOP for n in batch):
                return

    def _person_id(self, s: Session, name: str | None) -> int | None:
        if name is None:
            return None
        return s.scalar(select(Person.id).where(Person.name == name))

    def _write(self, s: Session, n: Note) -> None:
        if isinstance(n, SessionOpened):
            s.add(
                SessionRow(
                    id=n.session,
                    chair_id=self.chair_id,
                    person_id=self._person_id(s, n.person),
                    person_name=n.person,
                    program_id=n.program_id,
                    program_name=n.program_name,
                    intensity=n.intensity,
                    started_at=n.started_at,
                    updated_at=n.started_at,
                    ended_at=None,
                    outcome="running",
                    reason="",
                    seconds=0.0,
                    seconds_by_zone={},
                    max_force_n=0.0,
                    max_depth_mm=0.0,
                    max_pressure_kpa=0.0,
                    max_temp_c=None,
                    owner_host=self.host,
                    owner_pid=self.pid,
                )
            )
            s.flush()
        elif isinstance(n, SessionProgress | SessionClosed):
            row = s.get(SessionRow, n.session)
            if row is None:
                return
            c = n.chair
            row.seconds = c.seconds
            row.seconds_by_zone = {k: round(v, 2) for k, v in c.seconds_by_zone.items()}
            row.max_force_n = c.max_force_n
            row.max_depth_mm = c.max_depth_mm
            row.max_pressure_kpa = c.max_pressure_kpa
            row.max_temp_c = c.max_temp_c if math.isfinite(c.max_temp_c) else None
            if isinstance(n, SessionClosed):
                row.updated_at = n.ended_at
                row.ended_at = n.ended_at
                row.outcome = c.outcome.value
                row.reason = c.reason
            else:
                row.updated_at = n.at
        elif isinstance(n, EventsHappened):
            for e in n.events:
                s.add(
                    SafetyEventRow(
                        session_id=e.session,
                        chair_id=self.chair_id,
                        occurred_at=n.at,
                        time_s=e.time_s,
                        rule=e.rule,
                        value=e.value if math.isfinite(e.value) else None,
                        limit_value=e.limit if math.isfinite(e.limit) else None,
                        reaction=e.reaction,
                        activity=e.activity,
                    )
                )
        elif isinstance(n, MapScanned):
            pid = self._person_id(s, n.person)
            if pid is not None:
                s.add(
                    BodyMapRow(
                        person_id=pid,
                        created_at=n.at,
                        source=n.body_map.source,
                        data=map_to_json(n.body_map),
                    )
                )
