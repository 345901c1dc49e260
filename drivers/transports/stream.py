"""Byte-stream transports (serial, TCP) with a shared receive buffer and reconnect policy.

Framing is the codec's job; a transport only moves bytes, owns the timeouts, and knows how to
come back after the link broke. The first open is immediate; every later open waits a capped,
jittered backoff delay, which is reset once data flows again (so a port that opens and dies at
once does not spin).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod

from drivers.errors import DeviceTimeout, TransportError
from drivers.transports.backoff import Backoff

MAX_BUFFER = 64 * 1024


class StreamTransport(ABC):
    """Async byte stream that can be reopened; subclasses implement `_open`, `_close`, `_recv`, `_send`."""

    def __init__(self, name: str, *, backoff: Backoff | None = None) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self.opens = 0
        self.overflows = 0
        self.last_error: str | None = None
        self._attempted = False
        self._buf = bytearray()

    @property
    def reconnects(self) -> int:
        """Successful opens after the first one."""
        return max(0, self.opens - 1)

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    async def _open(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def _recv(self, timeout: float) -> bytes:
        """Return at least one byte, raise DeviceTimeout, or TransportError if the link broke."""

    @abstractmethod
    async def _send(self, data: bytes, timeout: float) -> None: ...

    async def ensure_open(self) -> None:
        """Open the link if closed, waiting the backoff delay first unless this is the first attempt."""
        if self.is_open:
            return
        if self._attempted:
            await asyncio.sleep(self.backoff.next_delay())
        self._attempted = True
        try:
            await self._open()
        except TransportError as exc:
            self.last_error = str(exc)
            raise
        self._buf.clear()
        self.opens += 1

    async def close(self) -> None:
        """Close the link; safe to call when already closed."""
        if self.is_open:
            await self._close()

    async def write(self, data: bytes, timeout: float = 2.0) -> None:
        if not self.is_open:
            raise TransportError(f"{self.name}: write on a closed link")
        await self._send(bytes(data), timeout)

    async def read_some(self, timeout: float) -> bytes:
        """Whatever is buffered or arrives next (at least one byte)."""
        if not self._buf:
            await self._fill(timeout)
        data = bytes(self._buf)
        self._buf.clear()
        return data

    async def read_until(self, terminator: bytes, timeout: float, max_size: int = 4096) -> bytes:
        """Bytes up to and including `terminator`; DeviceTimeout if it does not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            idx = self._buf.find(terminator)
            if idx >= 0:
                end = idx + len(terminator)
                frame = bytes(self._buf[:end])
                del self._buf[:end]
                return frame
            if len(self._buf) > max_size:
                junk = bytes(self._buf)
                self._buf.clear()
                raise TransportError(f"{self.name}: {len(junk)} bytes without terminator {terminator!r}")
            await self._fill(deadline - time.monotonic())

    async def read_exactly(self, size: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self._buf) < size:
            await self._fill(deadline - time.monotonic())
        frame = bytes(self._buf[:size])
        del self._buf[:size]
        return frame

    def discard_input(self) -> bytes:
        """Drop buffered bytes (e.g. a stale answer before a new request); returns them."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    async def _fill(self, timeout: float) -> None:
        if timeout <= 0:
            raise DeviceTimeout(f"{self.name}: no data in time")
        if not self.is_open:
            raise TransportError(f"{self.name}: link is closed")
        try:
            chunk = await self._recv(timeout)
        except TransportError as exc:
            self.last_error = str(exc)
            if not isinstance(exc, DeviceTimeout):
                await self.close()
            raise
        self.backoff.reset()
        self._buf += chunk
        if len(self._buf) > MAX_BUFFER:
            self.overflows += 1
            del self._buf[: len(self._buf) - MAX_BUFFER]
