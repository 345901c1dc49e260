"""Loading a truck from the driver's phone: the manifest in reverse stop order, every crate but one
scanned, a crate of another truck flagged, departure refused with the missing crate flagged until
the supervisor allows it from their own page, with a reason that is recorded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import assign_route, crates_ready, manifest, plan_routes

pytestmark = pytest.mark.browser


def test_floor_browser_loading_with_one_crate_missing(pda: Pda, second_pda: Pda, live_edge: LiveEdge) -> None:
    crates_ready(live_edge)
    routes = plan_routes(live_edge)
    route_id, other_route = routes[0]["route_id"], routes[1]["route_id"]
    assign_route(live_edge, route_id, "D01")
    crates = [c["sscc"] for c in manifest(live_edge, route_id)]
    stranger = manifest(live_edge, other_route)[0]["sscc"]
    assert len(crates) >= 2, "the test needs a route with two crates or more"

    page = pda.sign_in("D01", DEMO_PIN, "/floor/load")
    expect(page.locator("#route")).to_have_text(route_id)
    expect(page.locator("#total")).to_have_text(str(len(crates)))
    shown = [row.get_attribute("data-sscc") for row in page.locator("#manifest li").all()]
    assert shown == crates  # reverse stop order, as the server lists it
    stops = [int(s) for s in page.locator("#manifest li").evaluate_all(
        "rows => rows.map(r => r.textContent.match(/\\d+/)[0])")]
    assert stops == sorted(stops, reverse=True)

    # Every crate but the last goes on; one of another truck is flagged at once and refused by the server.
    pda.scan(*[f"]C100{sscc}" for sscc in crates[:-1]])
    expect(page.locator("#loaded")).to_have_text(str(len(crates) - 1))
    pda.scan(stranger)
    expect(page.locator("#message")).to_contain_text("不属于本车")
    expect(page.locator(f"#flags li[data-sscc='{stranger}']")).to_be_visible()
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0")
    assert live_edge.store.query("SELECT kind, subject FROM floor_exceptions WHERE kind = 'wrong_truck'") == [
        {"kind": "wrong_truck", "subject": stranger}]
    assert live_edge.store.scalar("SELECT loaded_at FROM crates WHERE sscc = ?", (stranger,)) is None

    # Departing with the last crate missing is refused; the page names the crate.
    page.click("#depart")
    expect(page.locator("#message")).to_contain_text("需主管批准")
    expect(page.locator(f"#flags li[data-sscc='{crates[-1]}']")).to_be_visible()
    assert live_edge.store.scalar("SELECT status FROM routes WHERE route_id = ?", (route_id,)) == "loading"

    # The supervisor, on their own device, lets the truck go with a reason.
    sup = second_pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    truck = sup.locator(f"#routes li[data-route='{route_id}']")
    expect(truck).to_contain_text(f"{len(crates) - 1}/{len(crates)}")
    truck.locator("button.warn").click()  # override: only offered while crates are missing
    sup.fill("#ask-input", "store closed early, crate goes tomorrow")
    sup.click("#ask-ok")
    expect(sup.locator("#message")).to_contain_text(f"已批准 {route_id} 发车")

    page.click("#depart")
    expect(page.locator("#message")).to_contain_text("已发车")
    # No stale loading warnings once gone: the way on is the handoff.
    expect(page.locator("#depart")).to_be_hidden()
    expect(page.locator("#flags li")).to_have_count(0)
    expect(page.locator("#on-the-road a")).to_have_attribute("href", "/floor/handoff")
    assert live_edge.store.scalar("SELECT status FROM routes WHERE route_id = ?", (route_id,)) == "departed"
    override = live_edge.store.query("SELECT reason, supervisor, detail, used_at IS NOT NULL AS used FROM overrides"
                                     " WHERE subject = ?", (route_id,))
    assert override == [{"reason": "store closed early, crate goes tomorrow", "supervisor": "person:SUP01",
                         "detail": f'{{"missing": ["{crates[-1]}"]}}', "used": 1}]
    assert live_edge.store.scalar("SELECT COUNT(*) FROM floor_exceptions WHERE kind = 'missing_at_loading'"
                                  " AND subject = ?", (crates[-1],)) == 1
    loaded = live_edge.store.query("SELECT sscc FROM crates WHERE route_id = ? AND loaded_at IS NOT NULL"
                                   " ORDER BY sscc", (route_id,))
    assert [r["sscc"] for r in loaded] == sorted(crates[:-1])
    # Each step is in the event log and the outbox, naming the driver.
    for kind, subject in (("floor.override", route_id), ("floor.departed", route_id)):
        assert live_edge.store.scalar("SELECT COUNT(*) FROM outbox o JOIN events e USING (event_id)"
                                      " WHERE e.kind = ? AND e.subject = ?", (kind, subject)) == 1
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'floor.crate_loaded'"
                                  " AND actor = 'person:D01'") == len(crates) - 1
