"""Label printer: a job queue that never loses a job, with status checked around every job.

Before a job the printer's status is read (DLE EOT for ESC/POS, <ESC>!? for TSPL, ~HS for ZPL); a printer that
is not ready (paper out, cover open, offline, silent) keeps the job queued. After the job the
status is read again: if the paper ran out or the cover opened meanwhile, the job is not
counted as printed and is sent again once the printer recovers. A job leaves the queue only
when the status after it says the printer is fine.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drivers.codecs.base import Item
from drivers.codecs.printer import TSPL_STATUS, PrinterSpec, decode_dle_eot, decode_tspl_status, no_reply_status
from drivers.errors import DecodeError, DeviceTimeout
from drivers.readings import PrinterStatus
from drivers.transports.stream import StreamTransport

from .base import Device
from .labels import RENDERERS, Label, render

if TYPE_CHECKING:
    from drivers.profiles import Profile
    from drivers.site import DeviceConfig

_job_ids = itertools.count(1)


@dataclass
class PrintJob:
    label: Label
    data: bytes
    id: int = field(default_factory=lambda: next(_job_ids))
    attempts: int = 0
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class LabelPrinter(Device):
    kind = "printer"

    def __init__(self, device_id: str, profile_name: str, transport: StreamTransport, spec: PrinterSpec, *,
                 poll_interval_s: float = 1.0, timeout_s: float = 2.0) -> None:
        super().__init__(device_id, profile_name)
        if spec.family not in RENDERERS:
            raise ValueError(f"{device_id}: no label renderer for printer language {spec.family!r}")
        self.transport = transport
        self.spec = spec
        self.language = spec.family
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        self.queue: deque[PrintJob] = deque()
        self.printed = 0
        self.status_now: PrinterStatus | None = None
        self._wake = asyncio.Event()
        self._last_poll = 0.0

    @classmethod
    def from_profile(cls, cfg: DeviceConfig, profile: Profile, transport: StreamTransport) -> LabelPrinter:
        assert isinstance(profile.spec, PrinterSpec)
        return cls(cfg.id, profile.name, transport, profile.spec,
                   poll_interval_s=cfg.poll_interval_s or profile.transport.poll_interval_s or 1.0,
                   timeout_s=cfg.timeout_s or profile.transport.timeout_s)

    @property
    def reconnects(self) -> int:
        return self.transport.reconnects

    @property
    def link(self) -> str:
        return self.transport.name

    def submit(self, label: Label) -> PrintJob:
        """Queue a label; `await job.done` resolves once the printer confirmed it. LabelError, and
        nothing queued, for text the printer's font cannot print or content its stock cannot hold."""
        job = PrintJob(label, render(label, self.spec.label, self.language, self.id))
        self.queue.append(job)
        self._wake.set()
        return job

    async def open(self) -> None:
        await self.transport.ensure_open()

    async def close(self) -> None:
        await self.transport.close()

    async def step(self) -> list[Item]:
        wait = self._last_poll + self.poll_interval_s - time.monotonic()
        if wait > 0 and not self.queue:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
        elif wait > 0 and self.queue and self.status_now is not None and not self.status_now.ready:
            await asyncio.sleep(wait)  # not ready: re-check at the poll rate, not in a tight loop
        self._last_poll = time.monotonic()
        before = await self.read_status()
        out: list[Item] = [before] if before != self.status_now else []
        self.status_now = before
        if not self.queue or not before.ready:
            return out
        job = self.queue[0]
        job.attempts += 1
        await self.transport.write(job.data, self.timeout_s)
        after = await self.read_status()
        if after != self.status_now:
            out.append(after)
        self.status_now = after
        if after.ready:
            self.queue.popleft()
            self.printed += 1
            if not job.done.done():
                job.done.set_result(None)
        return out

    async def read_status(self) -> PrinterStatus:
        """Full status now; silence from a ZPL printer means not ready, from ESC/POS or TSPL a timeout."""
        self.transport.discard_input()
        if self.language == "zpl":
            return await self._zpl_status()
        if self.language == "tspl":
            await self.transport.write(TSPL_STATUS, self.timeout_s)
            return decode_tspl_status((await self.transport.read_exactly(1, self.timeout_s))[0])
        status = PrinterStatus()
        for n in self.spec.status_queries:
            await self.transport.write(bytes([0x10, 0x04, n]), self.timeout_s)
            reply = await self.transport.read_exactly(1, self.timeout_s)
            status = status.merge(decode_dle_eot(n, reply[0]))
        return status

    async def _zpl_status(self) -> PrinterStatus:
        decoder = self.spec.decoder()
        await self.transport.write(b"~HS", self.timeout_s)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                chunk = await self.transport.read_some(max(0.0, deadline - time.monotonic()))
            except DeviceTimeout:
                return no_reply_status("zpl")
            for item in decoder.feed(chunk):
                if isinstance(item, DecodeError):
                    raise item
                if isinstance(item, PrinterStatus):
                    return item
