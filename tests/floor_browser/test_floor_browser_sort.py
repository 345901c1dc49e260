"""The put wall: scan an item, see the slots (store crates) and how many, each crate's label printed
as it opens; confirm a put by scanning the slot or the crate's label; close a crate and get its
final label out of the (simulated) label printer; a wrong crate is refused naming the right slots;
the slot labels (one per store, with its name) are drawn for printing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from drivers.simulators.printer import PrinterSim
from edge.demo import DEMO_PIN
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import build_wave, pick_next_tour

pytestmark = pytest.mark.browser


def _until(done: Callable[[], bool], page: Page) -> None:
    for _ in range(100):
        if done():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the printer and the log did not get there in 10 s")


def test_floor_browser_sort_puts_and_prints_a_label(pda: Pda, live_edge: LiveEdge,
                                                    label_printer: PrinterSim) -> None:
    build_wave(live_edge)
    tour = pick_next_tour(live_edge, "P01")
    gtin = tour["stops"][0]["gtin"]
    page = pda.sign_in("T01", DEMO_PIN, "/floor/sort")

    pda.scan(gtin)
    puts = page.locator("#puts .put")
    expect(puts.first).to_be_visible()
    expect(page.locator("#step")).to_have_attribute("data-step", "crate")
    shown = [(row.get_attribute("data-sscc") or "", row.get_attribute("data-slot") or "") for row in puts.all()]
    assert shown and all(len(sscc) == 18 and slot.startswith("SLOT-") for sscc, slot in shown)
    # Each crate's label printed as it opened: the sorter has its SSCC to scan from the start.
    _until(lambda: len(label_printer.printed) == len(shown), page)
    assert all(sscc.encode() in job for (sscc, _), job in zip(shown, label_printer.printed, strict=True))

    pda.scan("00" + "0" * 17 + "0")  # a well-formed SSCC that is not one of the shown crates
    expect(page.locator("#message")).to_contain_text(f"格口不对：应放 {shown[0][1]}")

    first_sscc, first_slot = shown[0]
    pda.scan(first_slot.lower())  # the slot's own barcode confirms the put
    expect(page.locator(f"#puts .put[data-sscc='{first_sscc}']")).to_have_class("put confirmed")
    put = live_edge.store.scalar("SELECT SUM(quantity) FROM sort_puts WHERE sscc = ?", (first_sscc,))
    assert put and put > 0
    if len(shown) > 1:  # or the crate's label, where it is easier to reach
        pda.scan(f"]C100{shown[1][0]}")
        expect(page.locator(f"#puts .put[data-sscc='{shown[1][0]}']")).to_have_class("put confirmed")

    page.click("#slots-show")
    expect(page.locator(f"#slot-labels .slot-label[data-slot='{first_slot}']")).to_contain_text(
        live_edge.store.scalar("SELECT name FROM stores WHERE store_id = (SELECT store_id FROM crates WHERE sscc = ?)",
                               (first_sscc,)))
    expect(page.locator(f"#slot-labels .slot-label[data-slot='{first_slot}'] rect").first).to_be_attached()
    opened = len(label_printer.printed)

    row = page.locator(f"#crates li[data-sscc='{first_sscc}']")
    row.locator("button").click()
    expect(page.locator("#message")).to_contain_text(f"标签已打印 {first_sscc}")
    expect(row).to_have_attribute("data-status", "closed")
    _until(lambda: len(label_printer.printed) == opened + 1, page)
    assert first_sscc.encode() in label_printer.printed[-1]
    preview = page.locator("#label-preview")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("data-sscc", first_sscc)
    first_print = preview.get_attribute("data-print-id")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 799  # 100 mm at 203 dpi, the TSPL stock

    page.once("dialog", lambda dialog: dialog.accept("label torn off"))
    page.locator(f"#crates li[data-sscc='{first_sscc}'] button").click()
    # The first print's message is still on screen, so wait for the printer and the log, not the text.
    _until(lambda: len(label_printer.printed) == opened + 2 and live_edge.store.scalar(
        "SELECT COUNT(*) FROM label_prints WHERE sscc = ?", (first_sscc,)) == 3, page)
    expect(page.locator("#message")).to_contain_text("标签已打印")
    expect(preview).not_to_have_attribute("data-print-id", first_print or "")  # the reprint shows its own preview
    expect(preview).to_be_visible()
    assert live_edge.store.query("SELECT reprint, reason FROM label_prints WHERE sscc = ? ORDER BY print_id",
                                 (first_sscc,)) == [{"reprint": 0, "reason": None}, {"reprint": 0, "reason": None},
                                                    {"reprint": 1, "reason": "label torn off"}]
