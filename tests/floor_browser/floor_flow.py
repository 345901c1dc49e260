"""Steps other people do through the API, so each browser test drives only its own page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from edge.demo_stack import compartment_assets
from edge.services import telemetry
from edge.services.coldchain_assets import SensorSpec, apply_spec
from edge.services.telemetry import Sample
from tests.fixtures.browser import LiveEdge
from tests.floor_api.floor_helpers import PLAN_SECONDS


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


def crates_ready(edge: LiveEdge, temp_class: str | None = None) -> list[str]:
    """Wave built, one tour (the longest of `temp_class` if given) picked and dropped, its first three SKUs sorted
    into store crates, closed after each SKU (so a store gets a crate per SKU)."""
    tours = build_wave(edge)
    if temp_class is not None:
        chosen = max((t for t in tours if t["temp_class"] == temp_class), key=lambda t: t["stops"])
        with edge.api("SUP01") as sup:
            answer = sup.post(f"/api/v1/floor/tours/{chosen['tour_id']}/assign", json={"picker_id": "P01"})
            assert answer.status_code == 200, answer.text
    tour = pick_next_tour(edge, "P01")
    assert temp_class in (None, tour["temp_class"])
    gtins = list(dict.fromkeys(stop["gtin"] for stop in tour["stops"]))[:3]
    return [sscc for gtin in gtins for sscc in sort_and_close(edge, gtin)]


def plan_routes(edge: LiveEdge) -> list[dict[str, Any]]:
    """The supervisor plans the date's routes on the demo fleet; routes richest in crates first."""
    with edge.api("SUP01") as sup:
        planned = sup.post("/api/v1/floor/routes/plan", json={"delivery_date": str(edge.delivery_date),
                                                              "time_limit_s": PLAN_SECONDS})
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


def cold_truck(edge: LiveEdge, vehicle_id: str) -> dict[str, str]:
    """The fleet's compartments as cold assets (as the demo stack sets them up), one temperature
    sensor in each compartment of this vehicle; returns temperature class -> sensor id."""
    spec = compartment_assets(edge.store)
    ours = [a for a in spec.assets if a.vehicle_id == vehicle_id]
    sensors = [SensorSpec(sensor_id=f"{a.asset_id}-t1", asset_id=a.asset_id, device_id=f"{a.asset_id}-logger")
               for a in ours]
    apply_spec(edge.store, spec.model_copy(update={"sensors": sensors}), actor="person:SUP01", now=edge.clock())
    return {a.temp_class: f"{a.asset_id}-t1" for a in ours}


def feed(edge: LiveEdge, sensor_id: str, start: dt.datetime, temps: list[float], step_s: int = 60) -> list[Sample]:
    """A sensor's readings, one every `step_s` from `start`, stored as the device runtime stores them."""
    samples = [Sample(sensor_id, start + dt.timedelta(seconds=n * step_s), t) for n, t in enumerate(temps)]
    result = telemetry.ingest(edge.store, samples, received_at=edge.clock())
    assert not result.rejected, result.rejected
    return samples
