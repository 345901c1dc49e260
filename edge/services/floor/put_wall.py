"""The put wall's slots: one per store with goods that day, each with its own barcode, so a sorter
confirms a put by scanning the slot the store's crate stands in (or the crate's own label).

Slots are numbered in delivery order when routes are planned (the last stop's crates are loaded
first, so a truck's stores stand together), else by store id; once numbered a slot keeps its store
for the day, so the labels printed in the morning stay right.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import barcode

from edge.domain.floor.codes import SLOT
from edge.store import Store
from edge.store.db import Write


def slot_code(slot_no: int) -> str:
    return f"SLOT-{slot_no:03d}"


def slot_number(code: str) -> int | None:
    match = SLOT.match(code.strip().upper())
    return int(match.group(1)) if match else None


def number_slots(w: Write, day: str) -> None:
    """Give a slot to every store with goods that day that has none yet, after the slots already given."""
    stores = [r[0] for r in w.conn.execute(
        "SELECT o.store_id FROM orders o LEFT JOIN (SELECT rs.store_id, r.route_no, rs.stop_no FROM route_stops rs"
        " JOIN routes r USING (route_id) WHERE r.delivery_date = ?) s USING (store_id)"
        " WHERE o.delivery_date = ? AND o.status != 'cancelled'"
        " AND o.store_id NOT IN (SELECT store_id FROM put_wall_slots WHERE delivery_date = ?)"
        " GROUP BY o.store_id ORDER BY MIN(s.route_no) IS NULL, MIN(s.route_no), MIN(s.stop_no), o.store_id",
        (day, day, day))]
    last = w.conn.execute("SELECT COALESCE(MAX(slot_no), 0) FROM put_wall_slots WHERE delivery_date = ?",
                          (day,)).fetchone()[0]
    w.conn.executemany("INSERT INTO put_wall_slots (delivery_date, slot_no, store_id) VALUES (?, ?, ?)",
                       [(day, last + n, store_id) for n, store_id in enumerate(stores, 1)])


def slot_of(w: Write, day: str, store_id: str) -> int:
    """The store's slot that day (numbered now if the store had none)."""
    row = w.conn.execute("SELECT slot_no FROM put_wall_slots WHERE delivery_date = ? AND store_id = ?",
                         (day, store_id)).fetchone()
    if row is None:
        number_slots(w, day)
        row = w.conn.execute("SELECT slot_no FROM put_wall_slots WHERE delivery_date = ? AND store_id = ?",
                             (day, store_id)).fetchone()
    return int(row[0])


def store_of_slot(w: Write, day: str, slot_no: int) -> str | None:
    row = w.conn.execute("SELECT store_id FROM put_wall_slots WHERE delivery_date = ? AND slot_no = ?",
                         (day, slot_no)).fetchone()
    return None if row is None else str(row[0])


def slot_labels(store: Store, date: dt.date, *, actor: str, now: dt.datetime) -> list[dict[str, Any]]:
    """One label per slot: its number, code and Code 128 bars ('1' a bar module), and the store's name."""
    day = date.isoformat()
    with store.write(actor, now) as w:
        number_slots(w, day)
    rows = store.query("SELECT p.slot_no, p.store_id, s.name AS store_name FROM put_wall_slots p"
                       " JOIN stores s USING (store_id) WHERE p.delivery_date = ? ORDER BY p.slot_no", (day,))
    for row in rows:
        row["code"] = slot_code(row["slot_no"])
        row["bars"] = "".join(barcode.get("code128", row["code"]).build())
    return rows
