"""ETAs the customers see (用户可以在小程序实时查看物流状态), and stops running late for the supervisor.

At departure, after every handoff and whenever the driver's phone shares the truck's position,
the rest of the route is re-timed from the actual time and place (the last store handed off, or
the warehouse, when no position is shared), with the site's travel times. Each order whose
window changed gets an `order.eta` event for HQ in the same transaction; a stop expected after
its store's window closes is `late`, listed for the supervisor while there is time to act.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from edge.domain.auth import Principal
from edge.domain.floor.eta import Eta, StopTimes, etas
from edge.services.floor.errors import FloorError, Forbidden, NotFound
from edge.site import Site, seconds_of_day
from edge.store import Store, Write
from edge.store.db import parse_utc, utc_text
from hq_sync import protocol as hq

Basis = Literal["departure", "handoff", "position"]
POSITION = "truck-position"  # the shared position's place id in the travel matrix: never a store's


def _start(w: Write, route_id: str, stops: list[Any], position: tuple[float, float] | None) -> tuple[str, float,
                                                                                                     float] | None:
    """Where the truck is: the shared position, else the last store handed off; None: the warehouse."""
    if position is None:
        row = w.conn.execute("SELECT latitude, longitude, at FROM route_positions WHERE route_id = ?",
                             (route_id,)).fetchone()
        done = [s for s in stops if s["status"] == "delivered" and s["confirmed_at"]]
        last = max(done, key=lambda s: s["confirmed_at"], default=None)
        if row is not None and (last is None or row["at"] > last["confirmed_at"]):
            position = (row["latitude"], row["longitude"])
        elif last is not None:
            return last["store_id"], last["latitude"], last["longitude"]
    return None if position is None else (POSITION, *position)


def retime(w: Write, route_id: str, *, site: Site, zone: ZoneInfo, basis: Basis,
           position: tuple[float, float] | None = None) -> list[dict[str, Any]]:
    """Re-time the stops still to deliver on a departed route; emit each changed order's ETA."""
    route = w.conn.execute("SELECT * FROM routes WHERE route_id = ?", (route_id,)).fetchone()
    if route is None:
        raise NotFound("no_route", f"no route {route_id}")
    if route["status"] not in ("departed", "done"):
        raise FloorError("not_departed", f"route {route_id} has not left yet: ETAs start at departure")
    stops = w.conn.execute(
        "SELECT s.stop_no, s.store_id, s.status, s.confirmed_at, t.latitude, t.longitude, t.window_start,"
        " t.window_end, t.service_minutes FROM route_stops s JOIN stores t USING (store_id)"
        " WHERE s.route_id = ? ORDER BY s.stop_no", (route_id,)).fetchall()
    pending = [s for s in stops if s["status"] == "pending"]
    w.conn.execute("DELETE FROM route_etas WHERE route_id = ? AND stop_no NOT IN"
                   f" ({','.join('?' * len(pending)) or 'NULL'})", (route_id, *[s["stop_no"] for s in pending]))
    if not pending:
        return []
    start = _start(w, route_id, stops, position)
    places = ([] if start is None else [start]) + [(s["store_id"], s["latitude"], s["longitude"]) for s in pending]
    _, travel = site.delivery_matrices(places)
    truck = 0 if start is None else 1  # the truck's node in the matrix (0: the warehouse); stops follow it
    times = [StopTimes((seconds_of_day(s["window_start"]), seconds_of_day(s["window_end"])),
                       site.service_seconds(s["service_minutes"]), float(travel[truck + k, truck + k + 1]))
             for k, s in enumerate(pending)]
    midnight = dt.datetime.combine(dt.date.fromisoformat(route["delivery_date"]), dt.time(), zone)
    now = (w.now - midnight).total_seconds()
    return [_save(w, route, s, e, midnight, basis) for s, e in zip(pending, etas(now, times), strict=True)]


def _save(w: Write, route: Any, stop: Any, e: Eta, midnight: dt.datetime, basis: Basis) -> dict[str, Any]:
    at = {k: midnight + dt.timedelta(seconds=v) for k, v in (("eta", e.eta), ("from", e.eta_from), ("to", e.eta_to))}
    window_end = midnight + dt.timedelta(seconds=seconds_of_day(stop["window_end"]))
    row = {"route_id": route["route_id"], "stop_no": stop["stop_no"], "store_id": stop["store_id"],
           "eta": utc_text(at["eta"]), "eta_from": utc_text(at["from"]), "eta_to": utc_text(at["to"]),
           "window_end": utc_text(window_end), "late": int(e.late), "basis": basis, "computed_at": w.now_text}
    before = w.conn.execute("SELECT eta_from, eta_to, late FROM route_etas WHERE route_id = ? AND stop_no = ?",
                            (route["route_id"], stop["stop_no"])).fetchone()
    w.conn.execute(f"INSERT OR REPLACE INTO route_etas ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                   tuple(row.values()))
    if before is None or tuple(before) != (row["eta_from"], row["eta_to"], row["late"]):
        orders = w.conn.execute("SELECT hq_order_id FROM orders WHERE delivery_date = ? AND store_id = ?"
                                " AND status NOT IN ('cancelled', 'delivered') ORDER BY hq_order_id",
                                (route["delivery_date"], stop["store_id"])).fetchall()
        for order in orders:
            w.emit(hq.OrderEtaPayload(
                delivery_date=dt.date.fromisoformat(route["delivery_date"]), store_id=stop["store_id"],
                route_id=route["route_id"], truck_no=route["route_no"], vehicle_id=route["vehicle_id"],
                stop_no=stop["stop_no"], stops_before=e.stops_before, eta_from=at["from"], eta_to=at["to"],
                late=e.late, basis=basis), order["hq_order_id"])
    return {**row, "late": e.late}


def after(store: Store, route_id: str, *, site: Site, zone: ZoneInfo, who: Principal, now: dt.datetime,
          basis: Basis, position: tuple[float, float] | None = None) -> list[dict[str, Any]]:
    """Re-time in its own transaction (after a departure or a handoff has committed)."""
    with store.write(who.actor, now, who.device_id) as w:
        if position is not None:
            w.conn.execute("INSERT INTO route_positions (route_id, latitude, longitude, at) VALUES (?, ?, ?, ?)"
                           " ON CONFLICT (route_id) DO UPDATE SET latitude = excluded.latitude,"
                           " longitude = excluded.longitude, at = excluded.at", (route_id, *position, w.now_text))
        return retime(w, route_id, site=site, zone=zone, basis=basis, position=position)


def late_stops(store: Store, date: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """Stops still to deliver that are expected after their window closes, or whose window has
    closed: the first while there is time to call the store, the second to follow up."""
    rows = store.query(
        "SELECT e.*, r.route_no, r.vehicle_id, r.driver_id, t.name AS store_name FROM route_etas e"
        " JOIN routes r USING (route_id) JOIN route_stops s USING (route_id, stop_no) JOIN stores t"
        " ON t.store_id = e.store_id WHERE r.delivery_date = ? AND s.status = 'pending'"
        " ORDER BY e.window_end, e.route_id, e.stop_no", (date.isoformat(),))
    out = []
    for r in rows:
        closed = parse_utc(r["window_end"]) <= now
        if r["late"] or closed:
            out.append({**r, "late": bool(r["late"]), "window_closed": closed})
    return out


def share_position(store: Store, route_id: str, position: tuple[float, float], *, site: Site, zone: ZoneInfo,
                   driver: Principal, now: dt.datetime) -> list[dict[str, Any]]:
    """The driver's phone shares where the truck is: the rest of the route is re-timed from there."""
    rows = store.query("SELECT driver_id FROM routes WHERE route_id = ?", (route_id,))
    if not rows:
        raise NotFound("no_route", f"no route {route_id}")
    if rows[0]["driver_id"] != driver.subject_id:
        raise Forbidden("not_your_route", f"route {route_id} is driven by {rows[0]['driver_id'] or 'nobody yet'}")
    return after(store, route_id, site=site, zone=zone, who=driver, now=now, basis="position", position=position)
