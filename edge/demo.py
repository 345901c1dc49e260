"""A deterministic "summer fruit night": ~200 stores, one warehouse, ~60 SKUs, ~5,000 orders.

Everything comes from a seeded generator, so two runs give the same stores, stock and orders.
Orders go in through the real intake service, as HQ's would.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.demo_catalog import BESTSELLERS, PRODUCTS, SUPPLIERS, VARIANTS
from edge.domain.auth import Principal, Role
from edge.services import auth
from edge.services.coldchain_assets import ColdChainSpec
from edge.services.floor.fleet import Fleet, put_fleet
from edge.services.intake import IntakeResult, ingest_batch, local_today
from edge.settings import Settings
from edge.site import load_site_file
from edge.store import Store
from hq_sync.protocol import Order, OrderBatch, OrderLine, gtin_check_digit

CITY_CENTRE = (31.2304, 121.4737)  # People's Square, Shanghai
GS1_PREFIX = "6901234"  # demo company prefix; item references are generated below
DEMO_PIN = "2468"
DEMO_ACTOR = Principal("machine", "demo", Role.SUPERVISOR, "demo loader")
SUPERVISOR_PIN = "1357"

#: Aisles of the demo warehouse by zone: chilled fruit and dairy, frozen, ambient.
ZONES = [("CHILL", "chilled", range(1, 11)), ("FROZEN", "frozen", range(11, 14)), ("DRY", "ambient", range(14, 17))]
BAYS_PER_AISLE = 20
LEVELS = 3


def demo_site_file() -> Path:
    """The demo warehouse's site file: position, walking layout, delivery settings, trucks (docs/site.md)."""
    return Path(__file__).with_name("demo_warehouse.yaml")


def demo_fleet(trucks: int) -> Fleet:
    """The first `trucks` trucks of the demo's site file."""
    return Fleet(vehicles=load_site_file(demo_site_file()).document.fleet[:trucks])


def demo_coldchain() -> ColdChainSpec:
    """The demo's cold rooms, freezer, truck compartment and SKU bands, from its site file."""
    return load_site_file(demo_site_file()).coldchain or ColdChainSpec()


@dataclass(frozen=True)
class DemoSize:
    stores: int = 200
    orders: int = 5000
    pickers: int = 12
    sorters: int = 8
    drivers: int = 15
    trucks: int = 15


def gtin13(item_reference: int) -> str:
    body = f"{GS1_PREFIX}{item_reference:05d}"
    return body + str(gtin_check_digit(body))


def demo_skus() -> list[dict[str, Any]]:
    rows = []
    for (sku, zh, en, unit, temp, life, pack, supplier, grams, ml, bmin, bmax) in PRODUCTS:
        base = dict(sku_id=sku, name_zh=zh, name_en=en, unit=unit, temp_class=temp, shelf_life_days=life,
                    case_pack=pack, supplier_id=supplier, weight_g=grams, volume_ml=ml, brix_min=bmin, brix_max=bmax)
        rows.append(base)
        rows.extend(dict(base, sku_id=f"{sku}-{suffix}", name_zh=f"{zh}（{vzh}）", name_en=f"{en} ({ven})",
                         case_pack=max(1, pack // times), weight_g=grams * times, volume_ml=ml * times)
                    for suffix, vzh, ven, times in VARIANTS.get(sku, []))
    for i, row in enumerate(rows):
        row["gtin"] = gtin13(100 + i).zfill(14)
    return rows


def demo_stores(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Stores scattered around the centre (denser near it), with staggered two-hour windows."""
    districts = ["黄浦", "徐汇", "长宁", "静安", "普陀", "虹口", "杨浦", "闵行", "浦东", "宝山"]
    stores = []
    for n in range(1, count + 1):
        distance_km = 14 * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = CITY_CENTRE[0] + distance_km / 111.0 * math.cos(bearing)
        lon = CITY_CENTRE[1] + distance_km / (111.0 * math.cos(math.radians(CITY_CENTRE[0]))) * math.sin(bearing)
        start = 6 + rng.choice([0, 0, 1, 2, 3, 4])
        district = districts[n % len(districts)]
        stores.append(dict(
            store_id=f"S{n:04d}", name=f"好邻优选·{district}{n:03d}店", owner_name=f"店主{n:03d}",
            phone=f"1380000{n:04d}", address=f"上海市{district}区社区路{n}号", latitude=round(lat, 6),
            longitude=round(lon, 6), window_start=f"{start:02d}:00", window_end=f"{start + 2:02d}:00",
            service_minutes=rng.choice([6, 8, 10]),
        ))
    return stores


def demo_locations() -> list[dict[str, Any]]:
    return [
        dict(code=f"A{aisle:02d}-{bay:02d}-{level}", zone=zone, temp_class=temp)
        for zone, temp, aisles in ZONES for aisle in aisles
        for bay in range(1, BAYS_PER_AISLE + 1) for level in range(1, LEVELS + 1)
    ]


def demo_stock(rng: random.Random, skus: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Two or three lots per SKU in bays of its temperature zone, some close to expiry."""
    free = {temp: [(a, b) for zone, t, aisles in ZONES if t == temp for a in aisles
                   for b in range(1, BAYS_PER_AISLE + 1)] for _, temp, _ in ZONES}
    for bays in free.values():
        rng.shuffle(bays)
    rows = []
    for sku in skus:
        bays = free[sku["temp_class"]]
        for lot_no in range(rng.choice([2, 2, 3])):
            aisle, bay = bays.pop()
            shelf = sku["shelf_life_days"]
            expiry = today + dt.timedelta(days=rng.randint(max(1, shelf // 3), shelf))
            base = 400 if sku["sku_id"] in BESTSELLERS else 120
            rows.append(dict(location_code=f"A{aisle:02d}-{bay:02d}-{rng.randint(1, LEVELS)}",
                             sku_id=sku["sku_id"], lot=f"L{today:%y%m%d}{lot_no}{sku['sku_id'][:3]}",
                             expiry=expiry.isoformat(), quantity=rng.randint(base // 2, base)))
    return rows


def demo_orders(rng: random.Random, stores: list[dict[str, Any]], skus: list[dict[str, Any]],
                delivery: dt.date, count: int) -> list[Order]:
    """Orders of 1-6 lines; bestsellers and each store's own livestream SKU dominate."""
    ids = [s["sku_id"] for s in skus]
    weights = [8.0 if s in BESTSELLERS else 1.0 for s in ids]
    orders = []
    for n in range(1, count + 1):
        store = rng.choice(stores)
        picked: set[str] = set()
        while len(picked) < rng.choice([1, 1, 2, 2, 3, 4, 5, 6]):
            picked.add(rng.choices(ids, weights)[0])
        lines = [OrderLine(line_no=i, sku_id=sku, quantity=rng.choice([1, 1, 1, 2, 2, 3]),
                           unit_price_fen=rng.randint(5, 80) * 100) for i, sku in enumerate(sorted(picked), 1)]
        orders.append(Order(hq_order_id=f"HQ{delivery:%Y%m%d}-{n:06d}", version=1, store_id=store["store_id"],
                            campaign_id=f"LIVE-{delivery - dt.timedelta(days=1):%Y%m%d}-{store['store_id']}",
                            delivery_date=delivery, lines=lines))
    return orders


@dataclass
class DemoLoad:
    delivery_date: dt.date
    loaded_master_data: bool
    intake: IntakeResult | None
    credentials: dict[str, Any]


def load_demo(store: Store, settings: Settings, now: dt.datetime, size: DemoSize = DemoSize(),
              seed: int = 20260701) -> DemoLoad:
    """Load master data once, then tomorrow's orders if tomorrow has none yet (safe to repeat)."""
    rng = random.Random(seed)
    today = local_today(now, settings.zone)
    delivery = today + dt.timedelta(days=1)
    skus = demo_skus()
    stores = demo_stores(rng, size.stores)
    fresh = not store.scalar("SELECT COUNT(*) FROM stores")
    credentials: dict[str, Any] = {"pin": DEMO_PIN, "supervisor": {"code": "SUP01", "pin": SUPERVISOR_PIN}}
    if fresh:
        with store.write("system:demo", now) as w:
            w.db.table("suppliers").insert_all(
                [dict(supplier_id=s, name=zh, contact=en) for s, zh, en in SUPPLIERS])
            w.db.table("skus").insert_all(skus)
            w.db.table("stores").insert_all(stores)
            w.db.table("locations").insert_all(demo_locations())
            w.db.table("stock").insert_all(demo_stock(rng, skus, today))
            w.log("demo.loaded", settings.warehouse_id, {"stores": len(stores), "skus": len(skus)})
        _add_people(store, stores, size, now)
        put_fleet(store, demo_fleet(size.trucks), who=DEMO_ACTOR, now=now)
        credentials["hq_token"] = auth.add_machine(store, machine_id="hq", kind=Role.HQ, name="HQ", now=now)
    intake = None
    if not store.scalar("SELECT COUNT(*) FROM orders WHERE delivery_date = ?", (delivery.isoformat(),)):
        order_rng = random.Random(seed + delivery.toordinal())
        batch = OrderBatch(batch_id=f"demo-{delivery}", warehouse_id=settings.warehouse_id, created_at=now,
                           orders=demo_orders(order_rng, stores, skus, delivery, size.orders))
        intake = ingest_batch(store, batch, warehouse_id=settings.warehouse_id, source="demo", actor="system:demo",
                              now=now, zone=settings.zone)
    return DemoLoad(delivery, fresh, intake, credentials)


def _add_people(store: Store, stores: list[dict[str, Any]], size: DemoSize, now: dt.datetime) -> None:
    auth.add_person(store, person_id="SUP01", code="SUP01", name="值班主管", role=Role.SUPERVISOR,
                    pin=SUPERVISOR_PIN, now=now, min_pin_digits=4)
    crew = [auth.NewPerson(f"{prefix}{n:02d}", f"{prefix}{n:02d}", f"{title}{n:02d}", role)
            for role, prefix, count, title in ((Role.PICKER, "P", size.pickers, "拣货员"),
                                               (Role.SORTER, "T", size.sorters, "分拣员"),
                                               (Role.DRIVER, "D", size.drivers, "司机"))
            for n in range(1, count + 1)]
    crew += [auth.NewPerson(f"O{shop['store_id'][1:]}", f"O{shop['store_id'][1:]}", shop["owner_name"],
                            Role.STORE_OWNER, shop["store_id"]) for shop in stores]
    auth.add_people(store, crew, pin=DEMO_PIN, now=now, min_pin_digits=4)
