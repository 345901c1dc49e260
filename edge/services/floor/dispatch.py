"""What the supervisor dispatches with: the day's stores and routes as points on a map, and the
drivers a route can be given to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.store import Store


def route_map(store: Store, date: dt.date, depot: tuple[float, float]) -> dict[str, Any]:
    """The warehouse, every store with goods that day (with its route and stop, if planned), and
    each route's stores in driving order: enough for the page to draw the day without map tiles."""
    day = date.isoformat()
    stores = store.query(
        "SELECT t.store_id, t.name, t.address, t.latitude, t.longitude, s.route_id, s.stop_no FROM stores t"
        " LEFT JOIN (SELECT rs.store_id, rs.route_id, rs.stop_no FROM route_stops rs JOIN routes r USING (route_id)"
        "            WHERE r.delivery_date = ?) s USING (store_id)"
        " WHERE t.store_id IN (SELECT store_id FROM orders WHERE delivery_date = ? AND status != 'cancelled')"
        " ORDER BY t.store_id", (day, day))
    routes = store.query("SELECT route_id, route_no, vehicle_id, driver_id, status FROM routes"
                         " WHERE delivery_date = ? ORDER BY route_no", (day,))
    for route in routes:
        route["stores"] = [r["store_id"] for r in store.query(
            "SELECT store_id FROM route_stops WHERE route_id = ? ORDER BY stop_no", (route["route_id"],))]
    return {"delivery_date": day, "depot": {"latitude": depot[0], "longitude": depot[1]}, "stores": stores,
            "routes": routes}


def drivers(store: Store) -> list[dict[str, Any]]:
    """Active drivers, for the supervisor to give routes to."""
    return store.query("SELECT person_id, name FROM people WHERE role = 'driver' AND active ORDER BY person_id")
