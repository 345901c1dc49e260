"""Sort-to-store at the put wall: scan an item to see which store crates get how many, scan a
crate to put them; each put fulfils the store's order lines (order_lines.picked_qty).

Only what finished tours brought to the sort station can be put: an SKU's puts never exceed its
picked quantity, so a short pick shows up as stores left short, not as goods that don't exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from edge.domain.auth import Principal
from edge.domain.floor.allocation import OpenLine, allocate_put
from edge.domain.floor.codes import classify
from edge.services.aggregation import demand_for
from edge.services.floor import put_wall, scanlog
from edge.services.floor.crates import crate_scan, open_crate
from edge.services.floor.fulfilment import emit_line_picked
from edge.services.floor.scanlog import ScanIn
from edge.store import Store
from edge.store.db import Write
from hq_sync import protocol as hq

CRATE_ML = 40_000  # a 600 x 400 x 230 mm crate is full at about 70 % of its 55 litres
_PICKED = ("SELECT COALESCE(SUM(l.picked_qty), 0) FROM tour_lines l JOIN tours t USING (tour_id)"
           " WHERE t.delivery_date = ? AND l.sku_id = ? AND t.status IN ('done', 'dropped')")


class SortScan(ScanIn):
    delivery_date: dt.date
    asset_id: str | None = Field(default=None, max_length=64, description="the cold room of the put wall")
    quantity: int | None = Field(default=None, ge=1, description="crate scans: put fewer than shown")


def plan(store: Store, date: dt.date) -> dict[str, Any]:
    """Per SKU: what tours brought in, and per store what is planned, put and still to put."""
    day = date.isoformat()
    planned: dict[str, dict[str, int]] = {}
    for d in demand_for(store, date):
        planned.setdefault(d.sku_id, {})[d.store_id] = d.quantity
    put = {(r[0], r[1]): r[2] for r in store.conn.execute(
        "SELECT sku_id, store_id, SUM(quantity) FROM sort_puts WHERE delivery_date = ? GROUP BY sku_id, store_id",
        (day,))}
    skus = {r["sku_id"]: r for r in store.query("SELECT sku_id, gtin, name_zh, name_en, temp_class FROM skus")}
    out = []
    for sku_id in sorted(planned):
        stores = [{"store_id": s, "planned": q, "put": put.get((sku_id, s), 0),
                   "remaining": q - put.get((sku_id, s), 0)} for s, q in sorted(planned[sku_id].items())]
        out.append(skus[sku_id] | {"picked": store.scalar(_PICKED, (day, sku_id)),
                                   "put": sum(s["put"] for s in stores), "stores": stores})
    return {"delivery_date": day, "skus": out}


def _needs(w: Write, day: str, sku_id: str) -> tuple[dict[str, int], int]:
    """Per store what is still to put of this SKU, and how much picked stock is left to put."""
    planned = dict(w.conn.execute(
        "SELECT o.store_id, SUM(l.quantity) FROM order_lines l JOIN orders o USING (hq_order_id)"
        " WHERE o.delivery_date = ? AND o.status != 'cancelled' AND l.sku_id = ? GROUP BY o.store_id",
        (day, sku_id)).fetchall())
    done = dict(w.conn.execute("SELECT store_id, SUM(quantity) FROM sort_puts WHERE delivery_date = ?"
                               " AND sku_id = ? GROUP BY store_id", (day, sku_id)).fetchall())
    left = w.conn.execute(_PICKED, (day, sku_id)).fetchone()[0] - sum(done.values())
    return {s: q - done.get(s, 0) for s, q in sorted(planned.items()) if q > done.get(s, 0)}, left


def _item(w: Write, scan: SortScan, sku: Any, station: str) -> dict[str, Any]:
    day = scan.delivery_date.isoformat()
    remaining, left = _needs(w, day, sku["sku_id"])
    if not remaining:
        code = "not_in_plan" if not w.conn.execute(
            "SELECT 1 FROM sort_puts WHERE delivery_date = ? AND sku_id = ?", (day, sku["sku_id"])).fetchone() \
            else "nothing_to_put"
        return scanlog.outcome(scan, code, {}, sku_id=sku["sku_id"])
    if left <= 0:
        return scanlog.outcome(scan, "nothing_to_put", {}, sku_id=sku["sku_id"])
    puts = []
    for store_id, need in remaining.items():
        if left <= 0:
            break
        crate = open_crate(w, day, store_id, sku["temp_class"])
        name = w.conn.execute("SELECT name FROM stores WHERE store_id = ?", (store_id,)).fetchone()[0]
        puts.append({"store_id": store_id, "store_name": name, "sscc": crate["sscc"], "crate_no": crate["crate_no"],
                     "quantity": min(need, left), "slot": put_wall.slot_code(put_wall.slot_of(w, day, store_id))})
        left -= min(need, left)
    w.conn.execute("INSERT INTO sort_stations (station_id, delivery_date, sku_id, updated_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (station_id) DO UPDATE SET delivery_date = excluded.delivery_date,"
                   " sku_id = excluded.sku_id, updated_at = excluded.updated_at",
                   (station, day, sku["sku_id"], w.now_text))
    return scanlog.outcome(scan, "ok", {}, sku_id=sku["sku_id"], name_zh=sku["name_zh"], name_en=sku["name_en"],
                           temp_class=sku["temp_class"], puts=puts)


def _fulfil(w: Write, day: str, store_id: str, sku_id: str, quantity: int) -> list[dict[str, Any]]:
    """Add the put to the store's order lines (each changed line goes to HQ as `order.line_picked`);
    orders whose every line is complete become picked."""
    lines = [OpenLine(*r) for r in w.conn.execute(
        "SELECT l.hq_order_id, l.line_no, l.quantity, l.picked_qty FROM order_lines l JOIN orders o"
        " USING (hq_order_id) WHERE o.delivery_date = ? AND o.store_id = ? AND l.sku_id = ?"
        " AND o.status != 'cancelled'", (day, store_id, sku_id))]
    out = []
    for line, take in allocate_put(lines, quantity):
        w.conn.execute("UPDATE order_lines SET picked_qty = picked_qty + ? WHERE hq_order_id = ? AND line_no = ?",
                       (take, line.hq_order_id, line.line_no))
        emit_line_picked(w, line.hq_order_id, line.line_no, sku_id, line.picked_qty + take, line.quantity)
        complete = w.conn.execute("SELECT MIN(picked_qty >= quantity) FROM order_lines WHERE hq_order_id = ?",
                                  (line.hq_order_id,)).fetchone()[0]
        status = "picked" if complete else "picking"
        w.conn.execute("UPDATE orders SET status = ?, updated_at = ? WHERE hq_order_id = ?"
                       " AND status IN ('open', 'picking')", (status, w.now_text, line.hq_order_id))
        out.append({"hq_order_id": line.hq_order_id, "line_no": line.line_no, "added": take,
                    "picked_qty": line.picked_qty + take, "status": status})
    return out


def _crate(w: Write, scan: SortScan, sscc: str, station: str) -> dict[str, Any]:
    day = scan.delivery_date.isoformat()
    crate = w.conn.execute("SELECT * FROM crates WHERE sscc = ?", (sscc,)).fetchone()
    if crate is None or crate["delivery_date"] != day:
        return scanlog.outcome(scan, "unknown_code", {"reason_code": "not_todays_crate", "got": sscc})
    if crate["status"] != "open":
        return scanlog.outcome(scan, "crate_closed", {}, sscc=sscc)
    current = w.conn.execute("SELECT sku_id FROM sort_stations WHERE station_id = ? AND delivery_date = ?",
                             (station, day)).fetchone()
    if current is None:
        return scanlog.outcome(scan, "no_item", {}, sscc=sscc)
    sku = w.conn.execute("SELECT s.*, v.sku_id IS NOT NULL AS weighed FROM skus s LEFT JOIN variable_weight_skus v"
                         " USING (sku_id) WHERE s.sku_id = ?", (current[0],)).fetchone()
    if sku["temp_class"] != crate["temp_class"]:
        return scanlog.outcome(scan, "wrong_crate", {"reason_code": "crate_class",
                                                     "crate_class": crate["temp_class"],
                                                     "item_class": sku["temp_class"]}, sscc=sscc)
    remaining, left = _needs(w, day, sku["sku_id"])
    need = remaining.get(crate["store_id"], 0)
    if need == 0:
        return scanlog.outcome(scan, "wrong_crate", {"reason_code": "store_needs_none",
                                                     "store_id": crate["store_id"], "sku_id": sku["sku_id"]}, sscc=sscc)
    quantity = min(need, left, scan.quantity or need)
    if quantity <= 0:
        return scanlog.outcome(scan, "nothing_to_put", {}, sscc=sscc)
    weight = quantity if sku["weighed"] else quantity * sku["weight_g"]
    units = 1 if sku["weighed"] else quantity
    w.conn.execute("INSERT INTO sort_puts (delivery_date, sku_id, store_id, sscc, quantity, scan_id, put_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", (day, sku["sku_id"], crate["store_id"], sscc, quantity,
                                                     scan.scan_id, w.now_text))
    w.conn.execute("INSERT INTO crate_lines (sscc, sku_id, quantity) VALUES (?, ?, ?) ON CONFLICT (sscc, sku_id)"
                   " DO UPDATE SET quantity = quantity + excluded.quantity", (sscc, sku["sku_id"], quantity))
    w.conn.execute("UPDATE crates SET units = units + ?, weight_g = weight_g + ?, volume_ml = volume_ml + ?"
                   " WHERE sscc = ?", (units, weight, units * sku["volume_ml"], sscc))
    at = scanlog.scanned_time(scan, w.now)
    crate_scan(w, sscc, "sorted", at=at, asset_id=scan.asset_id)
    lines = _fulfil(w, day, crate["store_id"], sku["sku_id"], quantity)
    w.emit(hq.PutPayload(store_id=crate["store_id"], sku_id=sku["sku_id"], quantity=quantity,
                         order_lines=[hq.PutLine.model_validate(line) for line in lines], scan_id=scan.scan_id),
           sscc, occurred_at=at)
    volume = w.conn.execute("SELECT volume_ml FROM crates WHERE sscc = ?", (sscc,)).fetchone()[0]
    return scanlog.outcome(scan, "ok", {}, sscc=sscc, store_id=crate["store_id"], sku_id=sku["sku_id"],
                           put=quantity, remaining=need - quantity, crate_full=volume >= CRATE_ML)


def _slot(w: Write, scan: SortScan, slot: str, station: str) -> dict[str, Any]:
    """A slot scanned: the put goes into the open crate of the slot's store (opened if it has none)."""
    day = scan.delivery_date.isoformat()
    number = put_wall.slot_number(slot)
    store_id = put_wall.store_of_slot(w, day, number) if number is not None else None
    if store_id is None:
        return scanlog.outcome(scan, "unknown_code", {"reason_code": "no_such_slot", "got": slot})
    current = w.conn.execute("SELECT s.sku_id, s.temp_class FROM sort_stations t JOIN skus s USING (sku_id)"
                             " WHERE t.station_id = ? AND t.delivery_date = ?", (station, day)).fetchone()
    if current is None:
        return scanlog.outcome(scan, "no_item", {})
    remaining, _ = _needs(w, day, current[0])
    if remaining.get(store_id, 0) <= 0:
        expected = [put_wall.slot_code(put_wall.slot_of(w, day, s)) for s in list(remaining)[:6]]
        return scanlog.outcome(scan, "wrong_slot", {"expected": "、".join(expected) or "-", "got": slot})
    crate = open_crate(w, day, store_id, current[1])
    return _crate(w, scan, crate["sscc"], station) | {"slot": slot}


def sort_scan(store: Store, scan: SortScan, *, sorter: Principal, now: dt.datetime) -> dict[str, Any]:
    """An item scan shows the puts; a crate scan confirms the put for that crate's store."""
    device = scan.device_id or sorter.device_id
    station = device or sorter.actor
    with store.write(sorter.actor, now, device) as w:
        previous = scanlog.replay(w, scan)
        if previous is not None:
            return previous
        code = classify(scan.code)
        sku = w.conn.execute("SELECT * FROM skus WHERE gtin = ?", (code.gtin,)).fetchone() if code.gtin else None
        if code.kind == "sscc" and code.sscc:
            answer = _crate(w, scan, code.sscc, station)
        elif code.kind == "slot":
            answer = _slot(w, scan, code.text, station)
        elif sku is not None:
            answer = _item(w, scan, sku, station)
        else:
            answer = scanlog.outcome(scan, "unknown_code",
                                     {"reason_code": code.reason or "not_ours", "got": code.text[:40]})
        return scanlog.record(w, "sort", scan.delivery_date.isoformat(), scan, answer)
