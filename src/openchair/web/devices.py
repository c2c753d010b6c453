"""Paired devices and their tokens, as the web layer uses them.

Every request looks its token up in the store (one indexed query), so a device revoked from any
process (the page's settings, or ``openchair devices revoke`` in another terminal) is refused
from its next request on. Open WebSockets are told at once when the revocation comes through
this process, and within ``WATCH_INTERVAL_S`` when it comes from another one.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from openchair.store.database import Store
from openchair.store.devices import (
    DeviceInfo,
    active_hashes,
    add_device,
    device_for_hash,
    hash_token,
    list_devices,
    revoke_device,
    touch_device,
)

WATCH_INTERVAL_S = 1.0
TOUCH_EVERY_S = 60.0
"""``last_seen_at`` is written at most this often per device (not on every request)."""


class DeviceRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._touched: dict[int, datetime] = {}
        self._poller: asyncio.Task[None] | None = None

    # -- tokens ---------------------------------------------------------------------------------

    def issue(self, device_name: str) -> tuple[str, DeviceInfo]:
        """A new random token for a newly paired device; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        return token, add_device(self.store, device_name, hash_token(token))

    def authenticate(self, token: str) -> DeviceInfo | None:
        if not token or len(token) > 200:
            return None
        device = device_for_hash(self.store, hash_token(token))
        if device is not None:
            now = datetime.now(UTC)
            last = self._touched.get(device.id)
            if last is None or (now - last).total_seconds() >= TOUCH_EVERY_S:
                self._touched[device.id] = now
                touch_device(self.store, device.id, now)
        return device

    def devices(self) -> list[DeviceInfo]:
        return list_devices(self.store)

    async def revoke(self, device_id: int) -> DeviceInfo | None:
        """Revoke a device; its open WebSockets are closed before this returns."""
        device = await asyncio.to_thread(revoke_device, self.store, device_id)
        if device is not None and self._watchers:
            self._signal(await asyncio.to_thread(active_hashes, self.store))
        return device

    # -- open WebSockets ------------------------------------------------------------------------

    def watch(self, token: str) -> asyncio.Event:
        """An event set when this token stops being valid (call from the asyncio loop)."""
        event = asyncio.Event()
        self._watchers.setdefault(hash_token(token), set()).add(event)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        return event

    def unwatch(self, token: str, event: asyncio.Event) -> None:
        h = hash_token(token)
        events = self._watchers.get(h)
        if events is not None:
            events.discard(event)
            if not events:
                del self._watchers[h]

    def _signal(self, live: set[str]) -> None:
        for h, events in list(self._watchers.items()):
            if h not in live:
                for e in events:
                    e.set()

    async def _poll(self) -> None:
        """Catch revocations made by another process while sockets are open."""
        while self._watchers:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                live = await asyncio.to_thread(active_hashes, self.store)
            except Exception:  # a busy database: try again on the next round
                continue
            self._signal(live)
