"""Shared pieces of the MQTT tests: a chair service on the twin in real time, a listening
client, and waiting for a message that matches."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import aiomqtt

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.people import MemoryPeople, PersonInfo
from openchair.service.service import ChairService

PERSON = "ana"


def chair_service(pace: float = 1.0) -> ChairService:
    """A twin chair on a simulated clock held to ``pace``× real time, nothing stored, with a
    person whose body map is known (so a session starts without a 17 s scan)."""
    params = BodyParams.from_percentile(50, "female")
    people = MemoryPeople([PersonInfo(PERSON, default_intensity=2)])
    people.save_map(PERSON, BodyBatch.from_params([params]).bodies[0].to_map())
    return build_service(
        ServiceOptions(store=False, body=params),
        clock=SimulatedClock(pace=pace),
        people=people,
    )


@dataclass
class Seen:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> dict[str, object]:
        obj = json.loads(self.payload)
        assert isinstance(obj, dict)
        return obj


class Listener:
    """A client that records every message on ``filters`` (like Home Assistant or a fleet)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.seen: list[Seen] = []
        self._new = asyncio.Event()

    async def _pump(self) -> None:
        async for m in self.client.messages:
            payload = m.payload if isinstance(m.payload, bytes) else b""
            self.seen.append(Seen(str(m.topic), payload, bool(m.retain)))
            self._new.set()

    async def wait_for(
        self, match: Callable[[Seen], bool], timeout_s: float = 5.0, after: int = 0
    ) -> Seen:
        """The first message (from index ``after``) that matches, waiting up to ``timeout_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        i = after
        while True:
            while i < len(self.seen):
                if match(self.seen[i]):
                    return self.seen[i]
                i += 1
            left = deadline - loop.time()
            if left <= 0:
                topics = sorted({s.topic for s in self.seen})
                raise AssertionError(f"no matching message in {timeout_s} s; seen {topics}")
            self._new.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)

    async def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        await self.client.publish(topic, payload, qos=1, retain=retain)


@asynccontextmanager
async def listening(
    port: int, *filters: str, username: str | None = None, password: str | None = None
) -> AsyncIterator[Listener]:
    async with aiomqtt.Client(
        "127.0.0.1", port, username=username, password=password, clean_session=True
    ) as client:
        for f in filters:
            await client.subscribe(f, qos=1)
        listener = Listener(client)
        task = asyncio.create_task(listener._pump())
        try:
            yield listener
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await task


def is_state(pred: Callable[[dict[str, object]], bool]) -> Callable[[Seen], bool]:
    return lambda s: s.topic.endswith("/state") and pred(s.json())


def is_result(command: str) -> Callable[[Seen], bool]:
    return lambda s: s.topic.endswith("/result") and s.json()["command"] == command
