"""A driver that raises something nobody expected costs only its own loop a counted error."""

from __future__ import annotations

import asyncio

from drivers.codecs.base import Item
from drivers.devices.base import Device
from drivers.readings import BrixReading
from drivers.supervisor import ReadingEvent, Supervisor


class FlakyDevice(Device):
    """Raises a bug-like exception on its first `crashes` steps, then reads normally every 10 ms."""

    kind = "refractometer"

    def __init__(self, device_id: str, crashes: int) -> None:
        super().__init__(device_id, None)
        self.crashes = crashes
        self.steps = 0
        self.closed = 0

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self.closed += 1

    async def step(self) -> list[Item]:
        self.steps += 1
        await asyncio.sleep(0.01)
        if self.steps <= self.crashes:
            raise KeyError(f"driver bug #{self.steps}")
        return [BrixReading(brix=12.5)]


async def test_unexpected_exceptions_neither_end_the_loop_nor_stall_other_devices() -> None:
    buggy, healthy = FlakyDevice("buggy", crashes=2), FlakyDevice("healthy", crashes=0)
    supervisor = Supervisor(devices=[buggy, healthy])
    events = supervisor.subscribe()
    async with supervisor:
        await asyncio.sleep(0.3)  # inside the buggy device's crash back-off (0.5 s, then 1 s)
        during = {s.device_id: s for s in supervisor.status()}
        assert during["buggy"].state == "unavailable"
        assert "internal error: KeyError" in (during["buggy"].reason or "")
        assert during["healthy"].state == "online" and during["healthy"].frames >= 10
        for _ in range(40):
            if {s.device_id: s for s in supervisor.status()}["buggy"].state == "online":
                break
            await asyncio.sleep(0.1)
    final = {s.device_id: s for s in supervisor.status()}
    assert final["buggy"].errors == 2 and final["buggy"].frames >= 1
    assert buggy.closed >= 2  # closed after each crash, so the next open starts clean
    readings = []
    while (event := events.get_nowait()) is not None:
        if isinstance(event, ReadingEvent):
            readings.append(event.device_id)
    assert "buggy" in readings and "healthy" in readings
