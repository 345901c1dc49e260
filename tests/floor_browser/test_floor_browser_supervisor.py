"""The supervisor builds the wave, watches progress live, and reassigns a tour from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from edge.demo import SUPERVISOR_PIN
from tests.fixtures.browser import LiveEdge, Pda

pytestmark = pytest.mark.browser


def test_floor_browser_supervisor_builds_watches_and_reassigns(pda: Pda, live_edge: LiveEdge) -> None:
    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    expect(page.locator("#date")).to_have_value(str(live_edge.delivery_date))
    page.click("#build")
    expect(page.locator("#message")).to_contain_text("波次已生成")
    tours = live_edge.store.scalar("SELECT COUNT(*) FROM tours")
    assert tours > 0
    expect(page.locator("#counts .pill[data-status='open']")).to_have_text(f"待领 {tours}")

    with live_edge.api("P01") as picker:  # a picker takes a tour on their PDA
        taken = picker.post("/api/v1/floor/tours/next").json()
    # The overview refreshes by itself: the picker shows up without touching the page.
    expect(page.locator("#pickers")).to_contain_text(taken["tour_id"], timeout=8000)

    page.locator(f"tr[data-tour='{taken['tour_id']}'] button").click()
    page.fill("#ask-input", "p02")
    page.click("#ask-ok")
    expect(page.locator("#message")).to_contain_text("已改派给 P02")
    row = live_edge.store.query("SELECT picker_id, version FROM tours WHERE tour_id = ?", (taken["tour_id"],))[0]
    assert row == {"picker_id": "P02", "version": taken["version"] + 1}
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'floor.tour_assigned' AND actor = ?",
                                  ("person:SUP01",)) == 1
