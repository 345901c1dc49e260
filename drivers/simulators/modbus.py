"""Simulated Modbus sensors: pymodbus servers whose registers come from the profile's map.

The register image is produced by the profile's own `RegisterMap.encode`, so any register
profile gets a simulator. Faults are injected on the wire through pymodbus's packet trace
hook (bad CRC, garbage, silence) and, for RTU, by unplugging the pty cable.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import Mapping
from pathlib import Path

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from drivers.codecs.modbus import RegisterMap, crc16_modbus
from drivers.simulators.pty import PtyPort

Values = Mapping[str, float | bool | None]


class WireFaults:
    """What the simulated device does to its next answers; consumed one answer at a time."""

    def __init__(self) -> None:
        self.silent = 0
        self.bad_crc = 0
        self.garbage = 0
        self.always_silent = False

    def apply(self, sending: bool, packet: bytes) -> bytes:
        if not sending:
            return packet
        if self.always_silent or self.silent:
            self.silent = max(0, self.silent - 1)
            return b""
        if self.bad_crc:
            self.bad_crc -= 1
            return packet[:-1] + bytes([packet[-1] ^ 0xFF])
        if self.garbage:
            self.garbage -= 1
            return os.urandom(len(packet))
        return packet


class ModbusSensorSim:
    """Serves one or more unit ids with register images encoded from engineering values."""

    def __init__(self, register_map: RegisterMap, units: Mapping[int, Values]) -> None:
        self.register_map = register_map
        self.faults = WireFaults()
        self.delay_s = 0.0
        self.requests = 0
        self._images: dict[int, dict[tuple[int, int], int]] = {}
        top = max((a + 2 for r in register_map.registers for _, a in r.addresses()), default=0) + 16
        self.devices: list[SimDevice] = []
        for unit, values in units.items():
            self._images[unit] = {}
            self.set_values(unit, values)
            def block(kind: DataType) -> list[SimData]:
                return [SimData(0, count=top, values=0, datatype=kind)]

            bits, regs = DataType.BITS, DataType.REGISTERS
            blocks = (block(bits), block(bits), block(regs), block(regs))
            self.devices.append(SimDevice(unit, simdata=blocks, action=functools.partial(self._serve_image, unit)))
        self.server: ModbusTcpServer | ModbusSerialServer | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._task: asyncio.Task[None] | None = None

    def set_values(self, unit: int, values: Values) -> None:
        """Change what unit `unit` measures (encoded by the profile's register map)."""
        self._images[unit].update(self.register_map.encode(values))

    def set_raw(self, unit: int, function: int, address: int, words: list[int]) -> None:
        """Write raw words (e.g. a probe-absent sentinel) bypassing the encoder."""
        for i, word in enumerate(words):
            self._images[unit][(function, address + i)] = word

    async def _serve_image(self, unit: int, function_code: int, start_address: int, address: int, count: int,
                           current_registers: list[int], set_values: list[int] | list[bool] | None) -> None:
        self.requests += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        image = self._images[unit]
        for addr in range(address, address + count):
            current_registers[addr - start_address] = image.get((function_code, addr), 0)

    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from drivers.broker import free_port

        self.host, self.port = host, port or free_port(host)
        self.server = ModbusTcpServer(self.devices, framer=FramerType.SOCKET, address=(host, self.port),
                                      trace_packet=self.faults.apply)
        await self._serve()

    async def start_rtu(self, link: str | Path | None = None, baudrate: int = 9600, parity: str = "N") -> PtyCable:
        """Serve RTU on a pty; returns the cable whose `path` the driver opens."""
        cable = PtyCable(link)
        self.server = ModbusSerialServer(self.devices, framer=FramerType.RTU, port=cable.device_path,
                                         baudrate=baudrate, parity=parity, trace_packet=self.faults.apply)
        await self._serve()
        return cable

    async def _serve(self) -> None:
        assert self.server is not None
        self._task = asyncio.create_task(self.server.serve_forever())
        for _ in range(100):
            if self.server.is_active():
                return
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.shutdown()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class PtyCable:
    """An RS-485 cable between two ptys: the driver's side (stable link, unplug/replug) and the
    side a pymodbus serial server opens; bytes are forwarded both ways."""

    def __init__(self, link: str | Path | None = None) -> None:
        self.driver_side = PtyPort(link)
        self.device_side = PtyPort()
        self._tasks = [asyncio.create_task(self._pump(self.driver_side, self.device_side)),
                       asyncio.create_task(self._pump(self.device_side, self.driver_side))]

    @property
    def path(self) -> str:
        return self.driver_side.path

    @property
    def device_path(self) -> str:
        return self.device_side.slave_name

    @staticmethod
    async def _pump(src: PtyPort, dst: PtyPort) -> None:
        while True:
            data = await src.read()
            if data:
                dst.write(data)

    def unplug(self) -> None:
        self.driver_side.unplug()

    def replug(self) -> None:
        self.driver_side.replug()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.driver_side.close()
        self.device_side.close()


def rtu_frame(unit: int, pdu: bytes) -> bytes:
    """An RTU frame with its CRC (for tests that hand-craft traffic)."""
    body = bytes([unit]) + pdu
    crc = crc16_modbus(body)
    return body + crc.to_bytes(2, "little")
