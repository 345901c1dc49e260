"""Steps other people do through the API, so each browser test drives only its own page."""

from __future__ import annotations

import uuid
from typing import Any

from tests.fixtures.browser import LiveEdge


def build_wave(edge: LiveEdge, cart_volume_ml: int = 40_000) -> list[dict[str, Any]]:
    with edge.api("SUP01") as sup:
        answer = sup.post("/api/v1/floor/waves", json={"delivery_date": str(edge.delivery_date),
                                                       "cart_volume_ml": cart_volume_ml})
        assert answer.status_code == 201, answer.text
        tours: list[dict[str, Any]] = answer.json()["tours"]
        return tours


def tour_view(edge: LiveEdge, tour_id: str) -> dict[str, Any]:
    with edge.api("SUP01") as sup:
        view: dict[str, Any] = sup.get(f"/api/v1/floor/tours/{tour_id}").json()
        return view


def tour_scans(tour: dict[str, Any]) -> list[str]:
    """Every scan a correct pick of the tour needs: each stop's location, then its items one by one."""
    codes = []
    for stop in tour["stops"]:
        codes.append(stop["location_code"])
        codes.extend([stop["gtin"]] * stop["quantity"])
    return codes


def pick_next_tour(edge: LiveEdge, picker: str) -> dict[str, Any]:
    """The picker takes the next tour, picks all of it and drops it at the sort station."""
    with edge.api(picker) as api:
        tour: dict[str, Any] = api.post("/api/v1/floor/tours/next").json()
        scans = [{"scan_id": str(uuid.uuid4()), "seq": n, "tour_version": tour["version"], "code": code}
                 for n, code in enumerate(tour_scans(tour), 1)]
        scans.append({"scan_id": str(uuid.uuid4()), "seq": len(scans) + 1, "tour_version": tour["version"],
                      "action": "drop", "code": "SORT-1"})
        answer = api.post(f"/api/v1/floor/tours/{tour['tour_id']}/scans/batch", json={"scans": scans}).json()
        assert answer["refused"] == 0, answer
        return tour


def sort_and_close(edge: LiveEdge, gtin: str) -> list[str]:
    """A sorter puts one picked SKU into its store crates and closes them; returns their SSCCs."""
    def scan(code: str) -> dict[str, Any]:
        body = {"scans": [{"scan_id": str(uuid.uuid4()), "seq": 1, "code": code,
                           "delivery_date": str(edge.delivery_date)}]}
        result: dict[str, Any] = sorter.post("/api/v1/floor/sort/scans/batch", json=body).json()["results"][0]
        assert result["ok"], result
        return result

    with edge.api("T01") as sorter:
        ssccs = []
        for put in scan(gtin)["puts"]:
            scan(put["sscc"])
            ssccs.append(put["sscc"])
        for sscc in ssccs:
            closed = sorter.post(f"/api/v1/floor/crates/{sscc}/close")
            assert closed.status_code == 200, closed.text
        return ssccs


def crates_ready(edge: LiveEdge) -> list[str]:
    """Wave built, one tour picked and dropped, its first two SKUs sorted into closed store crates."""
    build_wave(edge)
    tour = pick_next_tour(edge, "P01")
    gtins = list(dict.fromkeys(stop["gtin"] for stop in tour["stops"]))[:2]
    return [sscc for gtin in gtins for sscc in sort_and_close(edge, gtin)]


def plan_routes(edge: LiveEdge) -> list[dict[str, Any]]:
    """The supervisor plans the date's routes on the demo fleet; routes richest in crates first."""
    with edge.api("SUP01") as sup:
        planned = sup.post("/api/v1/floor/routes/plan", json={"delivery_date": str(edge.delivery_date),
                                                              "time_limit_s": 1})
        assert planned.status_code == 200, planned.text
        routes: list[dict[str, Any]] = planned.json()["routes"]
    return sorted(routes, key=lambda r: -sum(s["crates"] for s in r["stops"]))


def manifest(edge: LiveEdge, route_id: str) -> list[dict[str, Any]]:
    with edge.api("SUP01") as sup:
        crates: list[dict[str, Any]] = sup.get(f"/api/v1/floor/routes/{route_id}/manifest").json()["crates"]
        return crates


def assign_route(edge: LiveEdge, route_id: str, driver: str) -> None:
    with edge.api("SUP01") as sup:
        answer = sup.post(f"/api/v1/floor/routes/{route_id}/assign", json={"driver_id": driver})
        assert answer.status_code == 200, answer.text
