"""ETAs the customers see: re-timed at departure, after a handoff and from the truck's shared
position, sent to HQ per order as a typed event; a stop running late is listed for the supervisor
before its window closes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edge.domain.auth import Role
from hq_sync import protocol as hq
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import (
    API,
    assign_route,
    new_scan,
    outbox,
    pick_every_tour,
    plan_routes,
    sort_everything,
)


def _etas(node: EdgeNode) -> list[dict[str, Any]]:
    return [json.loads(r["payload"])["payload"] | {"subject": json.loads(r["payload"])["subject"]}
            for r in outbox(node, "order.eta")]


@pytest.fixture
def departed(edge_node: EdgeNode) -> tuple[EdgeNode, str]:
    """The route serving S0001, loaded whole and gone."""
    node = edge_node
    pick_every_tour(node)
    plan_routes(node)
    sort_everything(node)
    route_id = node.store.scalar("SELECT route_id FROM route_stops WHERE store_id = 'S0001'")
    if route_id is None:
        pytest.skip("S0001 has no orders in this demo")
    assign_route(node, route_id)
    man = node.client.get(f"{API}/routes/{route_id}/manifest", headers=node.headers(Role.DRIVER)).json()
    node.client.post(f"{API}/routes/{route_id}/load-scans/batch",
                     json={"scans": [new_scan(c["sscc"]) for c in man["crates"]]}, headers=node.headers(Role.DRIVER))
    node.clock.advance(minutes=5)
    gone = node.client.post(f"{API}/routes/{route_id}/depart", headers=node.headers(Role.DRIVER))
    assert gone.status_code == 200, gone.text
    return node, route_id


def test_departure_sends_each_orders_eta_window_on_its_truck(departed: tuple[EdgeNode, str]) -> None:
    node, route_id = departed
    route = node.store.query("SELECT * FROM routes WHERE route_id = ?", (route_id,))[0]
    stops = node.store.query("SELECT stop_no, store_id FROM route_stops WHERE route_id = ? ORDER BY stop_no",
                             (route_id,))
    rows = node.store.query("SELECT * FROM route_etas WHERE route_id = ? ORDER BY stop_no", (route_id,))
    assert [r["stop_no"] for r in rows] == [s["stop_no"] for s in stops]
    assert all(r["basis"] == "departure" and r["eta_from"] <= r["eta"] <= r["eta_to"] for r in rows)
    assert [r["eta"] for r in rows] == sorted(r["eta"] for r in rows)
    sent = _etas(node)
    orders = {r["hq_order_id"] for r in node.store.query(
        "SELECT hq_order_id FROM orders WHERE store_id IN (SELECT store_id FROM route_stops WHERE route_id = ?)"
        " AND status != 'cancelled'", (route_id,))}
    assert {e["subject"] for e in sent} == orders
    for e in sent:
        hq.OrderEtaPayload.model_validate({k: v for k, v in e.items() if k != "subject"})
        assert e["truck_no"] == route["route_no"] and e["route_id"] == route_id and e["basis"] == "departure"


def test_handoff_retimes_the_rest_and_a_far_truck_is_flagged_late(departed: tuple[EdgeNode, str]) -> None:
    node, route_id = departed
    stop_no = node.store.scalar("SELECT stop_no FROM route_stops WHERE route_id = ? AND store_id = 'S0001'",
                                (route_id,))
    url = f"{API}/routes/{route_id}/stops/{stop_no}"
    crates = [r["sscc"] for r in node.store.query("SELECT sscc FROM crates WHERE route_id = ? AND stop_no = ?",
                                                  (route_id, stop_no))]
    node.client.post(f"{url}/scans/batch", json={"scans": [new_scan(c) for c in crates]},
                     headers=node.headers(Role.DRIVER))
    node.clock.advance(minutes=20)
    done = node.client.post(f"{url}/confirm", json={"owner_code": "O0001", "pin": "2468"},
                            headers=node.headers(Role.DRIVER))
    assert done.status_code == 200, done.text
    rows = node.store.query("SELECT * FROM route_etas WHERE route_id = ?", (route_id,))
    assert stop_no not in {r["stop_no"] for r in rows}
    assert all(r["basis"] == "handoff" for r in rows)
    if not rows:
        pytest.skip("S0001 was the route's only stop")
    before = len(_etas(node))
    far = node.client.post(f"{API}/routes/{route_id}/position", json={"latitude": 39.9, "longitude": 116.4},
                           headers=node.headers(Role.DRIVER))  # the truck is reported in Beijing
    assert far.status_code == 200, far.text
    assert all(r["late"] for r in far.json())
    late = node.client.get(f"{API}/routes/late-stops", params={"date": str(node.delivery_date)},
                           headers=node.headers(Role.SUPERVISOR)).json()
    assert {(r["route_id"], r["stop_no"]) for r in late} == {(route_id, r["stop_no"]) for r in rows}
    assert all(not r["window_closed"] and r["store_name"] for r in late)
    resent = _etas(node)[before:]
    assert resent and all(e["late"] and e["basis"] == "position" for e in resent)
    bad = node.client.post(f"{API}/routes/{route_id}/position", json={"latitude": 91, "longitude": 0},
                           headers=node.headers(Role.DRIVER))
    assert bad.status_code == 422 and "latitude" in bad.text
