"""What the supervisor dispatches with: the day's stores and routes as points on a map, and the
drivers a route can be given to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.domain.geo import Datum, to_datum
from edge.domain.map_tiles import MapTiles
from edge.store import Store


def route_map(store: Store, date: dt.date, depot: tuple[float, float], tiles: MapTiles | None = None) -> dict[str, Any]:
    """The warehouse, every store with goods that day (with its route and stop, if planned), and
    each route's stores in driving order: enough for the page to draw the day without map tiles.
    With the site's tiles, their settings too, and every point in the tiles' datum (`datum`)."""
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
    datum: Datum = tiles.datum if tiles is not None else "wgs84"
    for place in stores:
        if place["latitude"] is not None and place["longitude"] is not None:
            place["latitude"], place["longitude"] = to_datum(place["latitude"], place["longitude"], datum)
    lat, lon = to_datum(*depot, datum)
    return {"delivery_date": day, "datum": datum, "depot": {"latitude": lat, "longitude": lon}, "stores": stores,
            "routes": routes, "tiles": tiles.for_page() if tiles is not None else None}


def drivers(store: Store) -> list[dict[str, Any]]:
    """Active drivers, for the supervisor to give routes to."""
    return store.query("SELECT person_id, name FROM people WHERE role = 'driver' AND active ORDER BY person_id")
