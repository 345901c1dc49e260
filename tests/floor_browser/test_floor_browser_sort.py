"""The put wall: scan an item, see the store crates and how many, confirm each by its label,
close a crate and get its label out of the (simulated) label printer; a wrong crate is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drivers.simulators.printer import PrinterSim
from edge.demo import DEMO_PIN
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import build_wave, pick_next_tour

pytestmark = pytest.mark.browser


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
    shown = [(row.get_attribute("data-sscc"), row.inner_text()) for row in puts.all()]
    assert shown and all(sscc and len(sscc) == 18 for sscc, _ in shown)

    pda.scan("00" + "0" * 17 + "0")  # a well-formed SSCC that is not one of the shown crates
    expect(page.locator("#message")).to_contain_text("周转箱错误")

    first_sscc = shown[0][0]
    assert first_sscc is not None
    pda.scan(f"]C100{first_sscc}")
    expect(page.locator(f"#puts .put[data-sscc='{first_sscc}']")).to_have_class("put confirmed")
    put = live_edge.store.scalar("SELECT SUM(quantity) FROM sort_puts WHERE sscc = ?", (first_sscc,))
    assert put and put > 0

    row = page.locator(f"#crates li[data-sscc='{first_sscc}']")
    row.locator("button").click()
    expect(page.locator("#message")).to_contain_text(f"标签已打印 {first_sscc}")
    expect(row).to_have_attribute("data-status", "closed")
    assert len(label_printer.printed) == 1
    assert first_sscc.encode() in label_printer.printed[0]
    preview = page.locator("#label-preview")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("data-sscc", first_sscc)
    first_print = preview.get_attribute("data-print-id")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 799  # 100 mm at 203 dpi, the TSPL stock

    page.once("dialog", lambda dialog: dialog.accept("label torn off"))
    page.locator(f"#crates li[data-sscc='{first_sscc}'] button").click()
    # The first print's message is still on screen, so wait for the printer and the log, not the text.
    for _ in range(100):
        logged = live_edge.store.scalar("SELECT COUNT(*) FROM label_prints WHERE sscc = ?", (first_sscc,))
        if len(label_printer.printed) == 2 and logged == 2:
            break
        page.wait_for_timeout(100)
    assert len(label_printer.printed) == 2
    expect(page.locator("#message")).to_contain_text("标签已打印")
    expect(preview).not_to_have_attribute("data-print-id", first_print or "")  # the reprint shows its own preview
    expect(preview).to_be_visible()
    assert live_edge.store.query("SELECT reprint, reason FROM label_prints WHERE sscc = ? ORDER BY print_id",
                                 (first_sscc,)) == [{"reprint": 0, "reason": None},
                                                    {"reprint": 1, "reason": "label torn off"}]
