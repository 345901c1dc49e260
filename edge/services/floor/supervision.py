"""What a supervisor watches: tours and pickers, short picks, HQ conflicts, floor exceptions, trucks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.domain.auth import Principal
from edge.services import conflicts
from edge.services.floor.errors import NotFound
from edge.store import Store
from hq_sync import protocol as hq


def exceptions(store: Store, date: dt.date, *, open_only: bool = True) -> list[dict[str, Any]]:
    where = " AND resolved_at IS NULL" if open_only else ""
    return store.query(f"SELECT * FROM floor_exceptions WHERE delivery_date = ?{where} ORDER BY exception_id",
                       (date.isoformat(),))


def resolve_exception(store: Store, exception_id: int, note: str, *, supervisor: Principal,
                      now: dt.datetime) -> dict[str, Any]:
    with store.write(supervisor.actor, now, supervisor.device_id) as w:
        row = w.conn.execute("SELECT * FROM floor_exceptions WHERE exception_id = ?", (exception_id,)).fetchone()
        if row is None:
            raise NotFound("no_exception", f"no exception {exception_id}")
        if row["resolved_at"] is None:
            w.conn.execute("UPDATE floor_exceptions SET resolved_at = ?, resolved_by = ?, resolution = ?"
                           " WHERE exception_id = ?", (w.now_text, supervisor.actor, note, exception_id))
            w.emit(hq.FloorExceptionResolvedPayload(exception_id=exception_id, kind=row["kind"], note=note),
                   row["subject"])
        return dict(w.conn.execute("SELECT * FROM floor_exceptions WHERE exception_id = ?",
                                   (exception_id,)).fetchone())


def overview(store: Store, date: dt.date) -> dict[str, Any]:
    """One read of the floor for a date: progress, who is picking what, and what needs a decision."""
    day = date.isoformat()
    wave = store.query("SELECT * FROM waves WHERE delivery_date = ?", (day,))
    counts = {r["status"]: r["n"] for r in store.query(
        "SELECT status, COUNT(*) AS n FROM tours WHERE delivery_date = ? GROUP BY status", (day,))}
    pickers = store.query(
        "SELECT p.person_id AS picker_id, p.name, t.tour_id, t.status, t.version,"
        " (SELECT COUNT(*) FROM tour_lines l WHERE l.tour_id = t.tour_id AND l.status != 'open') AS stops_done,"
        " (SELECT COUNT(*) FROM tour_lines l WHERE l.tour_id = t.tour_id) AS stops"
        " FROM tours t JOIN people p ON p.person_id = t.picker_id"
        " WHERE t.delivery_date = ? AND t.status IN ('assigned', 'picking', 'done') ORDER BY p.person_id", (day,))
    shorts = store.query(
        "SELECT l.tour_id, l.stop_no, l.sku_id, l.location_code, l.lot, l.quantity, l.picked_qty, l.short_reason"
        " FROM tour_lines l JOIN tours t USING (tour_id) WHERE t.delivery_date = ? AND l.status = 'short'"
        " ORDER BY l.tour_id, l.stop_no", (day,))
    routes = store.query(
        "SELECT r.route_id, r.route_no, r.vehicle_id, r.driver_id, r.status, r.departed_at,"
        " (SELECT COUNT(*) FROM crates c WHERE c.route_id = r.route_id) AS crates,"
        " (SELECT COUNT(*) FROM crates c WHERE c.route_id = r.route_id AND c.loaded_at IS NOT NULL) AS loaded"
        " FROM routes r WHERE r.delivery_date = ? ORDER BY r.route_no", (day,))
    return {
        "delivery_date": day,
        "wave": wave[0] if wave else None,
        "tours": {s: counts.get(s, 0) for s in ("open", "assigned", "picking", "done", "dropped")},
        "pickers": pickers,
        "short_picks": shorts,
        "conflicts": conflicts.list_conflicts(store),
        "exceptions": exceptions(store, date),
        "routes": routes,
        "disk": disk_state(store),
    }


#: Free space under this many times the floor at which writes stop is worth a supervisor's look.
DISK_WARNING_FACTOR = 4


def disk_state(store: Store) -> dict[str, Any]:
    """Free space where the database lives, against the floor below which the node refuses writes:
    `low` well before that floor (time to clear space), `refusing` once writes are being refused."""
    free, floor = store.free_bytes(), store.min_free_bytes
    state = "refusing" if free < floor else "low" if free < DISK_WARNING_FACTOR * floor else "ok"
    return {"state": state, "free_mb": free // 1_048_576, "floor_mb": floor // 1_048_576}
