"""The supervisor page's HQ sync health: HQ's clock skew, each direction's state, and an event HQ
refused, sent again from the page with a reason."""

from __future__ import annotations

from playwright.sync_api import expect

from edge.demo import SUPERVISOR_PIN
from edge.services.hq_port import StorePort
from hq_sync.port import Refusal
from hq_sync.protocol import TourDonePayload
from tests.fixtures.browser import LiveEdge, Pda


def test_floor_browser_sync_health_shows_skew_and_settles_a_dead_letter(pda: Pda, live_edge: LiveEdge) -> None:
    store, now = live_edge.store, live_edge.clock()
    port = StorePort(store)
    with store.write("person:SUP01", now) as w:
        w.emit(TourDonePayload(), "T20300702-001")
    [event] = [e for e in port.unacked_events(1000) if e.subject == "T20300702-001"]
    port.dead_letter([Refusal(event.idempotency_key, "unknown_tour", "HQ has no tour T20300702-001")], now)
    port.record_sync_state({"hq_clock_skew_s": "-1200.4", "last_push_error": "LinkDown: connection refused"}, now)

    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    health = page.locator("#sync-health")
    expect(health).to_have_attribute("data-dead-letters", "1", timeout=8000)
    expect(health).to_contain_text("总部时钟与本机相差 -1200 秒")
    expect(health.locator("[data-direction=push]")).to_contain_text("connection refused")
    letter = health.locator("#dead-letters li").first
    expect(letter).to_contain_text("unknown_tour")
    letter.locator("button[data-action=retry]").click()
    page.locator("dialog[open] input").fill("HQ added the tour")
    page.locator("dialog[open] button[value=ok]").click()
    expect(health).to_have_attribute("data-dead-letters", "0", timeout=8000)
    row = store.query("SELECT resolved_by, resolution, reason FROM sync_dead_letters")[0]
    assert row == {"resolved_by": "person:SUP01", "resolution": "retried", "reason": "HQ added the tour"}
