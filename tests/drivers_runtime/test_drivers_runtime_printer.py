"""Label printers over TCP: status around every job, paper out mid-job; TSPL, ZPL and ESC/POS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drivers.devices.labels import Label
from drivers.devices.printer import LabelPrinter
from drivers.errors import LabelError
from drivers.simulators.printer import PrinterSim
from drivers.site import parse_site
from drivers.supervisor import Supervisor
from tests.drivers_runtime.helpers import eventually

SSCC = "069001234500000017"


@contextlib.asynccontextmanager
async def supervised(language: str, profile: str, *, cover_open: bool = False,
                     **device: Any) -> AsyncIterator[tuple[PrinterSim, LabelPrinter, Supervisor]]:
    """A printer simulator on TCP and the profile's LabelPrinter polling it under a Supervisor."""
    sim = PrinterSim(language)
    sim.cover_open = cover_open
    await sim.start()
    site = parse_site({"devices": [{"id": "p", "profile": profile, "host": sim.host, "tcp_port": sim.port,
                                    "poll_interval_s": 0.05, **device}]})
    try:
        async with Supervisor(site) as sup:
            printer = sup.devices[0]
            assert isinstance(printer, LabelPrinter)
            yield sim, printer, sup
    finally:
        await sim.stop()


async def test_escpos_job_waits_through_paper_out_mid_job_and_prints_exactly_once() -> None:
    async with supervised("escpos", "escpos-80mm-network") as (sim, printer, sup):
        first = printer.submit(Label(lines=("Blueberry 125g",), sscc=SSCC, qr="https://id.gs1.org/01/06901234000016"))
        await asyncio.wait_for(first.done, 5)
        assert sim.printed == [first.data]
        sim.run_out_during_next_job = True
        second = printer.submit(Label(lines=("Crate 2",), sscc=SSCC))
        await eventually(lambda: sim.rejected == [second.data], what="job hit paper end")
        await asyncio.sleep(0.3)  # several polls with no paper: the job must wait, not be resent
        assert not second.done.done() and len(printer.queue) == 1 and len(sim.rejected) == 1
        assert sup.status()[0].last_reading is not None and sup.status()[0].last_reading.paper_out is True
        sim.paper_out = False
        await asyncio.wait_for(second.done, 5)
        assert sim.printed == [first.data, second.data]
        assert second.attempts == 2 and printer.printed == 2


async def test_cover_open_holds_the_job_until_closed_and_rendering_is_escpos() -> None:
    async with supervised("escpos", "escpos-80mm-network", cover_open=True) as (sim, printer, _):
        job = printer.submit(Label(lines=("Melon",), sscc=SSCC))
        await eventually(lambda: sim.status_requests >= 12, what="several status polls")
        assert sim.printed == [] and sim.rejected == []
        sim.cover_open = False
        await asyncio.wait_for(job.done, 5)
        assert sim.printed == [job.data]
    assert b"\x1dkI\x18{C{100" + SSCC.encode() in job.data  # GS1-128: FNC1 then AI 00 in code set C
    assert job.data.endswith(b"\x1dV\x00")


async def test_zpl_printer_silent_in_fault_means_not_ready() -> None:
    async with supervised("zpl", "zebra-zpl-network", timeout_s=0.2) as (sim, printer, _):
        sim.silent = True
        job = printer.submit(Label(lines=("Cucumber",), sscc=SSCC))
        await asyncio.sleep(0.5)
        assert not job.done.done() and sim.printed == []
        sim.silent = False
        await asyncio.wait_for(job.done, 5)
        assert sim.printed == [job.data.strip()]
    assert b">;>800" + SSCC.encode() in job.data and job.data.startswith(b"^XA")


def test_label_rejects_a_wrong_sscc_check_digit() -> None:
    with pytest.raises(ValueError, match="check digit"):
        Label(sscc="069001234500000018")


@pytest.mark.parametrize(("language", "profile"), [("tspl", "tsc-tspl-network"), ("tspl", "gprinter-gp1324d-tspl"),
                                                   ("zpl", "zebra-zd888-cn-zpl"), ("escpos", "escpos-80mm-network")])
async def test_each_language_prints_a_chinese_crate_label_that_the_simulator_records(language: str,
                                                                                      profile: str) -> None:
    async with supervised(language, profile) as (sim, printer, _):
        job = printer.submit(Label(lines=("S001 徐汇001店", "冷藏"), sscc=SSCC, qr=f"(00){SSCC}"))
        await asyncio.wait_for(job.done, 5)
        assert [p.strip() for p in sim.printed] == [job.data.strip()] and sim.rejected == []
        assert "徐汇001店".encode("utf-8" if language == "zpl" else "gb18030") in sim.printed[0]


async def test_tspl_head_open_holds_the_job_and_unprintable_text_never_reaches_the_printer() -> None:
    async with supervised("tspl", "tsc-tspl-network", cover_open=True, id="tspl-1") as (sim, printer, sup):
        with pytest.raises(LabelError, match=r"tspl-1 cannot print '𠮷' U\+20BB7"):
            printer.submit(Label(lines=("𠮷野家",), sscc=SSCC))
        assert not printer.queue
        job = printer.submit(Label(lines=("徐汇",), sscc=SSCC))
        await eventually(lambda: sim.status_requests >= 6, what="several <ESC>!? polls")
        assert sim.printed == [] and sup.status()[0].last_reading.head_up is True  # type: ignore[union-attr]
        sim.cover_open = False
        await asyncio.wait_for(job.done, 5)
        assert sim.printed == [job.data] and "𠮷".encode("gb18030") not in sim.received
