"""What the floor tells HQ: each crate's temperature history with the proof of delivery, and picked
quantities per order line (`order.line_picked`) as puts happen, with the reason when a line leaves short."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from edge.domain.auth import Role
from edge.domain.floor.shorts import MAX_REASON, ShortPick, short_reason
from edge.services import auth, telemetry
from edge.services.hq_port import StorePort
from edge.services.telemetry import Sample
from hq_sync.agent import AgentConfig, SyncAgent
from hq_sync.client import HqClient
from hq_sync.protocol import DeliveryProofPayload, EdgeEvent
from hq_sync.reference_hq.db import payload_problem
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import (
    API,
    assign_route,
    build_wave,
    new_scan,
    outbox,
    pick,
    pick_all,
    pick_every_tour,
    plan_routes,
    sort_everything,
    take_tour,
)
from tests.hq_sync.hq_sync_harness import EDGE_ID, SECRET, Hq


def _payloads(node: EdgeNode, kind: str) -> list[dict[str, Any]]:
    return [json.loads(row["payload"])["payload"] for row in outbox(node, kind)]


def _load_and_depart(node: EdgeNode, route_id: str) -> list[dict[str, Any]]:
    assign_route(node, route_id)
    man = node.client.get(f"{API}/routes/{route_id}/manifest", headers=node.headers(Role.DRIVER)).json()
    loaded = node.client.post(f"{API}/routes/{route_id}/load-scans/batch",
                              json={"scans": [new_scan(c["sscc"]) for c in man["crates"]]},
                              headers=node.headers(Role.DRIVER)).json()
    assert loaded["refused"] == 0, loaded["results"][:2]
    r = node.client.post(f"{API}/routes/{route_id}/depart", headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 200, r.text
    return list(man["crates"])


def test_handoff_shows_each_crates_exposure_and_sends_it_with_the_proof(edge_node: EdgeNode) -> None:
    node = edge_node
    pick_every_tour(node)
    plan_routes(node)
    sort_everything(node)
    route_id, stop_no, store_id, vehicle = node.store.query(
        "SELECT c.route_id, c.stop_no, c.store_id, r.vehicle_id FROM crates c JOIN routes r USING (route_id)"
        " WHERE c.temp_class = 'chilled' ORDER BY c.route_id, c.stop_no LIMIT 1")[0].values()
    compartment, sensor = f"{vehicle}-chilled", f"{vehicle}-chilled.t1"
    config = {"assets": [{"asset_id": compartment, "kind": "truck_compartment", "name": "truck chilled",
                          "temp_class": "chilled", "vehicle_id": vehicle, "heartbeat_s": 600}],
              "sensors": [{"sensor_id": sensor, "asset_id": compartment, "device_id": "truck-probe"}]}
    r = node.client.put("/api/v1/coldchain/config", json=config, headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 200, r.text

    node.clock.advance(minutes=1)  # packed at DEMO_NOW, on the truck a minute later
    t0 = node.clock()
    crates = [c for c in _load_and_depart(node, route_id) if c["stop_no"] == stop_no]
    # Half an hour at 1 °C, then half an hour at 7 °C: in band, then warm, for any chilled crate
    # (0-4 °C; 0-2 °C for one holding blueberries, as the demo's site file narrows them).
    telemetry.ingest(node.store, [Sample(sensor, t0 + dt.timedelta(minutes=5 * k), 1.0 if k < 6 else 7.0)
                                  for k in range(12)], received_at=t0 + dt.timedelta(minutes=60))
    node.clock.advance(minutes=60)
    node.sign_in(Role.DRIVER)  # an hour's drive without touching the phone: the session ended idle
    url = f"{API}/routes/{route_id}/stops/{stop_no}"
    out = node.client.post(f"{url}/scans/batch", json={"scans": [new_scan(c["sscc"]) for c in crates]},
                           headers=node.headers(Role.DRIVER)).json()
    assert out["refused"] == 0

    view = node.client.get(url, headers=node.headers(Role.DRIVER)).json()
    shown = {c["sscc"]: c["exposure"] for c in view["crates"]}
    chilled = [c["sscc"] for c in view["crates"] if c["temp_class"] == "chilled"]
    berries = {r["sscc"] for r in node.store.query("SELECT sscc FROM crate_lines WHERE sku_id LIKE 'BLU-%'")}
    for sscc in chilled:
        e = shown[sscc]
        assert (e["min_c"], e["max_c"], e["above_s"], e["out_of_range_s"]) == (1.0, 7.0, 1800.0, 1800.0)
        assert 4.0 < e["mkt_c"] < 7.0 and e["covered_s"] == 3600.0 and e["unmonitored_s"] == 60.0
        high = 2.0 if sscc in berries else 4.0
        assert e["band"] == {"low_c": 0.0, "high_c": high} and "legs" not in e
    for sscc in set(shown) - set(chilled):  # no sensor in the frozen box: all of it unmonitored
        assert shown[sscc]["covered_s"] == 0 and shown[sscc]["max_c"] is None

    owner = node.store.scalar("SELECT code FROM people WHERE role = 'store_owner' AND store_id = ?", (store_id,))
    owner_token = auth.sign_in(node.store, owner, "2468", now=node.clock(), lifetime=dt.timedelta(hours=1)).token
    full = node.client.get(f"/api/v1/coldchain/exposure/crates/{chilled[0]}",
                           headers={"Authorization": f"Bearer {owner_token}"})
    assert full.status_code == 200 and full.json()["max_c"] == 7.0 and len(full.json()["legs"]) >= 2
    by_driver = node.client.get(f"/api/v1/coldchain/exposure/crates/{chilled[0]}", headers=node.headers(Role.DRIVER))
    assert by_driver.status_code == 200 and by_driver.json()["out_of_range_s"] == 1800.0

    node.clock.advance(minutes=1)
    proof = node.client.post(f"{url}/confirm", json={"owner_code": owner, "pin": "2468"},
                             headers=node.headers(Role.DRIVER))
    assert proof.status_code == 200, proof.text
    assert {c["sscc"]: c["exposure"] for c in proof.json()["crates"]} == shown  # delivered: history ends there
    sent = outbox(node, "delivery.proof")
    event = EdgeEvent(seq=sent[0]["seq"], idempotency_key=sent[0]["idempotency_key"], **json.loads(sent[0]["payload"]))
    assert payload_problem(event) is None
    payload = DeliveryProofPayload.model_validate(event.payload)
    assert {c.sscc: c.exposure.max_c for c in payload.crates if c.exposure and c.sscc in chilled} == \
        dict.fromkeys(chilled, 7.0)
    node.clock.advance(hours=2)
    node.sign_in(Role.DRIVER)
    again = node.client.post(f"{url}/confirm", json={"owner_code": owner, "pin": "2468"},
                             headers=node.headers(Role.DRIVER))
    assert again.json() == proof.json() and len(outbox(node, "delivery.proof")) == 1


def _pick_with_one_short(node: EdgeNode) -> dict[str, Any]:
    """Every tour picked; the first tour's first stop shorted with nothing picked."""
    build_wave(node)
    tour = take_tour(node)
    first = tour["stops"][0]
    shorted = pick(node, tour, first["location_code"], action="short", stop_no=first["stop_no"],
                   reason="cartons crushed")
    assert shorted["ok"], shorted
    rest = dict(tour, stops=tour["stops"][1:])
    pick_all(node, rest)
    while (r := node.client.post(f"{API}/tours/next", headers=node.headers(Role.PICKER))).status_code == 200:
        pick_all(node, r.json())
    return dict(first)


def test_puts_send_picked_quantities_and_departure_sends_short_lines_to_hq(edge_node: EdgeNode,
                                                                          tmp_path: Path) -> None:
    node = edge_node
    shorted = _pick_with_one_short(node)
    plan_routes(node)
    sort_everything(node)
    day = str(node.delivery_date)
    seen = _payloads(node, "order.line_picked")
    assert seen and all(p["short_reason"] is None for p in seen)
    last = {(p["hq_order_id"], p["line_no"]): p["picked_qty"] for p in seen}
    lines = {(r["hq_order_id"], r["line_no"]): r for r in node.store.query(
        "SELECT l.* FROM order_lines l JOIN orders o USING (hq_order_id) WHERE o.delivery_date = ?", (day,))}
    assert last == {k: r["picked_qty"] for k, r in lines.items() if r["picked_qty"] > 0}
    puts = sum(len(json.loads(row["payload"])["payload"]["order_lines"]) for row in outbox(node, "floor.put"))
    assert len(seen) == puts  # one event per line each put changed, no more

    for route_id in [r["route_id"] for r in node.store.query("SELECT route_id FROM routes ORDER BY route_no")]:
        _load_and_depart(node, route_id)
    final = _payloads(node, "order.line_picked")[len(seen):]
    on_trucks = {(r["hq_order_id"], r["line_no"]) for r in node.store.query(
        "SELECT l.hq_order_id, l.line_no FROM order_lines l JOIN orders o USING (hq_order_id) WHERE l.picked_qty"
        " < l.quantity AND o.store_id IN (SELECT store_id FROM route_stops)")}
    assert on_trucks and {(p["hq_order_id"], p["line_no"]) for p in final} == on_trucks
    assert all(p["short_reason"] and p["picked_qty"] < p["ordered_qty"] for p in final)
    crushed = [p for p in final if p["sku_id"] == shorted["sku_id"]]
    assert crushed and all(f"short pick at {shorted['location_code']}: cartons crushed" in p["short_reason"]
                           for p in crushed)

    hq = Hq(tmp_path)
    try:
        orders = [{"hq_order_id": o["hq_order_id"], "store_id": o["store_id"], "delivery_date": day,
                   "lines": [{"line_no": r["line_no"], "sku_id": r["sku_id"], "quantity": r["quantity"]}
                             for k, r in lines.items() if k[0] == o["hq_order_id"]]}
                  for o in node.store.query("SELECT hq_order_id, store_id FROM orders WHERE delivery_date = ?"
                                            " ORDER BY hq_order_id", (day,))]
        hq.call("POST", "/admin/orders", orders)
        with HqClient(hq.url, EDGE_ID, SECRET) as client:
            agent = SyncAgent(StorePort(node.store), client, AgentConfig(push_batch=1000))
            assert agent.push() == node.store.scalar("SELECT COUNT(*) FROM outbox")
            report = agent.reconcile(node.delivery_date)
        # HQ's digest covers picked quantities: equal trees mean HQ holds every line's picked_qty.
        assert report.hq_orders == len(orders) and report.differing_orders == 0, report.as_dict()
        assert hq.stats()["events"] == node.store.scalar("SELECT COUNT(*) FROM outbox")
    finally:
        hq.close()


def test_short_reason_names_every_cause_and_fits_hq() -> None:
    assert short_reason(10, 10, []) == "not sorted into the store's crates before its truck left"
    both = short_reason(10, 6, [ShortPick("A03-12-2", "damaged")])
    assert both == "not enough stock: 6 of 10 planned for picking; short pick at A03-12-2: damaged"
    long = short_reason(10, 10, [ShortPick(f"A0{i}-01-1", "x" * 60) for i in range(5)])
    assert len(long) == MAX_REASON and long.endswith("…")
