"""The demo's morning, from the orchards' side: purchase orders out, confirmations and shipping notices
back, one orchard confirming short, one lot rejected at the dock for low Brix, and the short supply
shared across the stores before the wave, so the allocation and the daily report have something to show.

Deterministic, like the rest of the demo; run once per delivery date (a second run finds the POs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from edge.domain.floor.codes import make_sscc
from edge.domain.receiving import LotDecision
from edge.services import purchasing, qc, receiving
from edge.store import Store
from hq_sync.protocol import AsnLine, ShippingNotice

ACTOR = "system:demo"
SHORT_SUPPLIER = "SUP-YN-BERRY"  # the blueberry orchard: rain, fewer punnets than ordered
RECEIVED_SUPPLIER = "SUP-SD-MELON"  # the melon farm's truck is at the dock first
SHORT_SHARE = 0.7  # the orchard confirms 70 % of what is still needed beyond the shelf


@dataclass(frozen=True)
class DemoMorning:
    purchase_orders: int
    short_sku: str | None
    rejected_lot: str | None
    allocation: dict[str, Any]


def _stock(store: Store, sku_id: str) -> int:
    return int(store.scalar("SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE sku_id = ?", (sku_id,)))


def _confirm(store: Store, po: dict[str, Any], now: dt.datetime) -> str | None:
    """Confirm every line; the short orchard confirms its neediest SKU short. Returns that SKU."""
    lines = purchasing.purchase_order(store, po["po_id"])["lines"]
    confirmed = {ln["sku_id"]: ln["quantity"] for ln in lines}
    short = None
    if po["supplier_id"] == SHORT_SUPPLIER:
        need = {ln["sku_id"]: ln["quantity"] - _stock(store, ln["sku_id"]) for ln in lines}
        sku = max(need, key=lambda s: (need[s], s))
        if need[sku] > 0:
            pack = next(ln["case_pack"] for ln in lines if ln["sku_id"] == sku)
            confirmed[sku] = int(need[sku] * SHORT_SHARE) // pack * pack
            short = sku
    purchasing.confirm(store, po["po_id"], po["version"], confirmed, actor="hq", now=now)
    return short


def _shipping_notice(store: Store, po_id: str, day: dt.date, now: dt.datetime) -> None:
    lines = purchasing.purchase_order(store, po_id)["lines"]
    shelf = {r["sku_id"]: r["shelf_life_days"] for r in store.query("SELECT sku_id, shelf_life_days FROM skus")}
    sscc = make_sscc(0, "6901234", int(po_id.encode().hex(), 16) % 10**9)
    notice = ShippingNotice(asn_id=f"ASN-{po_id}", po_id=po_id, lines=[
        AsnLine(sscc=sscc, sku_id=ln["sku_id"], lot=f"{day:%y%m%d}{ln['sku_id']}"[:20],
                expiry=day + dt.timedelta(days=shelf[ln["sku_id"]]), units=ln["confirmed_qty"])
        for ln in lines if ln["confirmed_qty"]])
    receiving.record_asn(store, notice, actor="hq", now=now)


def _receive_with_one_reject(store: Store, po_id: str, day: dt.date, now: dt.datetime) -> str | None:
    """The first truck: every case counted, each lot Brix-sampled; the sweetest passes, one is sour."""
    receipt = receiving.start(store, po_id, actor="person:P01", now=now)
    lines = {ln["sku_id"]: ln for ln in purchasing.purchase_order(store, po_id)["lines"]}
    notice = store.query("SELECT sku_id, lot, expiry, units FROM asn_lines WHERE asn_id = ? ORDER BY sku_id",
                         (receipt["asn_id"],))
    rejected = None
    for n, row in enumerate(notice):
        gtin = store.scalar("SELECT gtin FROM skus WHERE sku_id = ?", (row["sku_id"],))
        expiry = dt.date.fromisoformat(row["expiry"])
        receiving.scan(store, receipt["receipt_id"], scan_id=f"demo-{po_id}-{n}",
                       raw=f"(01){gtin}(10){row['lot']}(17){expiry:%y%m%d}",
                       cases=row["units"] // lines[row["sku_id"]]["case_pack"], actor="person:P01",
                       device_id="pda-dock", now=now)
        spec = qc.sku_spec(store, row["sku_id"])
        if not spec.defined:
            continue
        sour = n == 0
        brix = (spec.brix_min or 10) - 2.5 if sour else (spec.brix_min or 10) + 1.5
        check = qc.open_check(store, sku_id=row["sku_id"], lot=row["lot"], device_id=None, actor="person:P01",
                              now=now)
        for value in (brix, brix + 0.3, brix - 0.2):
            qc.add_manual_reading(store, check, brix=value, temperature_c=18.5, actor="person:P01", now=now)
        qc.close_check(store, check, actor="person:P01", now=now)
        if sour:
            receiving.decide_lot(store, receipt["receipt_id"], sku_id=row["sku_id"], lot=row["lot"],
                                 decision=LotDecision.REJECTED, remark="糖度不达标，整批拒收", actor="person:P01",
                                 now=now)
            rejected = f"{row['sku_id']} {row['lot']}"
    receiving.close(store, receipt["receipt_id"], final=True, actor="person:P01", now=now)
    return rejected


def start_day_from_purchase_orders(store: Store, day: dt.date, now: dt.datetime) -> DemoMorning | None:
    """POs for `day`, the suppliers' answers, the first truck received, the shortage shared; None when
    the day's POs exist already (the demo was started before)."""
    if store.scalar("SELECT 1 FROM purchase_orders WHERE delivery_date = ?", (day.isoformat(),)):
        return None
    purchasing.issue_purchase_orders(store, day, actor=ACTOR, now=now)
    pos = purchasing.list_purchase_orders(store, day)
    short = None
    for po in pos:
        short = _confirm(store, po, now) or short
        _shipping_notice(store, po["po_id"], day, now)
    received = next((p["po_id"] for p in pos if p["supplier_id"] == RECEIVED_SUPPLIER), None)
    rejected = _receive_with_one_reject(store, received, day, now) if received else None
    allocation = purchasing.allocate_shortages(store, day, actor=ACTOR, now=now)
    return DemoMorning(len(pos), short, rejected, allocation)
