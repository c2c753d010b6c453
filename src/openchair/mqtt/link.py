"""``openchair serve --mqtt URL``: the bridge as one asyncio task beside the chair service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from openchair.mqtt.bridge import MqttBridge
from openchair.mqtt.settings import BrokerSettings, BrokerSettingsError
from openchair.mqtt.topics import BadChairIdError, ChairTopics
from openchair.service.service import ChairService

log = logging.getLogger(__name__)


class MqttLinkError(ValueError):
    """Options that cannot make a broker connection (bad URL, missing CA file, bad chair id)."""


@dataclass(frozen=True)
class MqttLink:
    settings: BrokerSettings
    topics: ChairTopics

    @classmethod
    def from_options(
        cls,
        url: str,
        user: str | None,
        password: str | None,
        tls_ca: str | None,
        chair_id: str,
    ) -> MqttLink:
        try:
            settings = BrokerSettings.from_url(url, username=user, password=password, tls_ca=tls_ca)
            topics = ChairTopics(chair_id)
        except (BrokerSettingsError, BadChairIdError) as err:
            raise MqttLinkError(str(err)) from None
        return cls(settings, topics)

    def start(self, service: ChairService, console: Console | None) -> asyncio.Task[None]:
        """Start the bridge beside the running service; it never stops the chair."""
        bridge = MqttBridge(service, self.settings, self.topics)
        if console is not None:
            console.print(
                f"MQTT: chair {self.topics.chair_id!r} on {self.settings.describe()} "
                f"(topics {self.topics.base}/..., Home Assistant discovery on)"
            )
        return asyncio.create_task(bridge.run(), name="openchair-mqtt")


async def mqtt_stop(task: asyncio.Task[None], timeout_s: float = 5.0) -> None:
    """Cancel the bridge and wait for it; it says ``offline`` on its way out when it can.

    A cancellation can be lost in Python 3.11 when it meets an answer arriving inside
    ``asyncio.wait_for``; cancelling again until the task has ended makes stopping certain.
    """
    for _ in range(5):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if done:
            break
    if task.done() and not task.cancelled() and task.exception() is not None:
        log.warning("MQTT bridge ended with %r", task.exception())


def mqtt_companion(
    link: MqttLink, console: Console | None
) -> Callable[[ChairService], Coroutine[Any, Any, None]]:
    """The bridge as a companion task of ``openchair serve``: it starts with the service and,
    when the service stops and cancels it, stops the bridge (which says ``offline`` first)."""

    async def run(service: ChairService) -> None:
        task = link.start(service, console)
        try:
            await asyncio.Event().wait()  # until the service cancels its companions
        finally:
            await mqtt_stop(task)

    return run
