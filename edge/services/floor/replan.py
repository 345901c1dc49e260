"""Re-planning during the day: what is loaded stays, what is not is planned again.

A store added, a truck down, a late order: the supervisor plans again. Routes already loading,
gone or done are kept as they are, with their trucks; stores on them are served there. Only a
late order's crates that can no longer ride with their store's truck (it has left, or they were
never bound to one) are planned again, on the trucks still at the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.store import Store, Write

WAITING = ("open", "closed")  # crates not yet on a truck


@dataclass
class InUse:
    """What a re-plan must leave alone."""

    routes: list[str] = field(default_factory=list)  # route ids loading, departed or done
    vehicles: set[str] = field(default_factory=set)  # their trucks
    stores: set[str] = field(default_factory=set)  # stores on them
    late: dict[str, dict[str, int]] = field(default_factory=dict)  # store -> class -> crates left behind
    last_route_no: int = 0


def in_use(store: Store, day: str) -> InUse:
    kept = store.query("SELECT route_id, route_no, vehicle_id, status FROM routes WHERE delivery_date = ?"
                       " AND status != 'planned'", (day,))
    out = InUse([r["route_id"] for r in kept], {r["vehicle_id"] for r in kept},
                last_route_no=max((r["route_no"] for r in kept), default=0))
    if not kept:
        return out
    marks = ",".join("?" * len(out.routes))
    out.stores = {r["store_id"] for r in store.query(
        f"SELECT DISTINCT store_id FROM route_stops WHERE route_id IN ({marks})", tuple(out.routes))}
    gone = [r["route_id"] for r in kept if r["status"] in ("departed", "done")]
    for r in store.query(
            "SELECT store_id, temp_class, COUNT(*) AS n FROM crates WHERE delivery_date = ? AND status IN"
            f" ({','.join('?' * len(WAITING))}) AND (route_id IS NULL OR route_id IN"
            f" ({','.join('?' * len(gone)) or 'NULL'})) GROUP BY store_id, temp_class", (day, *WAITING, *gone)):
        if r["store_id"] in out.stores:
            out.late.setdefault(r["store_id"], {})[r["temp_class"]] = r["n"]
    return out


def still_to_plan(demand: list[dict[str, Any]], kept: InUse) -> list[dict[str, Any]]:
    """The day's demand without the stores served by kept routes, except their crates left behind."""
    out = []
    for d in demand:
        store_id = d["store"]["store_id"]
        if store_id not in kept.stores:
            out.append(d)
        elif store_id in kept.late:
            crates = kept.late[store_id]
            share = sum(crates.values()) / max(1, sum(d["crates"].values()))
            out.append({**d, "crates": crates, "g": round(d["g"] * min(1.0, share))})
    return out


def clear_planned(w: Write, day: str, kept: InUse) -> None:
    """Drop the day's routes that have not started loading; crates left behind lose their truck."""
    marks = ",".join("?" * len(kept.routes)) or "NULL"
    w.conn.execute("UPDATE crates SET route_id = NULL, stop_no = NULL WHERE delivery_date = ? AND (route_id NOT IN"
                   f" ({marks}) OR (status IN ('open', 'closed') AND route_id IN (SELECT route_id FROM routes WHERE"
                   " delivery_date = ? AND status IN ('departed', 'done'))))", (day, *kept.routes, day))
    w.conn.execute("DELETE FROM route_stops WHERE route_id IN"
                   " (SELECT route_id FROM routes WHERE delivery_date = ? AND status = 'planned')", (day,))
    w.conn.execute("DELETE FROM routes WHERE delivery_date = ? AND status = 'planned'", (day,))
