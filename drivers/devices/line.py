"""Devices that speak a line protocol over a byte stream: refractometers, scales and serial scanners.

Streaming devices push frames; request/response devices are asked (the profile's `request`
bytes) every poll interval and must answer within the timeout.
"""

from __future__ import annotations

import asyncio
import time

from drivers.codecs.base import Decoder, Item
from drivers.errors import DecodeError, DeviceTimeout
from drivers.readings import Reading
from drivers.transports.stream import StreamTransport

from .base import Device


class LineDevice(Device):
    """A byte-stream device whose frames the profile's decoder understands."""

    quiet_is_normal = False  # a streaming instrument that goes silent is a fault

    def __init__(self, device_id: str, profile_name: str, transport: StreamTransport, decoder: Decoder, *,
                 mode: str = "stream", request: bytes | None = None, poll_interval_s: float = 1.0,
                 timeout_s: float = 2.0) -> None:
        super().__init__(device_id, profile_name)
        if mode == "request" and not request:
            raise ValueError(f"{device_id}: request mode needs the profile's request bytes")
        self.transport = transport
        self.decoder = decoder
        self.mode = mode
        self.request = request
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        self._next_poll = 0.0

    @property
    def reconnects(self) -> int:
        return self.transport.reconnects

    @property
    def link(self) -> str:
        return self.transport.name

    async def open(self) -> None:
        if not self.transport.is_open:
            self.decoder.finish()  # a frame cut by the unplug is not glued to the next one
            await self.transport.ensure_open()

    async def close(self) -> None:
        await self.transport.close()

    async def step(self) -> list[Item]:
        if self.mode == "request":
            return await self._ask()
        try:
            data = await self.transport.read_some(self.timeout_s)
        except DeviceTimeout:
            if self.quiet_is_normal:
                return []
            raise
        return self.decoder.feed(data)

    async def _ask(self) -> list[Item]:
        delay = self._next_poll - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._next_poll = time.monotonic() + self.poll_interval_s
        stale = self.transport.discard_input()
        out: list[Item] = [DecodeError("unsolicited bytes before the request", stale)] if stale else []
        assert self.request is not None
        await self.transport.write(self.request, self.timeout_s)
        deadline = time.monotonic() + self.timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout(f"{self.id}: no complete answer within {self.timeout_s}s")
            out += self.decoder.feed(await self.transport.read_some(remaining))
            if any(isinstance(item, Reading) for item in out) or len(out) > (1 if stale else 0):
                return out


class Refractometer(LineDevice):
    """Brix meter: streaming or request/response, per its profile."""

    kind = "refractometer"


class Scale(LineDevice):
    """Platform scale at the dock: asked for its weight (MT-SICS) or streaming it (XK3190)."""

    kind = "scale"


class Scanner(LineDevice):
    """Serial / USB-CDC barcode scanner: silent until someone scans, so silence is not a fault."""

    kind = "scanner"

    quiet_is_normal = True
