"""A real label printer path for floor tests: the drivers' TCP printer simulator, a LabelPrinter
under the drivers' Supervisor on its own event loop thread, wired into the edge app."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from drivers.devices.printer import LabelPrinter
from drivers.simulators.printer import PrinterSim
from drivers.site import parse_site
from drivers.supervisor import Supervisor
from edge.services.floor.printing import SupervisedPrinter
from tests.fixtures.edge import EdgeNode


@dataclass
class PrinterRig:
    sim: PrinterSim
    output: SupervisedPrinter
    loop: asyncio.AbstractEventLoop


@pytest.fixture
def printer_rig(edge_node: EdgeNode) -> Iterator[PrinterRig]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="printer-loop", daemon=True)
    thread.start()

    async def start() -> tuple[PrinterSim, Supervisor]:
        sim = PrinterSim("escpos")
        await sim.start()
        site = parse_site({"devices": [{"id": "crate-labels", "profile": "escpos-80mm-network", "host": sim.host,
                                        "tcp_port": sim.port, "poll_interval_s": 0.05}]})
        sup = Supervisor(site)
        await sup.start()
        return sim, sup

    sim, sup = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    printer = sup.devices[0]
    assert isinstance(printer, LabelPrinter)
    rig = PrinterRig(sim, SupervisedPrinter(printer, loop, timeout_s=1.0), loop)
    edge_node.client.app.state.label_printer = rig.output  # type: ignore[attr-defined]
    yield rig

    async def stop() -> None:
        await sup.stop()
        await sim.stop()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()
