"""Aggregation for a delivery date, read from the store: purchase lists, pick list, sort plan."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict
from typing import Any

from edge.domain.aggregation import (
    Demand,
    PickPlan,
    SkuInfo,
    StockLot,
    SupplierPurchase,
    allocate_fefo,
    purchase_lists,
    sort_plan,
    totals_by_sku,
)
from edge.store import Store

#: Orders that still need goods: everything but cancelled ones.
_LIVE = "o.status != 'cancelled'"


def demand_for(store: Store, date: dt.date, *, allocated: bool = False) -> list[Demand]:
    """Units per SKU and store: as ordered (what to buy), or as allocated from a short supply (what to pick)."""
    units = "COALESCE(l.allocated_qty, l.quantity)" if allocated else "l.quantity"
    rows = store.conn.execute(
        f"SELECT l.sku_id, o.store_id, SUM({units}) FROM order_lines l JOIN orders o USING (hq_order_id)"
        f" WHERE o.delivery_date = ? AND {_LIVE} GROUP BY l.sku_id, o.store_id HAVING SUM({units}) > 0",
        (date.isoformat(),),
    )
    return [Demand(sku, shop, qty) for sku, shop, qty in rows]


def sku_infos(store: Store) -> dict[str, SkuInfo]:
    rows = store.conn.execute(
        "SELECT sku_id, name_zh, name_en, unit, supplier_id, case_pack, temp_class FROM skus"
    )
    return {r[0]: SkuInfo(*r) for r in rows}


def purchase(store: Store, date: dt.date) -> list[SupplierPurchase]:
    return purchase_lists(demand_for(store, date), sku_infos(store))


def purchase_as_json(lists: list[SupplierPurchase], date: dt.date) -> dict[str, Any]:
    return {"delivery_date": date.isoformat(), "suppliers": [asdict(s) for s in lists]}


def purchase_as_csv(lists: list[SupplierPurchase]) -> str:
    """One row per supplier and SKU; the stores column reads `S001:3 S002:1`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["supplier_id", "sku_id", "name_zh", "name_en", "unit", "quantity", "case_pack", "cases",
                     "stores"])
    for supplier in lists:
        for line in supplier.lines:
            writer.writerow([supplier.supplier_id, line.sku_id, line.name_zh, line.name_en, line.unit,
                             line.quantity, line.case_pack, line.cases,
                             " ".join(f"{s}:{q}" for s, q in line.stores.items())])
    return out.getvalue()


def picking(store: Store, date: dt.date) -> tuple[PickPlan, dict[str, dict[str, int]]]:
    """The pick-by-SKU list with lots allocated first-expiry-first, and the sort-to-store plan."""
    demand = demand_for(store, date, allocated=True)
    stock = [
        StockLot(r[0], r[1], r[2], r[3], dt.date.fromisoformat(r[4]), r[5])
        for r in store.conn.execute(
            "SELECT stock_id, location_code, sku_id, lot, expiry, quantity FROM stock WHERE quantity > 0"
        )
    ]
    return allocate_fefo(totals_by_sku(demand), stock, date), sort_plan(demand)


def picking_as_json(plan: PickPlan, sorting: dict[str, dict[str, int]], date: dt.date) -> dict[str, Any]:
    return {
        "delivery_date": date.isoformat(),
        "pick_lines": [asdict(line) | {"expiry": line.expiry.isoformat()} for line in plan.lines],
        "shortfalls": [asdict(s) | {"missing": s.missing} for s in plan.shortfalls],
        "sort_plan": [{"sku_id": sku, "stores": stores} for sku, stores in sorting.items()],
    }
