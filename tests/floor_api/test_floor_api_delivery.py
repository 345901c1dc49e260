"""Routes, loading and handoff: the manifest, wrong and missing crates, overrides, proof of delivery."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from edge.domain.auth import Role
from edge.services import auth
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


@pytest.fixture
def loaded_day(edge_node: EdgeNode) -> EdgeNode:
    """Picked, routed, sorted and closed: trucks ready to load."""
    pick_every_tour(edge_node)
    plan_routes(edge_node)
    sort_everything(edge_node)
    return edge_node


def load(node: EdgeNode, route_id: str, code: str, **fields: Any) -> dict[str, Any]:
    r = node.client.post(f"{API}/routes/{route_id}/load-scans?lang=en", json=new_scan(code) | fields,
                         headers=node.headers(Role.DRIVER))
    assert r.status_code == 200, r.text
    return r.json()


def test_routes_cover_every_store_with_crates_bound_to_truck_and_stop(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    planned = plan_routes(edge_node)
    assert planned["routes"] and not planned["violations"]
    served = {s["store_id"] for r in planned["routes"] for s in r["stops"]}
    ordered = {r["store_id"] for r in edge_node.store.query(
        "SELECT DISTINCT store_id FROM orders WHERE delivery_date = ?", (str(edge_node.delivery_date),))}
    assert served | {x["store_id"] for x in planned["left_out"]} == ordered
    sort_everything(edge_node, close=False)
    unbound = edge_node.store.scalar("SELECT COUNT(*) FROM crates c WHERE route_id IS NULL AND store_id IN"
                                     " (SELECT store_id FROM route_stops)")
    assert unbound == 0
    assert outbox(edge_node, "floor.routes_planned")


def test_manifest_is_in_reverse_stop_order_and_wrong_truck_is_flagged(loaded_day: EdgeNode) -> None:
    node = loaded_day
    routes = node.client.get(f"{API}/routes", params={"date": str(node.delivery_date)},
                             headers=node.headers(Role.SUPERVISOR)).json()
    assert len(routes) >= 2, "the small demo should need two trucks"
    first, second = routes[0]["route_id"], routes[1]["route_id"]
    assign_route(node, first)
    man = node.client.get(f"{API}/routes/{first}/manifest", headers=node.headers(Role.DRIVER)).json()
    stops = [c["stop_no"] for c in man["crates"]]
    assert stops == sorted(stops, reverse=True) and len(man["missing"]) == len(man["crates"])
    assert all(c["compartment_id"] for c in man["crates"])
    other = node.client.get(f"{API}/routes/{second}/manifest", headers=node.headers(Role.SUPERVISOR)).json()
    wrong = load(node, first, other["crates"][0]["sscc"])
    assert wrong["code"] == "wrong_truck" and wrong["params"]["route_id"] == second
    assert load(node, first, "junk")["code"] == "unknown_code"
    ok = load(node, first, f"]C100{man['crates'][0]['sscc']}")
    assert ok["ok"] and ok["remaining"] == len(man["crates"]) - 1
    scans = node.store.query("SELECT kind, route_id, vehicle_id, compartment_id FROM crate_scans WHERE sscc = ?"
                             " AND kind = 'loaded'", (man["crates"][0]["sscc"],))
    assert scans[0]["route_id"] == first and scans[0]["compartment_id"].startswith(scans[0]["vehicle_id"])
    over = node.client.get(f"{API}/exceptions", params={"date": str(node.delivery_date)},
                           headers=node.headers(Role.SUPERVISOR)).json()
    assert [x["kind"] for x in over] == ["wrong_truck"]


def test_departure_with_a_missing_crate_needs_a_supervisor_override(loaded_day: EdgeNode) -> None:
    node = loaded_day
    mine = node.client.get(f"{API}/routes", params={"date": str(node.delivery_date)},
                           headers=node.headers(Role.DRIVER))
    assert mine.json() == []  # no route is D01's yet
    route_id = node.store.scalar("SELECT route_id FROM routes ORDER BY route_no LIMIT 1")
    assign_route(node, route_id)
    man = node.client.get(f"{API}/routes/{route_id}/manifest", headers=node.headers(Role.DRIVER)).json()
    left_behind = man["crates"][-1]["sscc"]
    scans = [new_scan(c["sscc"]) for c in man["crates"] if c["sscc"] != left_behind]
    out = node.client.post(f"{API}/routes/{route_id}/load-scans/batch", json={"scans": scans + scans[:1]},
                           headers=node.headers(Role.DRIVER)).json()
    assert out["refused"] == 0 and out["duplicates"] == 1
    other = auth.sign_in(node.store, "D02", "2468", now=node.clock(), lifetime=dt.timedelta(hours=1))
    stranger = node.client.post(f"{API}/routes/{route_id}/load-scans", json=new_scan(left_behind),
                                headers={"Authorization": f"Bearer {other.token}"}).json()
    assert stranger["code"] == "not_your_route" and stranger["params"]["driver_id"] == "D01"
    refused = node.client.post(f"{API}/routes/{route_id}/depart", headers=node.headers(Role.DRIVER))
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "crates_missing"
    assert refused.json()["detail"]["missing"] == [left_behind]
    denied = node.client.post(f"{API}/routes/{route_id}/overrides", json={"reason": "crate found broken"},
                              headers=node.headers(Role.DRIVER))
    assert denied.status_code == 403
    ok = node.client.post(f"{API}/routes/{route_id}/overrides", json={"reason": "crate found broken"},
                          headers=node.headers(Role.SUPERVISOR))
    assert ok.json()["missing"] == [left_behind]
    on_truck = "SELECT COUNT(*) FROM orders WHERE status = ? AND store_id IN (SELECT store_id FROM route_stops" \
               " WHERE route_id = ?)"
    packed = node.store.scalar(on_truck, ("packed", route_id))
    assert packed > 0
    gone = node.client.post(f"{API}/routes/{route_id}/depart", headers=node.headers(Role.DRIVER))
    assert gone.status_code == 200 and gone.json()["status"] == "departed"
    assert node.store.scalar(on_truck, ("loaded", route_id)) >= packed
    override = node.store.query("SELECT * FROM overrides")[0]
    assert override["supervisor"] == "person:SUP01" and override["used_at"] is not None
    assert json.loads(outbox(node, "floor.departed")[0]["payload"])["payload"]["override_id"] == \
        override["override_id"]
    assert [x["kind"] for x in node.store.query("SELECT kind FROM floor_exceptions")] == ["missing_at_loading"]
    assert load(node, route_id, left_behind)["code"] == "route_departed"
    taken = node.client.get(f"{API}/routes", params={"date": str(node.delivery_date)},
                            headers=node.headers(Role.DRIVER)).json()
    assert [(r["route_id"], r["driver_id"], r["status"]) for r in taken] == [(route_id, "D01", "departed")]


def test_handoff_with_an_exception_sends_proof_of_delivery(loaded_day: EdgeNode) -> None:
    node = loaded_day
    stop = node.store.query("SELECT s.route_id, s.stop_no, s.store_id FROM route_stops s WHERE s.store_id = 'S0001'")
    if not stop:
        pytest.skip("S0001 has no orders in this demo")
    route_id, stop_no = stop[0]["route_id"], stop[0]["stop_no"]
    assign_route(node, route_id)
    man = node.client.get(f"{API}/routes/{route_id}/manifest", headers=node.headers(Role.DRIVER)).json()
    node.client.post(f"{API}/routes/{route_id}/load-scans/batch",
                     json={"scans": [new_scan(c["sscc"]) for c in man["crates"]]}, headers=node.headers(Role.DRIVER))
    early = node.client.post(f"{API}/routes/{route_id}/stops/{stop_no}/scans?lang=en",
                             json=new_scan(man["crates"][0]["sscc"]), headers=node.headers(Role.DRIVER)).json()
    assert early["code"] == "not_departed"
    assert node.client.post(f"{API}/routes/{route_id}/depart", headers=node.headers(Role.DRIVER)).status_code == 200
    ours = [c["sscc"] for c in man["crates"] if c["stop_no"] == stop_no]
    theirs = [c["sscc"] for c in man["crates"] if c["stop_no"] != stop_no]
    url = f"{API}/routes/{route_id}/stops/{stop_no}"
    scans = [new_scan(ours[0], condition="warm", note="box at 9 C")] + [new_scan(s) for s in ours[1:]]
    if theirs:
        scans.append(new_scan(theirs[0]))
    offline = node.client.post(f"{url}/scans/batch", json={"scans": scans + scans}, headers=node.headers(Role.DRIVER))
    results = offline.json()["results"]
    assert offline.json()["duplicates"] == len(scans)
    if theirs:
        assert results[len(scans) - 1]["code"] == "not_this_stop"
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    assert node.client.post(f"{url}/photo", content=b"GIF89a", headers=node.headers(Role.DRIVER)).status_code == 409
    photo = node.client.post(f"{url}/photo", content=jpeg, headers=node.headers(Role.DRIVER)).json()
    wrong_pin = node.client.post(f"{url}/confirm", json={"owner_code": "O0001", "pin": "0000"},
                                 headers=node.headers(Role.DRIVER))
    assert wrong_pin.status_code == 401
    other_owner = node.client.post(f"{url}/confirm", json={"owner_code": "O0002", "pin": "2468"},
                                   headers=node.headers(Role.DRIVER))
    assert other_owner.status_code == 403
    not_ours = node.client.post(f"{url}/confirm", json={"owner_code": "O0001", "pin": "2468", "photo_id": "ab" * 32},
                                headers=node.headers(Role.DRIVER))
    assert not_ours.status_code == 409 and not_ours.json()["detail"]["code"] == "bad_photo"
    proof = node.client.post(f"{url}/confirm", json={"owner_code": "O0001", "pin": "2468",
                                                     "photo_id": photo["photo_id"]}, headers=node.headers(Role.DRIVER))
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert body["confirmed_by"] == "O0001" and body["photo_sha256"] == photo["photo_id"]
    assert sorted(body["delivered"]) == sorted(ours)
    assert [(x["kind"], x["sscc"]) for x in body["exceptions"]] == [("warm", ours[0])]
    sent = outbox(node, "delivery.proof")
    assert len(sent) == 1 and json.loads(sent[0]["payload"])["payload"]["store_id"] == "S0001"
    assert (node.settings.data_dir / node.store.scalar(
        "SELECT photo_path FROM route_stops WHERE route_id = ? AND stop_no = ?", (route_id, stop_no))).exists()
    assert node.store.scalar("SELECT COUNT(*) FROM orders WHERE store_id = 'S0001' AND status != 'delivered'"
                             " AND delivery_date = ?", (str(node.delivery_date),)) == 0
    again = node.client.post(f"{url}/confirm", json={"owner_code": "O0001", "pin": "2468"},
                             headers=node.headers(Role.DRIVER))
    assert again.json() == body and len(outbox(node, "delivery.proof")) == 1
    late = node.client.post(f"{url}/scans?lang=en", json=new_scan(ours[0]), headers=node.headers(Role.DRIVER))
    assert late.json()["code"] == "stop_confirmed"
