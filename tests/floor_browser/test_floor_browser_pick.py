"""A picker's whole tour on the PDA page, as a person does it: wrong scans refused at once,
Wi-Fi lost in the middle (and the page reloaded offline), a burst of fast scans, and the server
ending up with exactly the scans that were made, none lost and none counted twice."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import build_wave, tour_scans, tour_view

pytestmark = pytest.mark.browser


def wait_all_sent(pda: Pda) -> None:
    expect(pda.page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)


def test_floor_browser_whole_tour_with_wifi_loss_and_a_burst(pda: Pda, live_edge: LiveEdge) -> None:
    build_wave(live_edge)
    page = pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    page.click("#take")
    expect(page.locator("#work")).to_be_visible()
    tour = tour_view(live_edge, page.locator("#tour-id").inner_text())
    assert tour["picker_id"] == "P01"
    codes = tour_scans(tour)
    assert len(codes) >= 15, "the test needs a tour of at least 15 scans"
    first = tour["stops"][0]
    other_gtin = next(s["gtin"] for s in tour_view(live_edge, "T" + tour["tour_id"][1:-3] + "002")["stops"]
                      if s["gtin"] != first["gtin"])

    # The stop shows where to go and what to take; the count starts at zero, nothing prefilled.
    expect(page.locator("#loc")).to_have_text(first["location_code"])
    expect(page.locator("#picked")).to_have_text("0")
    expect(page.locator("#quantity")).to_have_text(str(first["quantity"]))
    expect(page.locator("#lot")).to_have_text(first["lot"])

    # Wrong location, an item before its location, a wrong item: each refused at once, with a signal.
    pda.scan("A16-20-3" if first["location_code"] != "A16-20-3" else "A16-19-3")
    expect(page.locator("#message")).to_contain_text("库位错误")
    assert page.locator("body").get_attribute("data-last-signal") == "error"
    pda.scan(first["gtin"])
    expect(page.locator("#message")).to_contain_text("请先扫库位")
    pda.scan(codes[0])
    expect(page.locator("#step")).to_have_attribute("data-step", "item")
    pda.scan(other_gtin)  # says which item is expected, by name, and what was scanned
    expect(page.locator("#message")).to_contain_text(f"商品错误：应拣 {first['name_zh']}（{first['gtin']}），扫到的是")
    pda.scan(f"]C101{first['gtin']}10WRONGLOT")
    expect(page.locator("#message")).to_contain_text("批次错误")
    pda.scan(codes[1])
    expect(page.locator("#picked")).to_have_text("1")
    wait_all_sent(pda)
    # "All sent" means the server has it, never just that the scan is not stored yet.
    assert live_edge.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                                  (tour["tour_id"],)) == 1

    # Wi-Fi drops: scanning goes on, the page even reloads from its cache, nothing is lost.
    # The page is kept on the device first: its service worker has cached the shell and is active.
    pda.kept_on_device()
    pda.wifi(False)
    pda.scan(*codes[2:4])
    expect(page.locator("#sync")).to_have_attribute("data-pending", "2")
    expect(page.locator("#net")).to_have_class("pill offline")
    pda.wait_stored(2)  # on the device before the reload: a scan is safe once stored, not once shown
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#picked")).to_have_text("3")
    assert page.evaluate("fetch('/api/v1/health').then(() => 'reached', () => 'offline')") == "offline"
    pda.scan(codes[4])
    expect(page.locator("#sync")).to_have_attribute("data-pending", "3")
    assert live_edge.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                                  (tour["tour_id"],)) == 1
    pda.wifi(True)
    wait_all_sent(pda)

    # A burst: the rest of the tour at scanner speed, ten codes or more inside one second.
    rest = codes[5:]
    started = time.monotonic()
    for code in rest:
        page.keyboard.insert_text(code)
        page.keyboard.press("Enter")
    elapsed = time.monotonic() - started
    assert len(rest) >= 10 and elapsed < 1.0 * len(rest) / 10, f"{len(rest)} scans took {elapsed:.2f} s"
    expect(page.locator("#finished")).to_be_visible()
    wait_all_sent(pda)

    # The server holds exactly what was scanned: every stop complete, each accepted scan once.
    after = tour_view(live_edge, tour["tour_id"])
    assert [(s["picked_qty"], s["status"]) for s in after["stops"]] == [(s["quantity"], "done") for s in tour["stops"]]
    assert after["status"] == "done"
    assert live_edge.store.scalar("SELECT COUNT(*) FROM floor_scans WHERE channel = 'pick' AND outcome = 'ok'"
                                  " AND subject = ?", (tour["tour_id"],)) == len(codes)
    assert live_edge.store.scalar("SELECT COUNT(*) FROM floor_scans WHERE outcome != 'ok'") == 0
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'floor.pick' AND subject = ?",
                                  (tour["tour_id"],)) == len(codes)

    # Dropped at the sort station: the page is free for the next tour.
    page.click("#drop")
    expect(page.locator("#take")).to_be_visible()
    wait_all_sent(pda)
    assert tour_view(live_edge, tour["tour_id"])["status"] == "dropped"


def test_floor_browser_short_pick_with_reason(pda: Pda, live_edge: LiveEdge) -> None:
    build_wave(live_edge)
    page = pda.sign_in("P02", DEMO_PIN, "/floor/pick")
    page.click("#take")
    expect(page.locator("#work")).to_be_visible()
    tour = tour_view(live_edge, page.locator("#tour-id").inner_text())
    first = tour["stops"][0]
    pda.scan(first["location_code"], first["gtin"])
    expect(page.locator("#picked")).to_have_text("1")
    page.click("#short")
    page.select_option("#short-reason", "damaged")
    page.click("#short-ok")
    expect(page.locator("#stops li[data-stop='1']")).to_have_class("short")
    wait_all_sent(pda)
    stop = tour_view(live_edge, tour["tour_id"])["stops"][0]
    assert (stop["status"], stop["picked_qty"], stop["short_reason"]) == ("short", 1, "damaged")
    assert live_edge.store.scalar("SELECT COUNT(*) FROM floor_exceptions WHERE kind = 'short_pick'") == 1
