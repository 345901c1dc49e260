"""Modbus RTU / TCP client transport over pymodbus's async clients.

pymodbus's own background reconnect is switched off (reconnect_delay=0): reconnecting is ours,
with jittered backoff and with the serial path resolved again at each open (by-id symlinks).
One transport is one bus or one TCP endpoint; several unit ids can share it, so requests are
serialised with a lock and a timeout on one unit never closes the link for the others.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from dataclasses import dataclass, field

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ExceptionResponse, ModbusPDU

from drivers.errors import DecodeError, DeviceTimeout, TransportError
from drivers.serial_settings import SerialSettings
from drivers.transports.backoff import Backoff

EXCEPTION_NAMES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
                   4: "server device failure", 5: "acknowledge", 6: "server device busy",
                   10: "gateway path unavailable", 11: "gateway target failed to respond"}


@dataclass(frozen=True)
class ModbusEndpoint:
    """Where the bus is: a serial path (RTU) or host/port (TCP)."""

    port: str | None = None
    host: str | None = None
    tcp_port: int = 502
    serial: SerialSettings = field(default_factory=SerialSettings)

    def __post_init__(self) -> None:
        if (self.port is None) == (self.host is None):
            raise ValueError("a Modbus endpoint needs exactly one of a serial port or a host")

    @property
    def key(self) -> str:
        return f"rtu:{self.port}" if self.port else f"tcp:{self.host}:{self.tcp_port}"


class ModbusTransport:
    """Read/write registers with timeouts; reopen with backoff after the link dropped."""

    def __init__(self, endpoint: ModbusEndpoint, *, timeout: float = 1.0, retries: int = 0,
                 backoff: Backoff | None = None) -> None:
        self.endpoint = endpoint
        self.name = endpoint.key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff or Backoff()
        self.opens = 0
        self.last_error: str | None = None
        self.resolved_path: str | None = None
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._attempted = False
        self._lock = asyncio.Lock()

    @property
    def reconnects(self) -> int:
        return max(0, self.opens - 1)

    @property
    def is_open(self) -> bool:
        return self._client is not None and self._client.connected

    def _make_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        ep = self.endpoint
        if ep.host is not None:
            return AsyncModbusTcpClient(ep.host, port=ep.tcp_port, framer=FramerType.SOCKET, timeout=self.timeout,
                                        retries=self.retries, reconnect_delay=0)
        assert ep.port is not None
        self.resolved_path = os.path.realpath(ep.port)
        s = ep.serial
        return AsyncModbusSerialClient(self.resolved_path, framer=FramerType.RTU, baudrate=s.baudrate,
                                       bytesize=s.bytesize, parity=s.parity, stopbits=int(s.stopbits),
                                       timeout=self.timeout, retries=self.retries, reconnect_delay=0)

    async def ensure_open(self) -> None:
        async with self._lock:
            await self._ensure_open_locked()

    async def _ensure_open_locked(self) -> None:
        if self.is_open:
            return
        self._drop_client()
        if self._attempted:
            await asyncio.sleep(self.backoff.next_delay())
        self._attempted = True
        client = self._make_client()
        try:
            ok = await client.connect()
        except (OSError, ModbusException) as exc:
            ok = False
            self.last_error = f"{self.name}: connect failed: {exc}"
        else:
            self.last_error = None if ok else f"{self.name}: connect failed"
        if not ok:
            client.close()
            raise TransportError(self.last_error or f"{self.name}: connect failed")
        self._client = client
        self.opens += 1

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        async with self._lock:
            self._drop_client()

    async def read(self, function: int, address: int, count: int, unit: int) -> list[int]:
        """Read `count` registers (FC 3/4) or bits (FC 1/2) starting at the 0-based wire `address`."""
        async with self._lock:
            await self._ensure_open_locked()
            client = self._client
            assert client is not None
            calls = {1: client.read_coils, 2: client.read_discrete_inputs,
                     3: client.read_holding_registers, 4: client.read_input_registers}
            if function not in calls:
                raise ValueError(f"unsupported read function code {function}")
            response = await self._call(calls[function](address, count=count, device_id=unit), unit, address)
            if function in (1, 2):
                return [int(b) for b in response.bits[:count]]
            if len(response.registers) != count:
                raise DecodeError(f"unit {unit} answered {len(response.registers)} registers, asked {count}")
            return list(response.registers)

    async def write_register(self, address: int, value: int, unit: int) -> None:
        async with self._lock:
            await self._ensure_open_locked()
            assert self._client is not None
            await self._call(self._client.write_register(address, value, device_id=unit), unit, address)

    async def _call(self, request: Awaitable[ModbusPDU], unit: int, address: int) -> ModbusPDU:
        try:
            response = await asyncio.wait_for(request, self.timeout * (self.retries + 1) + 1.0)
        except (ModbusIOException, TimeoutError) as exc:
            self.last_error = f"{self.name}: unit {unit} did not answer"
            if not self.is_open:
                self._drop_client()
                raise TransportError(f"{self.name}: link lost") from exc
            raise DeviceTimeout(self.last_error) from exc
        except (ConnectionException, OSError) as exc:
            self._drop_client()
            self.last_error = f"{self.name}: link lost: {exc}"
            raise TransportError(self.last_error) from exc
        if isinstance(response, ExceptionResponse) or response.isError():
            code = getattr(response, "exception_code", 0)
            reason = EXCEPTION_NAMES.get(code, f"code {code}")
            raise DecodeError(f"unit {unit} answered Modbus exception {reason} at address {address}")
        self.backoff.reset()
        return response
