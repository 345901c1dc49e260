"""Crate labels through the drivers' label printer, which lives on the device event loop.

The API runs in worker threads; the printer's job queue and status polling run on the drivers'
asyncio loop. A print hands the label to that loop and waits for the printer to confirm the job,
so "printed" in the label log means the printer said so, not that bytes left a socket.
"""

from __future__ import annotations

import asyncio

from drivers.devices.labels import Label
from drivers.devices.printer import LabelPrinter


class SupervisedPrinter:
    """A `LabelOutput` over a LabelPrinter that a drivers Supervisor runs on `loop`."""

    def __init__(self, printer: LabelPrinter, loop: asyncio.AbstractEventLoop, timeout_s: float = 5.0):
        self.printer = printer
        self.loop = loop
        self.name = printer.id
        self.stock = printer.spec.label
        self.timeout_s = timeout_s  # how long a sorter waits at the put wall before moving on

    def print_label(self, label: Label) -> int:
        async def job() -> int:
            queued = self.printer.submit(label)
            await asyncio.wait_for(asyncio.shield(queued.done), self.timeout_s)
            return len(queued.data)

        return asyncio.run_coroutine_threadsafe(job(), self.loop).result(self.timeout_s + 1.0)
