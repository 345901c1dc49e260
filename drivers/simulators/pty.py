"""Pseudo-terminal "cables": the driver opens a real tty path, the simulator holds the other end.

`PtyPort` plays a USB-serial adapter: the driver opens `link` (a stable symlink, like
/dev/serial/by-id/...), which points at the pty slave. `unplug()` closes the master (the driver
then sees EIO, as with a yanked adapter) and removes the link; `replug()` makes a new pty — a
different /dev/pts/N — and points the link at it, like a re-enumerated adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from pathlib import Path


class PtyPort:
    """Device side of a serial link on a pty pair, read and written through the event loop."""

    def __init__(self, link: str | Path | None = None) -> None:
        self.link = Path(link) if link is not None else None
        self.master_fd = -1
        self._hold_fd = -1
        self.slave_name = ""
        self.plugged = False
        self._inbox = bytearray()
        self._event = asyncio.Event()
        self._plug()

    @property
    def path(self) -> str:
        """What the driver should open: the stable link if any, else the pty slave."""
        return str(self.link) if self.link is not None else self.slave_name

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass through untouched
        tty.setraw(master)
        os.set_blocking(master, False)
        self.master_fd, self._hold_fd = master, slave
        self.slave_name = os.ttyname(slave)
        if self.link is not None:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.slave_name)
            os.replace(tmp, self.link)  # atomic repoint, as udev does
        asyncio.get_running_loop().add_reader(master, self._on_readable)
        self.plugged = True

    def _on_readable(self) -> None:
        while True:
            try:
                data = os.read(self.master_fd, 4096)
            except BlockingIOError:
                break
            except OSError:
                break  # no slave open right now (EIO); the driver will reopen
            if not data:
                break
            self._inbox += data
        self._event.set()

    def unplug(self) -> None:
        """Yank the adapter: the driver's open port fails, and the by-id link disappears."""
        if not self.plugged:
            return
        asyncio.get_running_loop().remove_reader(self.master_fd)
        for fd in (self.master_fd, self._hold_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master_fd = self._hold_fd = -1
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        self.plugged = False
        self._inbox.clear()

    def replug(self) -> None:
        """Plug back in: a new pty (new /dev/pts/N), the stable link repointed to it."""
        self.unplug()
        self._plug()

    def write(self, data: bytes) -> None:
        """Send bytes to the driver (silently lost while unplugged, as on a real cable)."""
        if not self.plugged:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.master_fd, view):]
            except BlockingIOError:
                return  # the driver is not reading; a tty would drop the overflow too
            except OSError:
                return

    async def read(self, timeout: float | None = None) -> bytes:
        """Next bytes from the driver (b"" on timeout)."""
        if not self._inbox:
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), timeout)
            except TimeoutError:
                return b""
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    def close(self) -> None:
        self.unplug()
