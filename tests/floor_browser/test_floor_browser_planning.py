"""A plan that leaves stores out is never shown as done: with one small truck for the day, the
supervisor's page says the plan is incomplete, counts the stores left out by reason (in Chinese)
and lists every one of them by name, and the map marks them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from edge.demo import SUPERVISOR_PIN
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_api.floor_helpers import ENGLISH

pytestmark = pytest.mark.browser


def test_floor_browser_incomplete_plan_names_every_store_left_out(pda: Pda, live_edge: LiveEdge) -> None:
    one_truck = {"vehicles": [{"vehicle_id": "V01", "name": "小冷藏车", "plate": "沪A·00001", "compartments": [
        {"temp_class": "chilled", "capacity_crates": 4, "capacity_kg": 300},
        {"temp_class": "frozen", "capacity_crates": 2, "capacity_kg": 100},
        {"temp_class": "ambient", "capacity_crates": 2, "capacity_kg": 100}]}]}
    with live_edge.api("SUP01") as sup:
        assert sup.put("/api/v1/floor/fleet", json=one_truck).status_code == 200
    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    page.select_option("#plan-budget", "10")
    page.click("#plan")
    result = page.locator("#plan-result")
    expect(result).to_have_attribute("data-state", "incomplete", timeout=60_000)
    expect(page.locator("#plan-summary")).to_contain_text("排线未完成")
    expect(page.locator("#plan-summary")).not_to_contain_text("排线完成")

    served = live_edge.store.scalar("SELECT COUNT(*) FROM route_stops")
    stores = live_edge.store.scalar("SELECT COUNT(DISTINCT store_id) FROM orders WHERE delivery_date = ?",
                                    (str(live_edge.delivery_date),))
    left = stores - served
    assert left > 0
    expect(page.locator("#left-out li")).to_have_count(left)
    expect(page.locator("#left-out-summary")).to_have_text(f"未排入的 {left} 家门店")
    counted = sum(int(t.split("：")[1].split(" ")[0]) for t in page.locator("#left-out-reasons li").all_inner_texts())
    assert counted == left
    name = live_edge.store.scalar("SELECT name FROM stores WHERE store_id NOT IN (SELECT store_id FROM route_stops)"
                                  " AND store_id IN (SELECT store_id FROM orders) ORDER BY store_id")
    expect(page.locator("#left-out")).to_contain_text(name)
    expect(page.locator("#route-map path[data-store]")).to_have_count(left)  # a red cross for each
    assert not ENGLISH.search(page.locator("#sec-routes").inner_text())
