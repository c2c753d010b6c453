"""Feeding the fleet view from the broker: subscribe to every chair, reconnect when needed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime

import aiomqtt

from openchair.mqtt.fleet import FleetView
from openchair.mqtt.settings import BrokerSettings
from openchair.mqtt.telemetry import iso_ms
from openchair.mqtt.topics import fleet_filters

log = logging.getLogger(__name__)


class FleetWatcher:
    """Keeps ``view`` up to date and ``snapshot`` (the JSON summary, bytes) fresh every
    ``refresh_s``: the web page's thread reads only that one reference, never the view."""

    def __init__(
        self,
        view: FleetView,
        settings: BrokerSettings,
        now: Callable[[], datetime],
        *,
        refresh_s: float = 0.5,
        client_id: str | None = None,
    ) -> None:
        self.view = view
        self.settings = settings
        self.now = now
        self.refresh_s = refresh_s
        self.client_id = client_id or f"openchair-fleet-{os.getpid()}"
        self.snapshot: bytes = b"{}"
        self.connected = asyncio.Event()
        self.last_error = ""

    async def run(self) -> None:
        refresher = asyncio.create_task(self._refresh())
        try:
            await self._listen_forever()
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher

    async def _listen_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                s = self.settings
                async with aiomqtt.Client(
                    s.host,
                    s.port,
                    username=s.username,
                    password=s.password,
                    identifier=self.client_id,
                    clean_session=True,
                    keepalive=10,
                    tls_context=s.tls_context(),
                    max_queued_incoming_messages=100_000,
                ) as client:
                    for f in fleet_filters(self.view.root):
                        await client.subscribe(f, qos=0)
                    self.connected.set()
                    delay = 0.5
                    async for m in client.messages:
                        payload = m.payload if isinstance(m.payload, bytes) else b""
                        self.view.ingest(str(m.topic), payload, self.now(), bool(m.retain))
            except aiomqtt.MqttError as err:
                self.last_error = str(err)
                log.warning("fleet: broker %s: %s; retrying", self.settings.describe(), err)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _refresh(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(self.refresh_s)

    def refresh(self) -> dict[str, object]:
        summary = self.view.summary(self.now())
        summary["broker"] = {
            "url": self.settings.describe(),
            "connected": self.connected.is_set(),
            "error": self.last_error,
            "refreshed": iso_ms(self.now()),
        }
        self.snapshot = json.dumps(summary).encode()
        return summary
