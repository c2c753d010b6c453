"""Fan-out of state frames from the control thread to any number of asyncio subscribers.

The control thread must never wait for a subscriber. It only stores the latest frame (one
reference assignment) and appends it to each asyncio loop's hand-off deque; if that loop has no
drain pending it schedules one with ``call_soon_threadsafe``: one wake-up per frame per asyncio
loop, however many subscribers it has. On the asyncio side the drain copies the frame into every
subscriber's bounded deque, which drops its oldest frame when the subscriber is slow. A stalled
subscriber therefore costs the loop nothing and the others nothing.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator

from openchair.service.frame import StateFrame

DEFAULT_QUEUE_FRAMES = 32
"""Frames a subscriber may fall behind before it loses the oldest (about 1.6 s at 20 Hz)."""
HANDOFF_FRAMES = 64
"""Frames waiting for an asyncio loop's drain; more means that loop itself is stuck."""


class Subscription:
    """One subscriber's frames: ``async for frame in sub`` or ``await sub.next()``.

    ``dropped`` counts the frames it lost for being slow. ``close()`` (or leaving an
    ``async with``) unsubscribes.
    """

    def __init__(self, hub: FrameHub, maxlen: int) -> None:
        self._hub = hub
        self._frames: deque[StateFrame] = deque(maxlen=maxlen)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def _put(self, frame: StateFrame) -> None:
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(frame)
        self._ready.set()

    def pending(self) -> int:
        return len(self._frames)

    async def next(self) -> StateFrame:
        while not self._frames:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def __aiter__(self) -> AsyncIterator[StateFrame]:
        return self

    async def __anext__(self) -> StateFrame:
        return await self.next()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._ready.set()
            self._hub._remove(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class _LoopDrain:
    """The hand-off to one asyncio loop and the subscribers living on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.handoff: deque[StateFrame] = deque(maxlen=HANDOFF_FRAMES)
        self.scheduled = False
        self.subscribers: tuple[Subscription, ...] = ()

    def push(self, frame: StateFrame) -> bool:
        """Control thread: hand over, and wake the asyncio loop once per batch. False: that
        asyncio loop is closed, nobody listens there any more."""
        self.handoff.append(frame)
        if not self.scheduled:
            self.scheduled = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:
                self.scheduled = False
                self.handoff.clear()
                return False
        return True

    def drain(self) -> None:
        """Asyncio loop: give every waiting frame to every subscriber of this loop."""
        self.scheduled = False
        subs = self.subscribers
        while self.handoff:
            frame = self.handoff.popleft()
            for sub in subs:
                sub._put(frame)


class FrameHub:
    """Holds the latest frame and the subscribers. ``publish`` is for the control thread."""

    def __init__(self) -> None:
        self.latest: StateFrame | None = None
        self._drains: tuple[_LoopDrain, ...] = ()
        self._lock = threading.Lock()  # only (un)subscribing takes it, never publishing

    def publish(self, frame: StateFrame) -> None:
        self.latest = frame
        for drain in self._drains:
            if not drain.push(frame):
                self._forget(drain)

    def subscribe(self, maxlen: int = DEFAULT_QUEUE_FRAMES) -> Subscription:
        """A new subscriber on the running asyncio loop; its first frame is the latest one."""
        if maxlen < 1:
            raise ValueError("a subscriber's queue holds at least one frame")
        loop = asyncio.get_running_loop()
        sub = Subscription(self, maxlen)
        with self._lock:
            drain = next((d for d in self._drains if d.loop is loop), None)
            if drain is None:
                drain = _LoopDrain(loop)
                self._drains = (*self._drains, drain)
            drain.subscribers = (*drain.subscribers, sub)
        if self.latest is not None:
            sub._put(self.latest)
        return sub

    def listening(self) -> bool:
        """Whether anyone subscribes (any thread; a stale answer costs one frame at most)."""
        return bool(self._drains)

    def subscriber_count(self) -> int:
        return sum(len(d.subscribers) for d in self._drains)

    def _forget(self, drain: _LoopDrain) -> None:
        with self._lock:
            self._drains = tuple(d for d in self._drains if d is not drain)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            drains = []
            for d in self._drains:
                d.subscribers = tuple(s for s in d.subscribers if s is not sub)
                if d.subscribers:
                    drains.append(d)
            self._drains = tuple(drains)
