"""Storage: people, body maps, the chair, sessions and safety events (SQLAlchemy + Alembic).

SQLite in the user's data directory by default (``OPENCHAIR_DATA_DIR`` overrides it), any
SQLAlchemy URL with ``--db``. Migrations ship in ``migrations/`` and run on every open.
"""

from openchair.store.database import Store, open_store
from openchair.store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]
