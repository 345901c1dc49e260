"""Loading a truck: the manifest in reverse stop order, crate scans, and departure, which needs a
supervisor's recorded override when crates are missing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from edge.domain.auth import Principal
from edge.domain.floor.codes import classify
from edge.services.floor import ownership, scanlog
from edge.services.floor.crates import crate_scan
from edge.services.floor.errors import FloorError, Forbidden, NotFound
from edge.services.floor.fulfilment import finalise_short_lines
from edge.services.floor.routes import route_row
from edge.services.floor.scanlog import ScanIn
from edge.store import Store
from edge.store.db import Write
from hq_sync import protocol as hq


def _missing(w: Write | Store, route_id: str) -> list[str]:
    conn = w.conn
    return [r[0] for r in conn.execute("SELECT sscc FROM crates WHERE route_id = ? AND loaded_at IS NULL"
                                       " ORDER BY stop_no DESC, temp_class, crate_no", (route_id,))]


def manifest(store: Store, route_id: str) -> dict[str, Any]:
    """Crates in loading order: the last stop's first, so each stop's crates are at the door."""
    route = route_row(store, route_id)
    crates = store.query(
        "SELECT c.sscc, c.store_id, s.name AS store_name, c.stop_no, c.temp_class, c.crate_no, c.status,"
        " c.loaded_at IS NOT NULL AS loaded, v.compartment_id FROM crates c JOIN stores s USING (store_id)"
        " JOIN routes r USING (route_id) LEFT JOIN vehicle_compartments v"
        " ON v.vehicle_id = r.vehicle_id AND v.temp_class = c.temp_class"
        " WHERE c.route_id = ? ORDER BY c.stop_no DESC, c.temp_class, c.crate_no", (route_id,))
    for c in crates:
        c["loaded"] = bool(c["loaded"])
    return {"route": route, "crates": crates, "missing": [c["sscc"] for c in crates if not c["loaded"]]}


def load_scan(store: Store, route_id: str, scan: ScanIn, *, driver: Principal, now: dt.datetime) -> dict[str, Any]:
    device = scan.device_id or driver.device_id
    with store.write(driver.actor, now, device) as w:
        previous = scanlog.replay(w, scan)
        if previous is not None:
            return previous
        route = w.conn.execute("SELECT * FROM routes WHERE route_id = ?", (route_id,)).fetchone()
        if route is None:
            raise NotFound("no_route", f"no route {route_id}")
        code = classify(scan.code)
        crate = w.conn.execute("SELECT * FROM crates WHERE sscc = ?", (code.sscc,)).fetchone() if code.sscc else None
        at = scanlog.scanned_time(scan, now)
        if not ownership.drives(route, driver):
            answer = scanlog.outcome(scan, "not_your_route", {"driver_id": route["driver_id"]})
        elif route["status"] in ("departed", "done"):
            answer = scanlog.outcome(scan, "route_departed", {})
        elif crate is None:
            answer = scanlog.outcome(scan, "unknown_code",
                                     {"reason_code": code.reason or "not_our_crate", "got": code.text[:40]})
        elif crate["route_id"] != route_id:
            answer = scanlog.outcome(scan, "wrong_truck", {"route_id": crate["route_id"] or "-"}, sscc=crate["sscc"],
                                     store_id=crate["store_id"])
            w.conn.execute(
                "INSERT INTO floor_exceptions (delivery_date, kind, subject, detail, actor, created_at)"
                " VALUES (?, 'wrong_truck', ?, ?, ?, ?)",
                (route["delivery_date"], crate["sscc"],
                 f"crate for {crate['route_id'] or 'no route'} scanned onto {route_id}", w.actor, w.now_text))
            w.emit(hq.FloorExceptionPayload(kind="wrong_truck", route_id=route_id, crate_route_id=crate["route_id"]),
                   crate["sscc"], occurred_at=at)
        elif crate["status"] == "open":
            answer = scanlog.outcome(scan, "crate_not_closed", {}, sscc=crate["sscc"])
        else:
            if crate["loaded_at"] is None:
                w.conn.execute("UPDATE crates SET status = 'loaded', loaded_at = ? WHERE sscc = ?",
                               (w.now_text, crate["sscc"]))
                w.conn.execute("UPDATE routes SET status = 'loading' WHERE route_id = ? AND status = 'planned'",
                               (route_id,))
                crate_scan(w, crate["sscc"], "loaded", at=at, route_id=route_id)
                w.emit(hq.CrateLoadedPayload(route_id=route_id, stop_no=crate["stop_no"], store_id=crate["store_id"]),
                       crate["sscc"], occurred_at=at)
            answer = scanlog.outcome(scan, "ok", {}, sscc=crate["sscc"], stop_no=crate["stop_no"],
                                     store_id=crate["store_id"], loaded=True, remaining=len(_missing(w, route_id)))
        return scanlog.record(w, "load", route_id, scan, answer)


def add_override(store: Store, route_id: str, reason: str, *, supervisor: Principal,
                 now: dt.datetime) -> dict[str, Any]:
    """A supervisor lets the truck leave without the crates missing now; recorded with the list."""
    route_row(store, route_id)
    with store.write(supervisor.actor, now, supervisor.device_id) as w:
        missing = _missing(w, route_id)
        override_id = w.conn.execute(
            "INSERT INTO overrides (kind, subject, reason, detail, supervisor, created_at)"
            " VALUES ('depart_with_missing', ?, ?, ?, ?, ?)",
            (route_id, reason, json.dumps({"missing": missing}), supervisor.actor, w.now_text)).lastrowid
        w.emit(hq.OverridePayload(override_id=int(override_id or 0), kind="depart_with_missing", reason=reason,
                                  missing=missing), route_id)
    return {"override_id": override_id, "route_id": route_id, "reason": reason, "missing": missing}


def depart(store: Store, route_id: str, *, who: Principal, now: dt.datetime) -> dict[str, Any]:
    """The truck leaves: with every crate, or with a supervisor's override that covers the missing ones."""
    with store.write(who.actor, now, who.device_id) as w:
        route = w.conn.execute("SELECT * FROM routes WHERE route_id = ?", (route_id,)).fetchone()
        if route is None:
            raise NotFound("no_route", f"no route {route_id}")
        if not ownership.drives(route, who):
            raise Forbidden("not_your_route", f"route {route_id} is driven by {route['driver_id']}")
        if route["status"] in ("departed", "done"):
            return route_row(store, route_id)
        missing = _missing(w, route_id)
        override = None
        if missing:
            for row in w.conn.execute("SELECT override_id, detail FROM overrides WHERE kind = 'depart_with_missing'"
                                      " AND subject = ? AND used_at IS NULL ORDER BY override_id DESC", (route_id,)):
                if set(missing) <= set(json.loads(row["detail"])["missing"]):
                    override = row["override_id"]
                    break
            if override is None:
                raise FloorError("crates_missing", f"{len(missing)} crate(s) not loaded: a supervisor must override",
                                 missing=missing)
            w.conn.execute("UPDATE overrides SET used_at = ? WHERE override_id = ?", (w.now_text, override))
            for sscc in missing:
                w.conn.execute("INSERT INTO floor_exceptions (delivery_date, kind, subject, detail, actor, created_at)"
                               " VALUES (?, 'missing_at_loading', ?, ?, ?, ?)",
                               (route["delivery_date"], sscc, f"left behind by {route_id} (override {override})",
                                w.actor, w.now_text))
        w.conn.execute("UPDATE routes SET status = 'departed', departed_at = ? WHERE route_id = ?",
                       (w.now_text, route_id))
        w.conn.execute(
            "UPDATE orders SET status = 'loaded', updated_at = ? WHERE delivery_date = ? AND status IN"
            " ('picking', 'picked', 'packed') AND store_id IN (SELECT store_id FROM route_stops WHERE route_id = ?)",
            (w.now_text, route["delivery_date"], route_id))
        finalise_short_lines(w, route["delivery_date"], route_id)
        w.emit(hq.DepartedPayload(vehicle_id=route["vehicle_id"], driver_id=route["driver_id"], missing=missing,
                                  override_id=override), route_id)
    return route_row(store, route_id)
