"""Serial transport over pyserial, read through the event loop (no thread per port).

The configured path is resolved at every open, so a USB adapter that re-enumerates as
/dev/ttyUSB1 after a re-plug is found again through its stable /dev/serial/by-id symlink.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import termios

import serial
import serial.rs485

from drivers.errors import DeviceTimeout, TransportError
from drivers.serial_settings import SerialSettings
from drivers.transports.backoff import Backoff
from drivers.transports.stream import MAX_BUFFER, StreamTransport

PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD,
            "M": serial.PARITY_MARK, "S": serial.PARITY_SPACE}


class SerialTransport(StreamTransport):
    """A serial port (real tty, USB-CDC, or pty) opened by path, reopened by path after failure."""

    def __init__(self, port: str, settings: SerialSettings | None = None, *, backoff: Backoff | None = None) -> None:
        super().__init__(port, backoff=backoff)
        self.port = port
        self.settings = settings or SerialSettings()
        self.resolved_path: str | None = None
        self._serial: serial.Serial | None = None
        self._fd = -1
        self._readable: asyncio.Event | None = None
        self._failure: str | None = None
        self._pending = bytearray()

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    async def _open(self) -> None:
        path = os.path.realpath(self.port)
        s = self.settings
        try:
            ser = serial.Serial(port=path, baudrate=s.baudrate, bytesize=s.bytesize, parity=PARITIES[s.parity],
                                stopbits=s.stopbits, xonxoff=s.xonxoff, rtscts=s.rtscts, timeout=0, write_timeout=0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"{self.port}: cannot open {path}: {exc}") from exc
        if s.rs485 is not None:
            try:
                ser.rs485_mode = serial.rs485.RS485Settings(
                    rts_level_for_tx=s.rs485.rts_level_for_tx, rts_level_for_rx=s.rs485.rts_level_for_rx,
                    delay_before_tx=s.rs485.delay_before_tx, delay_before_rx=s.rs485.delay_before_rx)
            except (OSError, ValueError, serial.SerialException, termios.error) as exc:
                ser.close()
                raise TransportError(f"{self.port}: RS-485 mode not supported by {path}: {exc}") from exc
        self._serial = ser
        self.resolved_path = path
        self._fd = ser.fileno()
        self._failure = None
        self._pending.clear()
        self._readable = asyncio.Event()
        asyncio.get_running_loop().add_reader(self._fd, self._on_readable)

    async def _close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._fd)
        loop.remove_writer(self._fd)
        self._fd = -1
        with contextlib.suppress(OSError, serial.SerialException):  # device already gone
            ser.close()

    def _on_readable(self) -> None:
        """Take what arrived at once (one read per wake-up; the reader is level-triggered, so more
        data simply wakes us again), so a port with unread bytes never makes the loop spin."""
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            code = errno.errorcode.get(exc.errno or 0, str(exc))
            self._fail(f"{self.port}: read failed ({code}), device unplugged?")
            return
        if not data:  # readable yet empty: the tty was hung up, as pyserial also concludes
            self._fail(f"{self.port}: readable but no data, device unplugged?")
            return
        self._pending += data
        if len(self._pending) > MAX_BUFFER:
            self.overflows += 1
            del self._pending[: len(self._pending) - MAX_BUFFER]
        assert self._readable is not None
        self._readable.set()

    def _fail(self, reason: str) -> None:
        self._failure = reason
        asyncio.get_running_loop().remove_reader(self._fd)
        assert self._readable is not None
        self._readable.set()

    async def _recv(self, timeout: float) -> bytes:
        assert self._readable is not None
        if not self._pending and self._failure is None:
            self._readable.clear()
            try:
                await asyncio.wait_for(self._readable.wait(), timeout)
            except TimeoutError:
                raise DeviceTimeout(f"{self.port}: no data within {timeout:.3g}s") from None
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            return data
        raise TransportError(self._failure or f"{self.port}: closed")

    async def _send(self, data: bytes, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
                view = view[written:]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                await self.close()
                raise TransportError(f"{self.port}: write failed: {exc}") from exc
            writable = loop.create_future()
            loop.add_writer(self._fd, writable.set_result, None)
            try:
                await asyncio.wait_for(writable, max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise DeviceTimeout(f"{self.port}: write of {len(data)} bytes timed out") from None
            finally:
                if self._fd >= 0:
                    loop.remove_writer(self._fd)
