"""The devices table: its migration matches its model, and tokens are kept only hashed."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from openchair.store.database import open_store
from openchair.store.devices import device_for_hash, hash_token, revoke_device
from openchair.store.models import Base
from openchair.web.devices import DeviceRegistry


def test_migration_0003_matches_the_model(tmp_path: Path) -> None:
    store = open_store(None, str(tmp_path))
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in diff if "devices" in repr(d)] == []
    finally:
        store.close()


def test_a_token_is_stored_only_as_its_hash(tmp_path: Path) -> None:
    store = open_store(None, str(tmp_path))
    try:
        registry = DeviceRegistry(store)
        token, device = registry.issue("phone")
        assert len(token) >= 40
        with store.engine.connect() as conn:
            rows = [tuple(map(str, r)) for r in conn.execute(text("SELECT * FROM devices"))]
        assert rows and not any(token in cell for row in rows for cell in row)
        found = registry.authenticate(token)
        assert found is not None and found.id == device.id
        assert device_for_hash(store, hash_token(token)) is not None
        assert revoke_device(store, device.id) is not None
        assert registry.authenticate(token) is None
        assert registry.authenticate("") is None and registry.authenticate("x" * 10_000) is None
    finally:
        store.close()
