"""A store owner's day: what is coming to their store (or came), on which truck, when, and how cold
each crate stayed on the way; the products delivered, for the live Brix check by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.services.coldchain_exposure import crate_summary
from edge.store import Store

EXPOSURE_SHOWN = ("samples", "min_c", "max_c", "mkt_c", "out_of_range_s", "unmonitored_s")


def owner_day(store: Store, store_id: str, date: dt.date, *, now: dt.datetime) -> dict[str, Any]:
    day = date.isoformat()
    shop = store.query("SELECT store_id, name, address, window_start, window_end FROM stores WHERE store_id = ?",
                       (store_id,))
    stops = store.query(
        "SELECT s.route_id, s.stop_no, s.status, s.arrival, r.status AS route_status, r.vehicle_id, r.driver_id,"
        " p.name AS driver_name FROM route_stops s JOIN routes r USING (route_id)"
        " LEFT JOIN people p ON p.person_id = r.driver_id WHERE r.delivery_date = ? AND s.store_id = ?"
        " ORDER BY s.route_id", (day, store_id))
    crates = store.query("SELECT sscc, temp_class, crate_no, status, units, route_id, stop_no, delivered_at"
                         " FROM crates WHERE delivery_date = ? AND store_id = ? ORDER BY temp_class, crate_no",
                         (day, store_id))
    for crate in crates:
        summary = crate_summary(store, crate["sscc"], now=now)
        crate["exposure"] = {key: summary[key] for key in EXPOSURE_SHOWN}
    products = store.query(
        "SELECT DISTINCT s.sku_id, s.name_zh, s.name_en FROM order_lines l JOIN orders o USING (hq_order_id)"
        " JOIN skus s USING (sku_id) WHERE o.delivery_date = ? AND o.store_id = ? AND o.status != 'cancelled'"
        " ORDER BY s.name_zh", (day, store_id))
    return {"delivery_date": day, "store": shop[0] if shop else {"store_id": store_id}, "stops": stops,
            "crates": crates, "products": products}
