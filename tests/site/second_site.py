"""A second warehouse, unlike the demo's in every site fact: Hangzhou, two blocks of aisles K01-K12
with a middle cross aisle, start and drop-off on other aisles, its own dispatch hours, caps, fleet and
cold room, and a travel-time matrix file for its stores."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from edge.demo import demo_skus
from edge.demo_catalog import SUPPLIERS
from edge.services.intake import ingest_batch
from edge.store import Store
from hq_sync.protocol import Order, OrderBatch, OrderLine

WAREHOUSE_ID = "WH-HZ-02"
DEPOT = (30.3120, 120.0840)  # west of Hangzhou
STORES = {f"HZ{n:03d}": (30.25 + 0.01 * n, 120.15 + 0.007 * n) for n in range(1, 9)}
ZONES = {"chilled": range(1, 7), "frozen": range(7, 9), "ambient": range(9, 13)}


def site_document() -> dict[str, Any]:
    return {
        "warehouse": {"id": WAREHOUSE_ID, "name": "杭州二号仓", "position": {"lat": DEPOT[0], "lon": DEPOT[1]}},
        "layout": "layout.yaml",
        "points": {"start": "dock", "drop_off": "pack"},
        "sort_stations": [{"id": "SORT-1", "point": "pack"}, {"id": "SORT-2", "point": "dock"}],
        "delivery": {"dispatch_hours": {"leave_from": "05:00", "back_by": "14:00"},
                     "max_on_truck_minutes": {"chilled": 240, "frozen": 180},
                     "service_minutes": 12, "speed_kmh": 30, "circuity": 1.3, "travel_matrix": "travel.csv"},
        "fleet": [{"vehicle_id": "HZ-T1", "name": "杭州冷藏车1", "plate": "浙A·00001",
                   "compartments": [{"temp_class": "chilled", "capacity_crates": 40, "capacity_kg": 1000},
                                    {"temp_class": "frozen", "capacity_crates": 12, "capacity_kg": 300},
                                    {"temp_class": "ambient", "capacity_crates": 20, "capacity_kg": 600}]},
                  {"vehicle_id": "HZ-T2", "name": "杭州冷藏车2",
                   "compartments": [{"temp_class": "chilled", "capacity_crates": 30, "capacity_kg": 800},
                                    {"temp_class": "frozen", "capacity_crates": 10, "capacity_kg": 250},
                                    {"temp_class": "ambient", "capacity_crates": 20, "capacity_kg": 600}]}],
        "devices": {"devices": []},
        "coldchain": {"assets": [{"asset_id": "HZ-CR-1", "kind": "cold_room", "name": "杭州冷藏库",
                                  "temp_class": "chilled"}]},
    }


LAYOUT = {
    "aisle_prefix": "K", "bay_pitch": 1.5, "aisle_width": 2.8, "rack_depth": 1.1, "cross_aisle_width": 2.5,
    "levels": 2,
    "blocks": [{"name": "west", "first_aisle": 1, "aisles": 6, "bays_per_side": 12,
                "cross_aisles": ["front", "middle", "back"], "middle_after_bay": 6},
               {"name": "east", "first_aisle": 7, "aisles": 6, "bays_per_side": 12,
                "cross_aisles": ["front", "middle", "back"], "middle_after_bay": 6, "gap": 4.0}],
    "zones": [{"name": name.upper(), "aisles": [aisles[0], aisles[-1]], "temperature": name}
              for name, aisles in ZONES.items()],
    "depots": {"dock": {"aisle": 3, "cross_aisle": "front"}, "pack": {"aisle": 10, "cross_aisle": "middle"}},
}


def travel_rows() -> dict[tuple[str, str], tuple[int, int]]:
    """Measured (seconds, metres) for every directed pair: a road network unlike any straight line."""
    places = {WAREHOUSE_ID: DEPOT, **STORES}
    rows = {}
    for a, pa in places.items():
        for b, pb in places.items():
            if a != b:
                metres = round(2500 + 40_000 * math.dist(pa, pb) * (1.5 if a < b else 1.2))
                rows[(a, b)] = (round(metres / 6.0) + 120, metres)
    return rows


def write_site(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layout.yaml").write_text(yaml.safe_dump(LAYOUT, allow_unicode=True), encoding="utf-8")
    lines = ["from,to,seconds,metres"] + [f"{a},{b},{s},{m}" for (a, b), (s, m) in travel_rows().items()]
    (folder / "travel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = folder / "site.yaml"
    site.write_text(yaml.safe_dump(site_document(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return site


def load_orders(store: Store, now: dt.datetime, delivery: dt.date) -> None:
    """Master data of the second site (its own K-aisle locations and stock) and a night's orders."""
    skus = [s for temp in ZONES for s in [k for k in demo_skus() if k["temp_class"] == temp][:8]]
    with store.write("test:second-site", now) as w:
        w.db.table("suppliers").insert_all([dict(supplier_id=s, name=zh, contact=en) for s, zh, en in SUPPLIERS])
        w.db.table("skus").insert_all(skus)
        w.db.table("stores").insert_all([
            dict(store_id=sid, name=f"杭州{sid}店", latitude=lat, longitude=lon, window_start="06:00",
                 window_end="11:00") for sid, (lat, lon) in STORES.items()])
        free = {temp: [f"K{a:02d}-{b:02d}-{1 + b % 2}" for a in aisles for b in range(1, 25)]
                for temp, aisles in ZONES.items()}
        w.db.table("locations").insert_all([dict(code=code, zone=temp.upper(), temp_class=temp)
                                            for temp, codes in free.items() for code in codes])
        w.db.table("stock").insert_all([
            dict(location_code=free[s["temp_class"]][5 * (i % 8) + 2], sku_id=s["sku_id"], lot=f"L{i}",
                 expiry=(delivery + dt.timedelta(days=s["shelf_life_days"])).isoformat(), quantity=500)
            for i, s in enumerate(skus)])
    orders = [Order(hq_order_id=f"HZ-{n:04d}", version=1, store_id=sid, campaign_id="LIVE-HZ",
                    delivery_date=delivery,
                    lines=[OrderLine(line_no=k + 1, sku_id=skus[(n + 5 * k) % len(skus)]["sku_id"],
                                     quantity=1 + (n + k) % 3, unit_price_fen=990) for k in range(3)])
              for n, sid in enumerate(sorted(STORES) * 4, 1)]
    ingest_batch(store, OrderBatch(batch_id="hz-night", warehouse_id=WAREHOUSE_ID, created_at=now, orders=orders),
                 warehouse_id=WAREHOUSE_ID, source="test", actor="test", now=now, zone=ZoneInfo("Asia/Shanghai"))
