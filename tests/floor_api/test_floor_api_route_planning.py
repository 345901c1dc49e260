"""Route planning as the supervisor's page drives it: a background job with progress, an honest
state (never `done` with a store left out), stores that cannot be served named with a reason,
and re-planning during the day that keeps the trucks already loading."""

from __future__ import annotations

import threading
from typing import Any

from edge.domain.auth import Role
from edge.pages.i18n import LOCALES, catalog
from edge.services.floor.plan_outcome import NO_COORDINATES
from routing.vrp.schedule import REASONS
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import API, assign_route, new_scan, pick_every_tour, sort_everything


def _job(node: EdgeNode, **body: Any) -> dict[str, Any]:
    """Start a planning job and poll it as the page does until it ends."""
    sup = node.headers(Role.SUPERVISOR)
    started = node.client.post(f"{API}/routes/plan-jobs", json={"delivery_date": str(node.delivery_date), **body},
                               headers=sup)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    seen: list[dict[str, Any]] = []
    pause = threading.Event()
    for _ in range(600):
        view = node.client.get(f"{API}/routes/plan-jobs/{job_id}", headers=sup)
        assert view.status_code == 200, view.text
        seen.append(view.json())
        if seen[-1]["state"] != "running":
            break
        pause.wait(0.1)  # the page's poll interval; the job's end is the state it reports
    assert seen[-1]["state"] != "running", "the planning job never ended"
    assert all({"elapsed_s", "budget_s", "stage"} <= set(v["progress"]) for v in seen)
    return seen[-1]


def test_plan_job_reports_progress_and_is_done_only_when_every_store_is_served(edge_node: EdgeNode) -> None:
    node = edge_node
    pick_every_tour(node)
    job = _job(node, time_limit_s=2)
    result = job["result"]
    assert job["progress"]["budget_s"] == 2 and job["progress"]["stage"] == "finished"
    assert {"status", "routes", "left_out", "km", "trucks", "stores_served"} <= set(result)
    ordered = node.store.scalar("SELECT COUNT(DISTINCT store_id) FROM orders WHERE delivery_date = ?",
                                (str(node.delivery_date),))
    assert result["stores_served"] + len(result["left_out"]) == ordered
    assert job["state"] == result["status"] == ("done" if not result["left_out"] and not result["violations"]
                                                else "incomplete")
    assert result["trucks"] == len(result["routes"]) and result["km"] > 0


def test_a_store_no_truck_can_reach_in_time_is_named_and_the_job_is_incomplete(edge_node: EdgeNode) -> None:
    node = edge_node
    early = node.store.query("SELECT store_id, name FROM stores ORDER BY store_id LIMIT 1")[0]
    with node.store.write("test", node.clock()) as w:  # closes before the first truck may leave (04:00)
        w.conn.execute("UPDATE stores SET window_start = '03:00', window_end = '03:30' WHERE store_id = ?",
                       (early["store_id"],))
    job = _job(node, time_limit_s=2)
    assert job["state"] == "incomplete" and job["result"]["status"] == "incomplete"
    out = {x["store_id"]: x for x in job["result"]["left_out"]}
    assert out[early["store_id"]]["reason_code"] == "window_unreachable"
    assert out[early["store_id"]]["store_name"] == early["name"]
    served = {s["store_id"] for r in job["result"]["routes"] for s in r["stops"]}
    assert early["store_id"] not in served and served
    sync = node.client.post(f"{API}/routes/plan", json={"delivery_date": str(node.delivery_date), "time_limit_s": 1},
                            headers=node.headers(Role.SUPERVISOR))
    assert sync.status_code == 200 and sync.json()["status"] == "incomplete"


def test_replanning_keeps_a_loading_truck_and_plans_the_rest_on_the_trucks_left(edge_node: EdgeNode) -> None:
    node = edge_node
    pick_every_tour(node)
    first = _job(node, time_limit_s=2)["result"]["routes"]
    sort_everything(node)
    loading = first[0]
    assign_route(node, loading["route_id"])
    crate = node.store.scalar("SELECT sscc FROM crates WHERE route_id = ? LIMIT 1", (loading["route_id"],))
    assign_route(node, loading["route_id"])
    loaded = node.client.post(f"{API}/routes/{loading['route_id']}/load-scans", json=new_scan(crate),
                              headers=node.headers(Role.DRIVER))
    assert loaded.json()["ok"], loaded.text
    down = first[1]["vehicle_id"]  # a truck breaks down: the fleet without it
    fleet = node.client.get(f"{API}/fleet", headers=node.headers(Role.SUPERVISOR)).json()["vehicles"]
    body = {"vehicles": [{"vehicle_id": v["vehicle_id"], "name": v["name"], "plate": v["plate"],
                          "compartments": [{k: c[k] for k in ("temp_class", "capacity_crates", "capacity_kg")}
                                           for c in v["compartments"]]} for v in fleet if v["vehicle_id"] != down]}
    assert node.client.put(f"{API}/fleet", json=body, headers=node.headers(Role.SUPERVISOR)).status_code == 200
    again = _job(node, time_limit_s=2)["result"]
    kept = [r for r in again["routes"] if r["route_id"] == loading["route_id"]]
    assert kept and [s["store_id"] for s in kept[0]["stops"]] == [s["store_id"] for s in loading["stops"]]
    assert down not in {r["vehicle_id"] for r in again["routes"]}
    everyone = {s["store_id"] for r in first for s in r["stops"]}
    now_served = {s["store_id"] for r in again["routes"] for s in r["stops"]}
    assert now_served | {x["store_id"] for x in again["left_out"]} >= everyone
    unbound = node.store.scalar("SELECT COUNT(*) FROM crates WHERE route_id IS NULL AND store_id IN"
                                " (SELECT store_id FROM route_stops)")
    assert unbound == 0


def test_every_reason_a_store_is_left_out_has_words_in_each_language() -> None:
    """The planner's reason codes (routing) and the page's texts (catalogs) are one list."""
    codes = {*REASONS, NO_COORDINATES}
    for locale in LOCALES:
        words = catalog(locale)
        assert not [c for c in codes if f"floor.left_out.{c}" not in words], locale
