"""Cold-chain sensors: polled over Modbus (RTU or TCP) or subscribed over MQTT."""

from __future__ import annotations

import asyncio
import time

from drivers.codecs.base import Item
from drivers.codecs.modbus import RegisterMap, decode_registers
from drivers.codecs.mqtt import MqttMapping, decode_payload
from drivers.errors import DecodeError
from drivers.transports.modbus import ModbusTransport
from drivers.transports.mqtt import MqttSubscription, MqttTransport

from .base import Device


class ModbusClimateSensor(Device):
    """Reads the profile's register blocks from one unit every poll interval."""

    kind = "climate"

    def __init__(self, device_id: str, profile_name: str, transport: ModbusTransport, register_map: RegisterMap,
                 unit_id: int, *, poll_interval_s: float = 1.0) -> None:
        super().__init__(device_id, profile_name)
        self.transport = transport
        self.register_map = register_map
        self.unit_id = unit_id
        self.poll_interval_s = poll_interval_s
        self._next_poll = 0.0

    @property
    def reconnects(self) -> int:
        return self.transport.reconnects

    @property
    def link(self) -> str:
        return f"{self.transport.name} unit {self.unit_id}"

    async def open(self) -> None:
        await self.transport.ensure_open()

    async def close(self) -> None:
        """A shared bus stays open for the other units; it is dropped only when the link itself failed."""
        if not self.transport.is_open:
            await self.transport.close()

    async def step(self) -> list[Item]:
        delay = self._next_poll - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._next_poll = time.monotonic() + self.poll_interval_s
        blocks = [await self.transport.read(b.function, b.address, b.count, self.unit_id)
                  for b in self.register_map.reads]
        try:
            return [decode_registers(self.register_map, blocks)]
        except DecodeError as exc:
            return [exc]


class MqttClimateSensor(Device):
    """Takes what the sensor publishes on its topic; silent longer than `stale_after_s` is a fault."""

    kind = "climate"

    def __init__(self, device_id: str, profile_name: str, transport: MqttTransport, topics: list[str],
                 mapping: MqttMapping, *, stale_after_s: float = 30.0, qos: int = 0) -> None:
        super().__init__(device_id, profile_name)
        self.transport = transport
        self.topics = topics
        self.mapping = mapping
        self.stale_after_s = stale_after_s
        self.qos = qos
        self._sub: MqttSubscription | None = None

    @property
    def reconnects(self) -> int:
        return self.transport.reconnects

    @property
    def link(self) -> str:
        return f"{self.transport.name} {' '.join(self.topics)}"

    async def open(self) -> None:
        if self._sub is None:
            self._sub = self.transport.subscribe(self.topics, qos=self.qos)
        await self.transport.ensure_open()

    async def close(self) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None

    async def step(self) -> list[Item]:
        if self._sub is None:
            await self.open()
        assert self._sub is not None
        message = await self._sub.get(self.stale_after_s)
        try:
            return [decode_payload(self.mapping, message.topic, message.payload)]
        except DecodeError as exc:
            return [exc]
