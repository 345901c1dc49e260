"""Turn one delivery date's orders into what to buy, what to pick and how to sort it.

Community group buying picks by SKU in total (总拣) and then sorts into each store's crates
(播种): thousands of small orders of a few SKUs make order-by-order picking wasteful.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Demand:
    """Units of one SKU that one store ordered for the date (all its orders summed)."""

    sku_id: str
    store_id: str
    quantity: int


@dataclass(frozen=True)
class SkuInfo:
    sku_id: str
    name_zh: str
    name_en: str
    unit: str
    supplier_id: str
    case_pack: int
    temp_class: str


@dataclass(frozen=True)
class StockLot:
    stock_id: int
    location_code: str
    sku_id: str
    lot: str
    expiry: dt.date
    quantity: int


@dataclass
class PurchaseLine:
    sku_id: str
    name_zh: str
    name_en: str
    unit: str
    quantity: int
    case_pack: int
    cases: int
    stores: dict[str, int] = field(default_factory=dict)


@dataclass
class SupplierPurchase:
    supplier_id: str
    lines: list[PurchaseLine]


@dataclass(frozen=True)
class PickLine:
    sku_id: str
    location_code: str
    lot: str
    expiry: dt.date
    quantity: int


@dataclass(frozen=True)
class Shortfall:
    sku_id: str
    ordered: int
    available: int

    @property
    def missing(self) -> int:
        return self.ordered - self.available


@dataclass
class PickPlan:
    lines: list[PickLine]
    shortfalls: list[Shortfall]


def cases_for(quantity: int, case_pack: int) -> int:
    """Orchards deliver whole cases: round up."""
    return -(-quantity // case_pack)


def totals_by_sku(demand: Iterable[Demand]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for d in demand:
        totals[d.sku_id] += d.quantity
    return dict(sorted(totals.items()))


def purchase_lists(demand: Iterable[Demand], skus: Mapping[str, SkuInfo]) -> list[SupplierPurchase]:
    """Per supplier, per SKU: total units, whole cases, and which stores the units are for."""
    per_sku: dict[str, dict[str, int]] = defaultdict(dict)
    for d in demand:
        per_sku[d.sku_id][d.store_id] = per_sku[d.sku_id].get(d.store_id, 0) + d.quantity
    per_supplier: dict[str, list[PurchaseLine]] = defaultdict(list)
    for sku_id in sorted(per_sku):
        info = skus[sku_id]
        stores = dict(sorted(per_sku[sku_id].items()))
        total = sum(stores.values())
        per_supplier[info.supplier_id].append(PurchaseLine(
            sku_id, info.name_zh, info.name_en, info.unit, total, info.case_pack,
            cases_for(total, info.case_pack), stores,
        ))
    return [SupplierPurchase(s, lines) for s, lines in sorted(per_supplier.items())]


def allocate_fefo(totals: Mapping[str, int], stock: Iterable[StockLot], delivery_date: dt.date) -> PickPlan:
    """Allocate each SKU's total from its lots, first expiry first; lots expired by delivery are skipped.

    Ties on expiry go to the smaller lot first, so half-empty bays are cleared out.
    """
    lots_by_sku: dict[str, list[StockLot]] = defaultdict(list)
    for lot in stock:
        if lot.quantity > 0 and lot.expiry >= delivery_date:
            lots_by_sku[lot.sku_id].append(lot)
    lines, shortfalls = [], []
    for sku_id, ordered in sorted(totals.items()):
        remaining = ordered
        for lot in sorted(lots_by_sku.get(sku_id, []), key=lambda s: (s.expiry, s.quantity, s.location_code)):
            if remaining == 0:
                break
            take = min(remaining, lot.quantity)
            lines.append(PickLine(sku_id, lot.location_code, lot.lot, lot.expiry, take))
            remaining -= take
        if remaining:
            shortfalls.append(Shortfall(sku_id, ordered, ordered - remaining))
    return PickPlan(lines, shortfalls)


def sort_plan(demand: Iterable[Demand]) -> dict[str, dict[str, int]]:
    """Per SKU, how many units go into each store's crates."""
    plan: dict[str, dict[str, int]] = defaultdict(dict)
    for d in demand:
        plan[d.sku_id][d.store_id] = plan[d.sku_id].get(d.store_id, 0) + d.quantity
    return {sku: dict(sorted(stores.items())) for sku, stores in sorted(plan.items())}
