"""Helpers for the floor API tests: send scans as a page would, walk whole tours."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

from edge.domain.auth import Role
from tests.fixtures.edge import EdgeNode

API = "/api/v1/floor"
#: What reads as English on a Chinese page: two English words in a row (a sentence, not a code such
#: as SORT-1 or MKT), or a 12-hour clock's AM/PM.
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,:;]+[A-Za-z]{3,}|\b[AP]M\b")
_seq = itertools.count(1)


def new_scan(code: str = "", **fields: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "seq": next(_seq), "device_id": "pda-test", "code": code} | fields


def build_wave(node: EdgeNode, cart_volume_ml: int = 240_000) -> dict[str, Any]:
    r = node.client.post(f"{API}/waves", json={"delivery_date": str(node.delivery_date),
                                               "cart_volume_ml": cart_volume_ml},
                         headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 201, r.text
    return r.json()


def take_tour(node: EdgeNode, role: Role = Role.PICKER, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = node.client.post(f"{API}/tours/next", headers=headers or node.headers(role))
    assert r.status_code == 200, r.text
    return r.json()


def pick(node: EdgeNode, tour: dict[str, Any], code: str, headers: dict[str, str] | None = None,
         **fields: Any) -> dict[str, Any]:
    body = new_scan(code, tour_version=tour["version"]) | fields
    r = node.client.post(f"{API}/tours/{tour['tour_id']}/scans?lang=en", json=body,
                         headers=headers or node.headers(Role.PICKER))
    assert r.status_code == 200, r.text
    return r.json()


def pick_all(node: EdgeNode, tour: dict[str, Any], headers: dict[str, str] | None = None,
             drop: bool = True) -> None:
    """Walk the whole tour in one batch: each location, then one scan per unit; then drop it."""
    scans = []
    for stop in tour["stops"]:
        scans.append(new_scan(stop["location_code"], tour_version=tour["version"]))
        scans += [new_scan(stop["gtin"], tour_version=tour["version"]) for _ in range(stop["quantity"])]
    if drop:
        scans.append(new_scan("SORT-1", tour_version=tour["version"], action="drop"))
    r = node.client.post(f"{API}/tours/{tour['tour_id']}/scans/batch", json={"scans": scans},
                         headers=headers or node.headers(Role.PICKER))
    assert r.status_code == 200, r.text
    assert r.json()["refused"] == 0, [x for x in r.json()["results"] if not x["ok"]][:3]


def pick_every_tour(node: EdgeNode) -> None:
    """Build the wave and let picker P01 pick and drop every tour in turn."""
    build_wave(node)
    while True:
        r = node.client.post(f"{API}/tours/next", headers=node.headers(Role.PICKER))
        if r.status_code == 404:
            return
        pick_all(node, r.json())


def events(node: EdgeNode, kind: str) -> list[dict[str, Any]]:
    return node.store.query("SELECT * FROM events WHERE kind = ? ORDER BY event_id", (kind,))


def outbox(node: EdgeNode, kind: str) -> list[dict[str, Any]]:
    return node.store.query("SELECT * FROM outbox WHERE kind = ? ORDER BY seq", (kind,))


def set_fleet(node: EdgeNode) -> None:
    from edge.demo import demo_fleet

    r = node.client.put(f"{API}/fleet", json=demo_fleet(4).model_dump(), headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 200, r.text


#: Enough for the small demo's dozen stores even when the solver's processes start slowly on a
#: machine busy with the whole suite (with 1 s they sometimes reported nothing in time).
PLAN_SECONDS = 3.0


def plan_routes(node: EdgeNode) -> dict[str, Any]:
    set_fleet(node)
    r = node.client.post(f"{API}/routes/plan",
                         json={"delivery_date": str(node.delivery_date), "time_limit_s": PLAN_SECONDS},
                         headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 200, r.text
    return r.json()


def assign_route(node: EdgeNode, route_id: str, driver: str = "D01") -> None:
    """A supervisor gives the route to a driver: drivers work only routes assigned to them."""
    r = node.client.post(f"{API}/routes/{route_id}/assign", json={"driver_id": driver},
                         headers=node.headers(Role.SUPERVISOR))
    assert r.status_code == 200, r.text


def sort_everything(node: EdgeNode, close: bool = True) -> None:
    """Every SKU to every store's crates at one put wall, then every crate closed."""
    date = str(node.delivery_date)
    headers = node.headers(Role.SORTER)
    plan = node.client.get(f"{API}/sort/plan", params={"date": date}, headers=headers).json()
    for sku in plan["skus"]:
        shown = node.client.post(f"{API}/sort/scans", json=new_scan(sku["gtin"], delivery_date=date),
                                 headers=headers).json()
        if not shown["ok"]:
            continue
        crates = [new_scan(p["sscc"], delivery_date=date) for p in shown["puts"]]
        out = node.client.post(f"{API}/sort/scans/batch", json={"scans": crates}, headers=headers).json()
        assert out["refused"] == 0, out["results"][:2]
    if close:
        for crate in node.store.query("SELECT sscc FROM crates WHERE status = 'open' AND units > 0"):
            r = node.client.post(f"{API}/crates/{crate['sscc']}/close", headers=headers)
            assert r.status_code == 200, r.text
