"""Opening the store: the URL, the engine, migrations, and recovery after a crash."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from openchair.store import migrate
from openchair.store.errors import StoreError
from openchair.store.models import Chair, SessionRow
from openchair.store.paths import default_db_url

SQLITE_MAGIC = b"SQLite format 3\x00"
INTERRUPTED = "interrupted"
INTERRUPTED_REASON = "the service stopped without ending the session (crash or power cut)"
STALE_OTHER_HOST_S = 30.0
"""A session of another machine counts as abandoned once not updated for this long."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # a commit survives the process being killed
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _check_sqlite_file(path: Path) -> None:
    """A file that is not SQLite is refused before SQLAlchemy or Alembic touch it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise StoreError(f"{path}: cannot be read ({err.strerror}).") from None
    if head != SQLITE_MAGIC:
        raise StoreError(
            f"{path}: not an openchair database (damaged, or another kind of file). It was "
            "left as it is: restore it from a backup or move it away, or use another database "
            "(--db URL, or OPENCHAIR_DATA_DIR)."
        )


class Store:
    """The database behind people, sessions and events. Thread-safe: each caller uses its own
    ORM session (``with store.session() as s``)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self.engine = engine
        self.where = where
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    def close(self) -> None:
        self.engine.dispose()

    def ensure_chair(self, chair_id: str, model: str, description: dict[str, Any]) -> None:
        with self.session() as s:
            if s.get(Chair, chair_id) is None:
                s.add(
                    Chair(
                        id=chair_id,
                        model=model,
                        description=description,
                        created_at=datetime.now(UTC),
                    )
                )

    def recover_interrupted(self) -> int:
        """Mark ``running`` sessions whose process is gone as ``interrupted``; how many."""
        host = socket.gethostname()
        now = datetime.now(UTC)
        ended = 0
        with self.session() as s:
            rows = s.scalars(select(SessionRow).where(SessionRow.outcome == "running")).all()
            for row in rows:
                if row.owner_host == host:
                    if row.owner_pid == os.getpid() or _alive(row.owner_pid):
                        continue
                else:
                    updated = _aware(row.updated_at)
                    if (now - updated).total_seconds() < STALE_OTHER_HOST_S:
                        continue
                s.execute(
                    update(SessionRow)
                    .where(SessionRow.id == row.id)
                    .values(outcome=INTERRUPTED, reason=INTERRUPTED_REASON, ended_at=row.updated_at)
                )
                ended += 1
        return ended


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _aware(t: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def open_store(
    db_url: str | None = None, data_dir: str | None = None, *, recover: bool = True
) -> Store:
    """Open (creating or upgrading) the database; raise StoreError with what to do."""
    url_text = db_url or default_db_url(data_dir)
    try:
        url = make_url(url_text)
    except ArgumentError:
        raise StoreError(
            f"--db {url_text!r}: not a database URL (e.g. sqlite:///path.db)"
        ) from None
    where = url.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            path = Path(url.database)
            where = str(path)
            _check_sqlite_file(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"{path.parent}: cannot create the folder ({err.strerror})"
                ) from None
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5.0}
    try:
        engine = create_engine(url, **kwargs)
    except Exception as err:  # a missing driver module, a bad option
        raise StoreError(f"{where}: cannot use this database: {err}") from None
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate.upgrade(engine, where)
    except StoreError:
        engine.dispose()
        raise
    except (DatabaseError, OperationalError) as err:
        engine.dispose()
        reason = str(err.orig) if err.orig is not None else str(err)
        raise StoreError(
            f"{where}: cannot be opened as an openchair database ({reason}). It was left as it "
            "is: restore it from a backup or move it away, or use another database (--db URL, "
            "or OPENCHAIR_DATA_DIR)."
        ) from None
    store = Store(engine, where)
    if recover:
        store.recover_interrupted()
    return store
