"""Delivery routes for a date: the stores' crates and kilograms, windows and places, planned on the
fleet by the routing library; each store's crates are bound to their truck and stop.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from edge.domain.auth import Principal
from edge.services.floor import replan
from edge.services.floor.errors import FloorError, NotFound
from edge.services.floor.plan_outcome import outcome
from edge.services.floor.sorting import CRATE_ML
from edge.site import Site, seconds_of_day
from edge.store import Store
from hq_sync import protocol as hq
from routing.bounded import warm_up
from routing.errors import RoutingError
from routing.vrp.model import Instance, Stop, VehicleType
from routing.vrp.solve import OnProgress, solve_delivery


def _demand(store: Store, day: str) -> list[dict[str, Any]]:
    """Per store with goods that day: crates per class (made, or estimated from volume) and kg."""
    rows = store.query(
        "SELECT o.store_id, s.temp_class, SUM(l.quantity * s.volume_ml) AS ml, SUM(l.quantity * s.weight_g) AS g"
        " FROM order_lines l JOIN orders o USING (hq_order_id) JOIN skus s USING (sku_id)"
        " WHERE o.delivery_date = ? AND o.status != 'cancelled' GROUP BY o.store_id, s.temp_class", (day,))
    made = {(r["store_id"], r["temp_class"]): r["n"] for r in store.query(
        "SELECT store_id, temp_class, COUNT(*) AS n FROM crates WHERE delivery_date = ? GROUP BY store_id, temp_class",
        (day,))}
    stores: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = stores.setdefault(r["store_id"], {"crates": {}, "g": 0})
        made_here = made.get((r["store_id"], r["temp_class"]), 0)
        entry["crates"][r["temp_class"]] = max(math.ceil(r["ml"] / CRATE_ML), made_here)
        entry["g"] += r["g"]
    info = {r["store_id"]: r for r in store.query("SELECT * FROM stores")}
    return [{"store": info[s], **stores[s]} for s in sorted(stores)]


def plan_routes(store: Store, date: dt.date, *, site: Site, who: Principal, now: dt.datetime, zone: ZoneInfo,
                time_limit_s: float = 10.0, progress: OnProgress | None = None) -> dict[str, Any]:
    """Plan (or re-plan) the date's routes on the active fleet, from the site's warehouse, dispatch
    hours, cold-chain caps and travel times; routes already loading or gone are kept (`replan`)."""
    day = date.isoformat()
    kept = replan.in_use(store, day)
    fleet = [c for c in store.query(
        "SELECT v.vehicle_id, c.temp_class, c.capacity_crates, c.capacity_kg FROM vehicles v"
        " JOIN vehicle_compartments c USING (vehicle_id) WHERE v.active ORDER BY v.vehicle_id")
        if c["vehicle_id"] not in kept.vehicles]
    if not fleet:
        raise FloorError("no_fleet", "no active vehicles left at the warehouse: set up the fleet first")
    demand = replan.still_to_plan(_demand(store, day), kept)
    if not demand:
        raise NotFound("no_orders", f"nothing left to deliver on {day}")
    located = [d for d in demand if d["store"]["latitude"] is not None and d["store"]["longitude"] is not None]
    unlocated = [d["store"]["store_id"] for d in demand if d not in located]
    types: dict[str, dict[str, Any]] = {}
    for c in fleet:
        t = types.setdefault(c["vehicle_id"], {"crates": {}, "kg": 0})
        t["crates"][c["temp_class"]] = c["capacity_crates"]
        t["kg"] += c["capacity_kg"]
    vehicle_types = [VehicleType(v, 1, sum(t["crates"].values()), t["kg"], dict(t["crates"]))
                     for v, t in types.items()]
    stops = [Stop(d["store"]["store_id"], d["crates"], math.ceil(d["g"] / 1000),
                  (seconds_of_day(d["store"]["window_start"]), seconds_of_day(d["store"]["window_end"])),
                  site.service_seconds(d["store"]["service_minutes"])) for d in located]
    distance, travel = site.delivery_matrices(
        [(d["store"]["store_id"], d["store"]["latitude"], d["store"]["longitude"]) for d in located])
    try:
        instance = Instance(f"delivery-{day}", stops, vehicle_types, distance, travel,
                            depot_window=site.dispatch_window,
                            max_on_truck=site.max_on_truck({c for s in stops for c in s.crates}))
        warm_up()  # the solver's process server starts once (seconds on a busy node), not on the clock
        plan = solve_delivery(instance, time_limit=time_limit_s, progress=progress)
    except RoutingError as error:
        raise FloorError("routing_failed", f"routing could not plan {day}: {error}") from None
    midnight = dt.datetime.combine(date, dt.time(), zone)
    with store.write(who.actor, now, who.device_id) as w:
        replan.clear_planned(w, day, kept)
        for n, route in enumerate(plan.routes, kept.last_route_no + 1):
            route_id = f"R{date:%Y%m%d}-{n:02d}"
            w.conn.execute(
                "INSERT INTO routes (route_id, delivery_date, route_no, vehicle_id, distance_m, duration_s,"
                " planned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (route_id, day, n, route.vehicle_type, round(route.distance), round(route.back - route.depart),
                 w.now_text))
            for stop_no, visit in enumerate(route.visits, 1):
                arrival = (midnight + dt.timedelta(seconds=visit.arrival)).astimezone(dt.UTC)
                w.conn.execute("INSERT INTO route_stops (route_id, stop_no, store_id, arrival) VALUES (?, ?, ?, ?)",
                               (route_id, stop_no, str(visit.stop),
                                arrival.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
                w.conn.execute("UPDATE crates SET route_id = ?, stop_no = ? WHERE delivery_date = ? AND store_id = ?"
                               " AND route_id IS NULL", (route_id, stop_no, day, str(visit.stop)))
        left_out = [{"store_id": str(i.stop), "reason": i.reason} for i in [*plan.infeasible, *plan.unserved]]
        left_out += [{"store_id": s, "reason": "the store has no coordinates"} for s in unlocated]
        summary = {"delivery_date": day, "routes": len(plan.routes), "distance_m": round(plan.distance),
                   "engine": plan.engine, "left_out": left_out, "violations": plan.violations}
        w.emit(hq.RoutesPlannedPayload.model_validate(summary), day)
    return outcome(store, day, plan, unlocated, list_routes(store, date))


def list_routes(store: Store, date: dt.date, driver_id: str | None = None) -> list[dict[str, Any]]:
    where, params = "delivery_date = ?", [date.isoformat()]
    if driver_id is not None:
        where += " AND driver_id = ?"
        params.append(driver_id)
    routes = store.query(f"SELECT * FROM routes WHERE {where} ORDER BY route_no", tuple(params))
    for r in routes:
        r["stops"] = store.query(
            "SELECT s.stop_no, s.store_id, t.name AS store_name, t.address, t.latitude, t.longitude,"
            " t.window_start, t.window_end, s.arrival, s.status,"
            " (SELECT COUNT(*) FROM crates c WHERE c.route_id = s.route_id AND c.stop_no = s.stop_no) AS crates"
            " FROM route_stops s JOIN stores t USING (store_id) WHERE s.route_id = ? ORDER BY s.stop_no",
            (r["route_id"],))
    return routes


def route_row(store: Store, route_id: str) -> dict[str, Any]:
    rows = store.query("SELECT * FROM routes WHERE route_id = ?", (route_id,))
    if not rows:
        raise NotFound("no_route", f"no route {route_id}")
    return rows[0]


def assign_driver(store: Store, route_id: str, driver_id: str, *, who: Principal, now: dt.datetime) -> dict[str, Any]:
    route_row(store, route_id)
    if store.scalar("SELECT role FROM people WHERE person_id = ? AND active", (driver_id,)) != "driver":
        raise FloorError("not_a_driver", f"{driver_id} is not an active driver")
    with store.write(who.actor, now, who.device_id) as w:
        w.conn.execute("UPDATE routes SET driver_id = ? WHERE route_id = ?", (driver_id, route_id))
        w.emit(hq.RouteAssignedPayload(driver_id=driver_id), route_id)
    return route_row(store, route_id)
