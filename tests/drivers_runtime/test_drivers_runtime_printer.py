"""Label printers over TCP: status around every job, paper out mid-job; TSPL, ZPL and ESC/POS."""

from __future__ import annotations

import asyncio

import pytest

from drivers.devices.labels import Label
from drivers.devices.printer import LabelPrinter
from drivers.errors import LabelError
from drivers.simulators.printer import PrinterSim
from drivers.site import parse_site
from drivers.supervisor import Supervisor
from tests.drivers_runtime.helpers import eventually

SSCC = "069001234500000017"


def printer_of(sup: Supervisor) -> LabelPrinter:
    device = sup.devices[0]
    assert isinstance(device, LabelPrinter)
    return device


async def test_escpos_job_waits_through_paper_out_mid_job_and_prints_exactly_once() -> None:
    sim = PrinterSim("escpos")
    await sim.start()
    site = parse_site({"devices": [{"id": "label-1", "profile": "escpos-80mm-network", "host": sim.host,
                                    "tcp_port": sim.port, "poll_interval_s": 0.05}]})
    async with Supervisor(site) as sup:
        printer = printer_of(sup)
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
    await sim.stop()


async def test_cover_open_holds_the_job_until_closed_and_rendering_is_escpos() -> None:
    sim = PrinterSim("escpos")
    sim.cover_open = True
    await sim.start()
    site = parse_site({"devices": [{"id": "p", "profile": "escpos-80mm-network", "host": sim.host,
                                    "tcp_port": sim.port, "poll_interval_s": 0.05}]})
    async with Supervisor(site) as sup:
        job = printer_of(sup).submit(Label(lines=("Melon",), sscc=SSCC))
        await eventually(lambda: sim.status_requests >= 12, what="several status polls")
        assert sim.printed == [] and sim.rejected == []
        sim.cover_open = False
        await asyncio.wait_for(job.done, 5)
        assert sim.printed == [job.data]
    assert b"\x1dkI\x18{C{100" + SSCC.encode() in job.data  # GS1-128: FNC1 then AI 00 in code set C
    assert job.data.endswith(b"\x1dV\x00")
    await sim.stop()


async def test_zpl_printer_silent_in_fault_means_not_ready() -> None:
    sim = PrinterSim("zpl")
    await sim.start()
    site = parse_site({"devices": [{"id": "zebra", "profile": "zebra-zpl-network", "host": sim.host,
                                    "tcp_port": sim.port, "poll_interval_s": 0.05, "timeout_s": 0.2}]})
    async with Supervisor(site) as sup:
        sim.silent = True
        job = printer_of(sup).submit(Label(lines=("Cucumber",), sscc=SSCC))
        await asyncio.sleep(0.5)
        assert not job.done.done() and sim.printed == []
        sim.silent = False
        await asyncio.wait_for(job.done, 5)
    assert sim.printed == [job.data.strip()]
    assert b">;>800" + SSCC.encode() in job.data and job.data.startswith(b"^XA")
    await sim.stop()


def test_label_rejects_a_wrong_sscc_check_digit() -> None:
    with pytest.raises(ValueError, match="check digit"):
        Label(sscc="069001234500000018")


@pytest.mark.parametrize(("language", "profile"), [("tspl", "tsc-tspl-network"), ("tspl", "gprinter-gp1324d-tspl"),
                                                   ("zpl", "zebra-zd888-cn-zpl"), ("escpos", "escpos-80mm-network")])
async def test_each_language_prints_a_chinese_crate_label_that_the_simulator_records(language: str,
                                                                                      profile: str) -> None:
    sim = PrinterSim(language)
    await sim.start()
    site = parse_site({"devices": [{"id": "labels", "profile": profile, "host": sim.host, "tcp_port": sim.port,
                                    "poll_interval_s": 0.05}]})
    async with Supervisor(site) as sup:
        job = printer_of(sup).submit(Label(lines=("S001 徐汇001店", "冷藏"), sscc=SSCC, qr=f"(00){SSCC}"))
        await asyncio.wait_for(job.done, 5)
    assert [p.strip() for p in sim.printed] == [job.data.strip()] and sim.rejected == []
    assert "徐汇001店".encode("utf-8" if language == "zpl" else "gb18030") in sim.printed[0]
    await sim.stop()


async def test_tspl_head_open_holds_the_job_and_unprintable_text_never_reaches_the_printer() -> None:
    sim = PrinterSim("tspl")
    sim.cover_open = True
    await sim.start()
    site = parse_site({"devices": [{"id": "tspl-1", "profile": "tsc-tspl-network", "host": sim.host,
                                    "tcp_port": sim.port, "poll_interval_s": 0.05}]})
    async with Supervisor(site) as sup:
        printer = printer_of(sup)
        with pytest.raises(LabelError, match=r"tspl-1 cannot print '𠮷' U\+20BB7"):
            printer.submit(Label(lines=("𠮷野家",), sscc=SSCC))
        assert not printer.queue
        job = printer.submit(Label(lines=("徐汇",), sscc=SSCC))
        await eventually(lambda: sim.status_requests >= 6, what="several <ESC>!? polls")
        assert sim.printed == [] and sup.status()[0].last_reading.head_up is True  # type: ignore[union-attr]
        sim.cover_open = False
        await asyncio.wait_for(job.done, 5)
    assert sim.printed == [job.data] and "𠮷".encode("gb18030") not in sim.received
    await sim.stop()
