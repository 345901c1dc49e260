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
