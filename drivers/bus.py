"""One in-process async pub/sub bus for device events.

Publishing never blocks: each subscriber has its own bounded queue, and a subscriber that
falls behind loses its oldest events (counted in `dropped`) instead of slowing the devices
or the other subscribers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription(Generic[T]):
    def __init__(self, bus: Bus[T], maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a subscription needs room for at least one event")
        self._bus = bus
        self._queue: deque[T] = deque(maxlen=maxsize)
        self._event = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def _put(self, item: T) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(item)
        self._event.set()

    def pending(self) -> int:
        return len(self._queue)

    async def get(self, timeout: float | None = None) -> T:
        """Next event; TimeoutError if none within `timeout`."""
        while not self._queue:
            self._event.clear()
            await asyncio.wait_for(self._event.wait(), timeout)
        return self._queue.popleft()

    def get_nowait(self) -> T | None:
        return self._queue.popleft() if self._queue else None

    def close(self) -> None:
        self.closed = True
        self._bus._remove(self)

    async def __aiter__(self) -> AsyncIterator[T]:
        while not self.closed:
            yield await self.get()


class Bus(Generic[T]):
    def __init__(self) -> None:
        self._subs: list[Subscription[T]] = []
        self.published = 0

    def subscribe(self, maxsize: int = 1000) -> Subscription[T]:
        sub = Subscription(self, maxsize)
        self._subs.append(sub)
        return sub

    def publish(self, item: T) -> None:
        self.published += 1
        for sub in self._subs:
            sub._put(item)

    def _remove(self, sub: Subscription[T]) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
