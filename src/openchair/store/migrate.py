"""Applying the schema migrations that ship inside the package, on every start.

No ``alembic.ini`` is needed: the configuration is built here and the connection passed in.
A database newer than this openchair, or a file that is not an openchair database, is
refused with a :class:`StoreError` naming it, and left exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect

from openchair.store.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, where: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (the newest by default)."""
    script = ScriptDirectory.from_config(_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
    if current is None and tables - {"alembic_version"}:
        raise StoreError(
            f"{where}: this database holds tables that openchair did not make; it was left "
            "as it is. Use another database (--db URL, or OPENCHAIR_DATA_DIR)."
        )
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise StoreError(
                f"{where}: made by a newer openchair (schema {current}; this one knows up to "
                f"{script.get_current_head()}). It was left as it is: update openchair, or use "
                "another database (--db URL, or OPENCHAIR_DATA_DIR)."
            ) from None
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
