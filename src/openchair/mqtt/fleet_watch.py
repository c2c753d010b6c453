"""Feeding the fleet view from the broker: subscribe to every chair, reconnect when needed.

A fleet view receives a message per chair per second, so the cost per message matters more
than anywhere else: messages are handled on paho-mqtt's own network thread, straight into the
view under a lock (measured in ``benchmarks/bench_mqtt.py``: about half the CPU per message of
going through an asyncio queue). Paho reconnects by itself with backoff and subscribes again in
``on_connect``. The dashboard thread reads only ``snapshot`` (bytes, replaced whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from openchair.mqtt.fleet import FleetView
from openchair.mqtt.settings import BrokerSettings
from openchair.mqtt.telemetry import iso_ms
from openchair.mqtt.topics import fleet_filters

log = logging.getLogger(__name__)


class FleetWatcher:
    """Keeps ``view`` up to date and ``snapshot`` (the JSON summary) fresh every
    ``refresh_s``. ``await run()`` until cancelled."""

    def __init__(
        self,
        view: FleetView,
        settings: BrokerSettings,
        now: Callable[[], datetime],
        *,
        refresh_s: float = 1.0,
        client_id: str | None = None,
    ) -> None:
        self.view = view
        self.settings = settings
        self.now = now
        self.refresh_s = refresh_s
        self.client_id = client_id or f"openchair-fleet-{os.getpid()}-{id(self):x}"
        self.snapshot: bytes = b"{}"
        self.connected = asyncio.Event()
        self.last_error = ""
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        client = self._client()
        try:
            client.connect_async(self.settings.host, self.settings.port, keepalive=10)
            client.loop_start()
            while True:
                self.refresh()
                await asyncio.sleep(self.refresh_s)
        finally:
            client.disconnect()
            await asyncio.to_thread(client.loop_stop)

    def _client(self) -> paho.Client:
        s = self.settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=True
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        context = s.tls_context()
        if context is not None:
            client.tls_set_context(context)
        client.reconnect_delay_set(1, 10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # paho's network thread ----------------------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any = None
    ) -> None:
        if getattr(reason, "is_failure", False):
            self.last_error = str(reason)
            log.warning("fleet: broker %s refused: %s", self.settings.describe(), reason)
            return
        for f in fleet_filters(self.view.root):
            client.subscribe(f, qos=0)
        self.last_error = ""
        self._set_connected(True)

    def _on_disconnect(
        self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any = None
    ) -> None:
        self.last_error = str(reason)
        self._set_connected(False)

    def _on_message(self, _c: paho.Client, _u: Any, m: paho.MQTTMessage) -> None:
        with self._lock:
            self.view.ingest(m.topic, bytes(m.payload), self.now(), bool(m.retain))

    def _set_connected(self, up: bool) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        action = self.connected.set if up else self.connected.clear
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(action)

    # the asyncio side ----------------------------------------------------------------------------

    def refresh(self) -> dict[str, object]:
        with self._lock:
            summary = self.view.summary(self.now())
        summary["broker"] = {
            "url": self.settings.describe(),
            "connected": self.connected.is_set(),
            "error": self.last_error,
            "refreshed": iso_ms(self.now()),
        }
        self.snapshot = json.dumps(summary).encode()
        return summary
