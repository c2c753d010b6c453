"""Paired devices: the web remote's and the API's clients, each with a hashed token.

A token is 32 random bytes (``secrets.token_urlsafe``); only its SHA-256 is kept. A plain hash
is enough for a random secret of that length (there is nothing to guess from a dictionary), and
it lets a request be checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from openchair.store.database import Store
from openchair.store.models import DeviceRow

DEVICE_NAME_MAX = 80


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _info(row: DeviceRow) -> DeviceInfo:
    created = _aware(row.created_at)
    assert created is not None
    return DeviceInfo(row.id, row.name, created, _aware(row.last_seen_at), _aware(row.revoked_at))


def add_device(store: Store, name: str, token_hash: str) -> DeviceInfo:
    with store.session() as s:
        row = DeviceRow(
            name=name[:DEVICE_NAME_MAX], token_hash=token_hash, created_at=datetime.now(UTC)
        )
        s.add(row)
        s.flush()
        return _info(row)


def list_devices(store: Store, *, include_revoked: bool = False) -> list[DeviceInfo]:
    with store.session() as s:
        q = select(DeviceRow).order_by(DeviceRow.id)
        if not include_revoked:
            q = q.where(DeviceRow.revoked_at.is_(None))
        return [_info(r) for r in s.scalars(q)]


def device_for_hash(store: Store, token_hash: str) -> DeviceInfo | None:
    """The active device holding this token's hash, if any."""
    with store.session() as s:
        row = s.scalar(
            select(DeviceRow).where(
                DeviceRow.token_hash == token_hash, DeviceRow.revoked_at.is_(None)
            )
        )
        return _info(row) if row is not None else None


def active_hashes(store: Store) -> set[str]:
    with store.session() as s:
        return set(s.scalars(select(DeviceRow.token_hash).where(DeviceRow.revoked_at.is_(None))))


def touch_device(store: Store, device_id: int, when: datetime) -> None:
    with store.session() as s:
        s.execute(update(DeviceRow).where(DeviceRow.id == device_id).values(last_seen_at=when))


def revoke_device(store: Store, device_id: int) -> DeviceInfo | None:
    """Revoke an active device; None when there is no such active device."""
    with store.session() as s:
        row = s.get(DeviceRow, device_id)
        if row is None or row.revoked_at is not None:
            return None
        row.revoked_at = datetime.now(UTC)
        s.flush()
        return _info(row)
