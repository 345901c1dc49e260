"""One delivery day played through the pages, as the people doing it would, at a phone's size in
zh-CN: the supervisor builds the wave, plans the routes and gives them to drivers; two pickers pick
at once (a keyed count, a case label typed by hand); the sorter puts and labels; the driver loads,
leaves and hands over at two stores, one with a damaged crate; the owner sees the delivery; HQ's
outbox has the day's events. A screenshot of every step is kept in test-artifacts/whole-day/.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from drivers.simulators.printer import PrinterSim
from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from tests.fixtures.browser import ARTIFACTS, LiveEdge, Pda, _open_pda
from tests.floor_api.floor_helpers import ENGLISH
from tests.floor_browser.floor_flow import manifest, pick_next_tour

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "whole-day"


class Shots:
    """Numbered full-page screenshots, one per step of the day."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        self.folder, self.n = folder, 0

    def take(self, page: Page, step: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{step}.png"), full_page=True)


@pytest.fixture
def shots() -> Shots:
    return Shots(SHOTS)


@pytest.fixture
def devices(browser: Browser, live_edge: LiveEdge, request: pytest.FixtureRequest) -> Iterator[dict[str, Pda]]:
    """One phone per person of the day, each with its own storage and session."""
    with ExitStack() as stack:
        yield {who: stack.enter_context(_open_pda(browser, live_edge, request, who))
               for who in ("supervisor", "picker1", "picker2", "sorter", "driver", "owner")}


def _supervisor_adds_a_truck(page: Page, edge: LiveEdge) -> None:
    trucks = edge.store.scalar("SELECT COUNT(*) FROM vehicles WHERE active")
    page.click("#fleet-summary")
    page.click("#fleet-add")
    card = page.locator("#fleet .vehicle").last
    page.click("#fleet-save")  # an empty card is refused on the page, saying what is missing
    expect(page.locator("#message")).to_contain_text("填写不完整")
    for field, value in (("vehicle_id", "V99"), ("name", "冷藏车99"), ("plate", "沪A·00099"), ("crates.chilled", "40"),
                         ("kg.chilled", "1000"), ("crates.frozen", "12"), ("kg.frozen", "300")):
        card.locator(f"[data-field='{field}']").fill(value)
    page.click("#fleet-save")
    expect(page.locator("#message")).to_contain_text(f"车队已保存（{trucks + 1} 辆）")
    assert edge.store.query("SELECT temp_class, capacity_crates FROM vehicle_compartments WHERE vehicle_id = 'V99'"
                            " ORDER BY temp_class") == [{"temp_class": "chilled", "capacity_crates": 40},
                                                        {"temp_class": "frozen", "capacity_crates": 12}]


def _supervisor_plans_the_day(sup: Pda, edge: LiveEdge, shots: Shots) -> dict[str, Any]:
    page = sup.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    page.click("#build")
    expect(page.locator("#message")).to_contain_text("波次已生成")
    shots.take(page, "supervisor-wave")
    _supervisor_adds_a_truck(page, edge)
    page.select_option("#plan-budget", "10")
    page.click("#plan")
    expect(page.locator("#plan-progress")).to_be_visible()
    shots.take(page, "supervisor-planning")
    expect(page.locator("#plan-result")).to_be_visible(timeout=60_000)
    job_id = page.evaluate(f"localStorage.getItem('haolin.plan.{edge.delivery_date}')")
    with edge.api("SUP01") as api:
        job = api.get(f"/api/v1/floor/routes/plan-jobs/{job_id}").json()
    result = job["result"]
    state = page.locator("#plan-result")
    expect(state).to_have_attribute("data-state", job["state"])
    if job["state"] == "done":
        expect(page.locator("#plan-summary")).to_contain_text("排线完成")
    else:  # never shown as done: every store left out is named with its reason in Chinese
        expect(page.locator("#plan-summary")).to_contain_text("排线未完成")
    expect(page.locator("#left-out li")).to_have_count(len(result["left_out"]))
    expect(page.locator("#route-map polyline")).to_have_count(len(result["routes"]))
    expect(page.locator("#routes li")).to_have_count(len(result["routes"]))
    shots.take(page, "supervisor-routes")
    return job


def _pick_scans(stop: dict[str, Any], n: int) -> list[tuple[str, int | None]]:
    """What a picker scans at a stop (code, keyed count): the location, then the goods in as few
    scans as a real picker would: a weighed item's label, a case label typed by hand (AI 37), or one
    unit scanned with its count keyed."""
    gtin, qty = stop["gtin"], stop["quantity"]
    if stop["variable_weight"]:
        item = [(f"(01){gtin}(3103){qty:06d}", None)]
    elif qty == 1:
        item = [(gtin, None)]
    elif n % 2:
        item = [(f"(01) {gtin} (37) {qty}", None)]
    else:
        item = [(gtin, qty)]
    return [(stop["location_code"], None), *item]


def _two_pickers_pick_at_once(p1: Pda, p2: Pda, edge: LiveEdge, shots: Shots) -> list[dict[str, Any]]:
    tours = []
    for pda, code in ((p1, "P01"), (p2, "P02")):
        page = pda.sign_in(code, DEMO_PIN, "/floor/pick")
        page.click("#take")
        expect(page.locator("#work")).to_be_visible()
        with edge.api("SUP01") as api:
            tours.append(api.get(f"/api/v1/floor/tours/{page.locator('#tour-id').inner_text()}").json())
    plans = [[scan for n, stop in enumerate(t["stops"]) for scan in _pick_scans(stop, n)] for t in tours]
    for step in range(max(len(p) for p in plans)):  # stop by stop, side by side
        for pda, plan in ((p1, plans[0]), (p2, plans[1])):
            if step >= len(plan):
                continue
            code, count = plan[step]
            if count:
                pda.page.fill("#count", str(count))
                pda.page.press("#count", "Enter")
            pda.scan(code)
            expect(pda.page.locator("#message")).not_to_have_class("msg-error")
        if step == 3:
            shots.take(p1.page, "picker-keyed-count")
    for n, pda in enumerate((p1, p2), 1):
        expect(pda.page.locator("#finished")).to_be_visible()
        pda.scan("A01-01-1")  # not a station: refused, the cart stays with the picker
        expect(pda.page.locator("#message")).to_contain_text("请扫描分拣站条码")
        pda.scan("SORT-1")
        expect(pda.page.locator("#message")).to_contain_text("已交到分拣站 SORT-1")
        expect(pda.page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)
        shots.take(pda.page, f"picker{n}-dropped")
    for tour in tours:
        with edge.api("SUP01") as api:
            done = api.get(f"/api/v1/floor/tours/{tour['tour_id']}").json()
        assert done["status"] == "dropped" and all(s["picked_qty"] == s["quantity"] for s in done["stops"]), done
    while edge.store.scalar("SELECT COUNT(*) FROM tours WHERE status = 'open'"):  # the rest of the floor
        pick_next_tour(edge, "P01")
    return tours


def _sorter_puts_and_labels(sorter: Pda, edge: LiveEdge, gtin: str, shots: Shots) -> None:
    page = sorter.sign_in("T01", DEMO_PIN, "/floor/sort")
    page.click("#slots-show")
    expect(page.locator("#slot-labels .slot-label").first).to_be_visible()
    shots.take(page, "sorter-slot-labels")
    sorter.scan(gtin)
    rows = page.locator("#puts .put")
    expect(rows.first).to_be_visible()
    slots = [row.get_attribute("data-slot") or "" for row in rows.all()]
    for slot in slots:
        sorter.scan(slot)
        expect(page.locator(f"#puts .put[data-slot='{slot}']")).to_have_class("put confirmed")
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)
    shots.take(page, "sorter-puts-confirmed")
    day = str(edge.delivery_date)
    with edge.api("T01") as api:  # the rest of the wall, by the other sorters
        for sku in api.get("/api/v1/floor/sort/plan", params={"date": day}).json()["skus"]:
            shown = _sort(api, day, sku["gtin"])
            for put in shown.get("puts", []):
                _sort(api, day, put["slot"])
        for crate in api.get("/api/v1/floor/crates", params={"date": day}).json():
            if crate["status"] == "open":
                assert api.post(f"/api/v1/floor/crates/{crate['sscc']}/close").status_code == 200


def _sort(api: Any, day: str, code: str) -> dict[str, Any]:
    body = {"scans": [{"scan_id": str(uuid.uuid4()), "seq": 1, "code": code, "delivery_date": day}]}
    result: dict[str, Any] = api.post("/api/v1/floor/sort/scans/batch", json=body).json()["results"][0]
    return result


def _driver_loads_and_departs(driver: Pda, edge: LiveEdge, route_id: str, shots: Shots) -> list[dict[str, Any]]:
    page = driver.sign_in("D01", DEMO_PIN, "/floor/load")
    expect(page.locator("#route")).to_have_text(route_id)
    crates = manifest(edge, route_id)
    for crate in crates:
        driver.scan(f"]C100{crate['sscc']}")
    expect(page.locator("#loaded")).to_have_text(str(len(crates)))
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)
    shots.take(page, "driver-loaded")
    page.click("#depart")
    expect(page.locator("#message")).to_contain_text("已发车")
    expect(page.locator("#depart")).to_be_hidden()
    shots.take(page, "driver-departed")
    page.click("#on-the-road a")
    page.wait_for_url(re.compile(r"/floor/handoff"))
    page.wait_for_selector("body[data-ready='1']")
    return crates


def _handover(driver: Pda, edge: LiveEdge, stop_no: int, crates: list[str], damaged: str | None,
              shots: Shots) -> str:
    page = driver.page
    page.select_option("#stop", str(stop_no))
    store_id = edge.store.scalar("SELECT store_id FROM route_stops WHERE route_id = (SELECT route_id FROM crates"
                                 " WHERE sscc = ?) AND stop_no = ?", (crates[0], stop_no))
    name, address = edge.store.query("SELECT name, address FROM stores WHERE store_id = ?", (store_id,))[0].values()
    expect(page.locator("#store-name")).to_contain_text(name)
    expect(page.locator("#store-address")).to_have_text(address)
    arrival = edge.store.scalar("SELECT arrival FROM route_stops WHERE store_id = ? AND route_id = (SELECT route_id"
                                " FROM crates WHERE sscc = ?)", (store_id, crates[0]))
    local = dt.datetime.fromisoformat(arrival).astimezone(edge.settings.zone)
    expect(page.locator("#store-eta")).to_have_text(f"预计 {local:%H:%M} 到")  # the site's clock, not the phone's
    expect(page.locator("#nav-amap")).to_have_attribute("href", re.compile(r"^https://uri\.amap\.com/marker\?position="))
    expect(page.locator("#nav-geo")).to_have_attribute("href", re.compile(r"^geo:"))
    for sscc in crates:
        if sscc == damaged:
            page.select_option("#condition", "damaged")
        driver.scan(f"]C100{sscc}")
    expect(page.locator("#scanned")).to_have_text(str(len(crates)))
    expect(page.locator("#owner")).to_have_value("")  # nothing left over from the stop before
    page.fill("#owner", f"O{store_id[1:]}")
    page.fill("#owner-pin", DEMO_PIN)
    shots.take(page, f"driver-handoff-stop{stop_no}")
    page.click("#confirm-go")
    expect(page.locator("#message")).to_contain_text("已确认收货")
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)
    return str(store_id)


def _owner_sees_the_delivery(owner: Pda, edge: LiveEdge, store_id: str, shots: Shots) -> None:
    page = owner.goto("/floor/signin")  # no page asked for: signing in leads to the owner's own home
    page.fill("#code", f"O{store_id[1:]}")
    page.fill("#pin", DEMO_PIN)
    page.click("#go")
    page.wait_for_url(re.compile(r"/floor/owner$"))
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#store-name")).to_contain_text(store_id)
    expect(page.locator("#deliveries li[data-status='delivered']")).to_have_count(1)
    crates = edge.store.scalar("SELECT COUNT(*) FROM crates WHERE store_id = ? AND delivery_date = ?",
                               (store_id, str(edge.delivery_date)))
    expect(page.locator("#owner-crates li")).to_have_count(crates)
    expect(page.locator("#owner-crates")).to_contain_text("破损")
    shots.take(page, "owner-home")
    product = page.locator("#products li a").first
    name = product.inner_text()
    product.click()
    page.wait_for_url(re.compile(r"/brix\?"))
    expect(page.locator("#brix-sku option:checked")).to_have_text(name)  # chosen by name, not typed as a code
    shots.take(page, "owner-brix")


def test_whole_day(devices: dict[str, Pda], live_edge: LiveEdge, shots: Shots, label_printer: PrinterSim) -> None:
    job = _supervisor_plans_the_day(devices["supervisor"], live_edge, shots)
    routes = sorted(job["result"]["routes"], key=lambda r: -len(r["stops"]))
    assert routes, job
    sup = devices["supervisor"].page
    route = routes[0]
    row = sup.locator(f"#routes li[data-route='{route['route_id']}']")
    row.locator("select.driver").select_option("D01")
    row.locator("button", has_text="指派").click()
    expect(sup.locator("#message")).to_contain_text(f"{route['route_id']} 已指派给 D01")
    expect(row).to_contain_text("D01")

    tours = _two_pickers_pick_at_once(devices["picker1"], devices["picker2"], live_edge, shots)
    _sorter_puts_and_labels(devices["sorter"], live_edge, tours[0]["stops"][0]["gtin"], shots)
    assert label_printer.printed, "crate labels come out of the printer"

    crates = _driver_loads_and_departs(devices["driver"], live_edge, route["route_id"], shots)
    by_stop: dict[int, list[str]] = {}
    for crate in crates:
        by_stop.setdefault(crate["stop_no"], []).append(crate["sscc"])
    first, second = sorted(by_stop)[:2]
    damaged = by_stop[first][-1]
    stores = [_handover(devices["driver"], live_edge, first, by_stop[first], damaged, shots),
              _handover(devices["driver"], live_edge, second, by_stop[second], None, shots)]
    assert live_edge.store.scalar("SELECT COUNT(*) FROM floor_exceptions WHERE kind = 'damaged' AND subject = ?",
                                  (damaged,)) == 1
    assert all(live_edge.store.scalar("SELECT status FROM route_stops WHERE route_id = ? AND store_id = ?",
                                      (route["route_id"], s)) == "delivered" for s in stores)

    _owner_sees_the_delivery(devices["owner"], live_edge, stores[0], shots)

    # Every page of the day speaks Chinese: no English sentence on any of them.
    sup.reload()
    sup.wait_for_selector("body[data-ready='1']")
    shots.take(sup, "supervisor-end-of-day")
    for who, device in devices.items():
        seen = device.page.locator("main").inner_text().replace("English", "")
        assert not ENGLISH.search(seen), (who, ENGLISH.findall(seen))

    # HQ's outbox has the day's events, in the order they happened.
    kinds = {r["kind"] for r in live_edge.store.query("SELECT DISTINCT kind FROM outbox")}
    assert kinds >= {"floor.wave_built", "floor.routes_planned", "floor.route_assigned", "floor.pick",
                     "floor.tour_dropped", "floor.put", "floor.crate_closed", "floor.label_printed",
                     "floor.crate_loaded", "floor.departed", "floor.exception", "delivery.proof"}, kinds
