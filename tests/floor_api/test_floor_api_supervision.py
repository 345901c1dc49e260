"""Supervisor's view: HQ changes after picking starts become conflicts; exceptions are closed with a note;
crates staged in cold rooms are recorded for the cold chain."""

from __future__ import annotations

import json
from typing import Any

from edge.domain.auth import Role
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import API, build_wave, new_scan, outbox, pick, pick_every_tour, take_tour


def test_hq_change_to_an_order_being_picked_is_a_conflict_on_the_overview(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    pick(edge_node, tour, stop["location_code"])
    locked = edge_node.store.query(
        "SELECT o.hq_order_id, o.version, o.store_id, o.campaign_id FROM orders o JOIN order_lines l"
        " USING (hq_order_id) WHERE l.sku_id = ? AND o.status = 'picking' LIMIT 1", (stop["sku_id"],))[0]
    lines = edge_node.store.query("SELECT line_no, sku_id, quantity FROM order_lines WHERE hq_order_id = ?",
                                  (locked["hq_order_id"],))
    lines[0]["quantity"] += 5
    changed = {"hq_order_id": locked["hq_order_id"], "version": locked["version"] + 1,
               "store_id": locked["store_id"], "campaign_id": locked["campaign_id"],
               "delivery_date": str(edge_node.delivery_date), "status": "confirmed", "lines": lines}
    body = {"batch_id": "hq-change-1", "warehouse_id": edge_node.settings.warehouse_id,
            "created_at": edge_node.clock().isoformat(), "orders": [changed]}
    r = edge_node.client.post("/api/v1/orders/batches", content=json.dumps(body), headers=edge_node.headers(Role.HQ))
    assert r.status_code == 200 and r.json()["conflicts"] == 1
    over = edge_node.client.get(f"{API}/supervisor/overview", params={"date": str(edge_node.delivery_date)},
                                headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert [c["hq_order_id"] for c in over["conflicts"]] == [locked["hq_order_id"]]
    assert over["tours"]["picking"] == 1 and over["pickers"][0]["tour_id"] == tour["tour_id"]


def test_exceptions_are_resolved_with_a_note_and_hq_is_told(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    pick(edge_node, tour, "", action="short", stop_no=tour["stops"][0]["stop_no"], reason="damaged boxes")
    sup = edge_node.headers(Role.SUPERVISOR)
    date = {"date": str(edge_node.delivery_date)}
    open_ = edge_node.client.get(f"{API}/exceptions", params=date, headers=sup).json()
    assert len(open_) == 1
    done = edge_node.client.post(f"{API}/exceptions/{open_[0]['exception_id']}/resolve",
                                 json={"note": "reordered from supplier"}, headers=sup)
    assert done.status_code == 200 and done.json()["resolved_by"] == "person:SUP01"
    assert edge_node.client.get(f"{API}/exceptions", params=date, headers=sup).json() == []
    assert len(edge_node.client.get(f"{API}/exceptions", params=date | {"open": "false"}, headers=sup).json()) == 1
    assert outbox(edge_node, "floor.exception_resolved")
    missing = edge_node.client.post(f"{API}/exceptions/99999/resolve", json={"note": "x"}, headers=sup)
    assert missing.status_code == 404


def test_staging_a_closed_crate_in_a_cold_room_is_a_crate_scan(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    date = str(edge_node.delivery_date)
    headers = edge_node.headers(Role.SORTER)
    plan = edge_node.client.get(f"{API}/sort/plan", params={"date": date}, headers=headers).json()["skus"]
    shown = edge_node.client.post(f"{API}/sort/scans", json=new_scan(plan[0]["gtin"], delivery_date=date),
                                  headers=headers).json()
    sscc = shown["puts"][0]["sscc"]

    def stage(code: str) -> dict[str, Any]:
        r = edge_node.client.post(f"{API}/crates/stage-scans?lang=en", json=new_scan(code, asset_id="COLD-1"),
                                  headers=headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    edge_node.client.post(f"{API}/sort/scans", json=new_scan(sscc, delivery_date=date, asset_id="COLD-1"),
                          headers=headers)
    assert stage(sscc)["code"] == "crate_not_closed"
    edge_node.client.post(f"{API}/crates/{sscc}/close", headers=headers)
    assert stage(sscc)["ok"] and stage("06901234001006")["code"] == "unknown_code"
    kinds = edge_node.store.query("SELECT kind, asset_id FROM crate_scans WHERE sscc = ? ORDER BY crate_scan_id",
                                  (sscc,))
    assert kinds == [{"kind": "sorted", "asset_id": "COLD-1"}, {"kind": "packed", "asset_id": None},
                     {"kind": "staged", "asset_id": "COLD-1"}]
    crates = edge_node.client.get(f"{API}/crates", params={"date": date, "store_id": shown["puts"][0]["store_id"]},
                                  headers=headers).json()  # (a driver sees only crates of routes assigned to them)
    assert crates[0]["sscc"] == sscc and crates[0]["lines"][0]["sku_id"] == plan[0]["sku_id"]
