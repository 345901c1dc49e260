"""The live Brix feed: refractometer readings from the device bus, kept, then fanned out to pages.

Each reading is stored first (so its id can serve as the SSE event id a reconnecting page
replays from) and attached to the check open on its meter; only then is it offered to the
listening pages, each through its own bounded queue, so a slow page never holds up the meter.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from drivers.bus import Bus, Subscription
from drivers.readings import BrixReading
from drivers.supervisor import BusEvent, ReadingEvent
from edge.domain.problems import InputRejected
from edge.services import qc
from edge.store import Store

log = logging.getLogger(__name__)


class BrixFeed:
    """Subscribes to the device bus while started; `listen()` gives a page its own queue."""

    def __init__(self, store: Store, bus: Bus[BusEvent], clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.live: Bus[qc.StoredReading] = Bus()
        self.refused = 0
        self._sub: Subscription[BusEvent] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sub = self.bus.subscribe(maxsize=1000)
        self._task = asyncio.create_task(self._run(), name="brix-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sub is not None:
            self._sub.close()

    def listen(self, maxsize: int = 256) -> Subscription[qc.StoredReading]:
        return self.live.subscribe(maxsize)

    async def _run(self) -> None:
        assert self._sub is not None
        while True:
            event = await self._sub.get()
            if not isinstance(event, ReadingEvent) or not isinstance(event.reading, BrixReading):
                continue
            reading = event.reading
            if reading.brix is None:
                continue  # a frame without a Brix value (e.g. nD only) says nothing to the page
            try:
                stored = await asyncio.to_thread(
                    qc.record_meter_reading, self.store, device_id=event.device_id, brix=reading.brix,
                    temperature_c=reading.temperature_c, event_time=reading.event_time,
                    received_at=event.received_at, sample_id=reading.sample_id)
            except InputRejected as refusal:
                self.refused += 1
                log.warning("brix reading from %s refused: %s", event.device_id, refusal)
                continue
            except Exception:  # the feed outlives one failed write; the reading is logged
                log.exception("brix reading from %s could not be stored", event.device_id)
                continue
            self.live.publish(stored)
