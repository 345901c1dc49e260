"""TCP byte-stream transport (network printers on 9100, serial-device servers, Ethernet meters)."""

from __future__ import annotations

import asyncio
import contextlib

from drivers.errors import DeviceTimeout, TransportError
from drivers.transports.backoff import Backoff
from drivers.transports.stream import StreamTransport


class TcpTransport(StreamTransport):
    def __init__(self, host: str, port: int, *, connect_timeout: float = 3.0, backoff: Backoff | None = None) -> None:
        super().__init__(f"tcp://{host}:{port}", backoff=backoff)
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def _open(self) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise TransportError(f"{self.name}: connect failed: {exc or type(exc).__name__}") from exc

    async def _close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):  # peer already gone; socket released anyway
            await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _recv(self, timeout: float) -> bytes:
        assert self._reader is not None
        try:
            data = await asyncio.wait_for(self._reader.read(4096), timeout)
        except TimeoutError:
            raise DeviceTimeout(f"{self.name}: no data within {timeout:.3g}s") from None
        except OSError as exc:
            raise TransportError(f"{self.name}: read failed: {exc}") from exc
        if not data:
            raise TransportError(f"{self.name}: connection closed by peer")
        return data

    async def _send(self, data: bytes, timeout: float) -> None:
        assert self._writer is not None
        try:
            self._writer.write(data)
            await asyncio.wait_for(self._writer.drain(), timeout)
        except TimeoutError:
            raise DeviceTimeout(f"{self.name}: write of {len(data)} bytes timed out") from None
        except OSError as exc:
            await self.close()
            raise TransportError(f"{self.name}: write failed: {exc}") from exc
