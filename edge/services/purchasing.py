"""Purchase orders per supplier and delivery date, made from the night's orders and kept in step
with them; the suppliers' confirmations; and what the supply, once known, leaves each order line.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict
from typing import Any, Literal

from edge.domain.purchasing import REVISABLE, LineChange, PoLine, PoState, changes, po_id_for, po_lines
from edge.domain.shortage import OrderedLine, share_shortage
from edge.services import aggregation
from edge.services.floor.errors import FloorError, NotFound
from edge.store import Store
from edge.store.db import Write, parse_utc
from hq_sync.protocol import (
    LineAllocatedPayload,
    PoLineChange,
    PoLineOut,
    PurchaseOrderConflictPayload,
    PurchaseOrderPayload,
)

SHORT_REASON = "supplier short: {supply} of {ordered} units arrived or were confirmed for {sku}"


def _stored_lines(store: Store, po_id: str) -> dict[str, PoLine]:
    return {r["sku_id"]: PoLine(r["sku_id"], r["quantity"], r["case_pack"]) for r in store.query(
        "SELECT sku_id, quantity, case_pack FROM po_lines WHERE po_id = ? AND quantity > 0", (po_id,))}


def _payload_lines(lines: dict[str, PoLine]) -> list[PoLineOut]:
    return [PoLineOut(sku_id=ln.sku_id, quantity=ln.quantity, case_pack=ln.case_pack) for ln in lines.values()]


def _payload_changes(diff: list[LineChange]) -> list[PoLineChange]:
    return [PoLineChange(**asdict(c)) for c in diff]


def _write_version(w: Write, po_id: str, version: int, lines: dict[str, PoLine], diff: list[LineChange]) -> None:
    w.conn.execute("DELETE FROM po_lines WHERE po_id = ?", (po_id,))
    w.conn.executemany(
        "INSERT INTO po_lines (po_id, sku_id, quantity, case_pack) VALUES (?, ?, ?, ?)",
        [(po_id, ln.sku_id, ln.quantity, ln.case_pack) for ln in lines.values()])
    w.conn.execute(
        "INSERT INTO po_versions (po_id, version, created_at, created_by, lines_json, changes_json)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (po_id, version, w.now_text, w.actor, json.dumps([asdict(ln) for ln in lines.values()]),
         json.dumps([asdict(c) for c in diff])))


def issue_purchase_orders(store: Store, date: dt.date, *, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Send a PO per supplier for `date`, or a new version where the orders changed since.

    A PO the dock has started receiving is not rewritten: the change becomes a conflict."""
    wanted = {p.supplier_id: po_lines(p) for p in aggregation.purchase(store, date)}
    existing = {r["supplier_id"]: r for r in store.query(
        "SELECT po_id, supplier_id, version, state FROM purchase_orders WHERE delivery_date = ?", (date.isoformat(),))}
    summary: dict[str, list[str]] = {"created": [], "revised": [], "unchanged": [], "conflicts": []}
    with store.write(actor, now) as w:
        for supplier_id in sorted(set(wanted) | set(existing)):
            lines = wanted.get(supplier_id, {})
            po = existing.get(supplier_id)
            if po is None:
                po_id = po_id_for(supplier_id, date.isoformat())
                w.conn.execute(
                    "INSERT INTO purchase_orders (po_id, supplier_id, delivery_date, version, state, created_at,"
                    " updated_at) VALUES (?, ?, ?, 1, 'sent', ?, ?)",
                    (po_id, supplier_id, date.isoformat(), w.now_text, w.now_text))
                _write_version(w, po_id, 1, lines, [])
                w.emit(PurchaseOrderPayload(po_id=po_id, supplier_id=supplier_id, delivery_date=date, version=1,
                                            state="sent", lines=_payload_lines(lines)), po_id)
                summary["created"].append(po_id)
                continue
            po_id = po["po_id"]
            diff = changes(_stored_lines(store, po_id), lines)
            if not diff:
                summary["unchanged"].append(po_id)
            elif PoState(po["state"]) in REVISABLE or po["state"] == PoState.CANCELLED:
                version = po["version"] + 1
                state: Literal["sent", "cancelled"] = "sent" if lines else "cancelled"
                w.conn.execute("UPDATE purchase_orders SET version = ?, state = ?, updated_at = ? WHERE po_id = ?",
                               (version, state, w.now_text, po_id))
                _write_version(w, po_id, version, lines, diff)
                w.emit(PurchaseOrderPayload(po_id=po_id, supplier_id=supplier_id, delivery_date=date,
                                            version=version, state=state, lines=_payload_lines(lines),
                                            changes=_payload_changes(diff)), po_id)
                summary["revised"].append(po_id)
            else:
                summary["conflicts"].append(po_id)
                if store.scalar("SELECT 1 FROM po_conflicts WHERE po_id = ? AND resolved_at IS NULL"
                                " AND changes_json = ?", (po_id, json.dumps([asdict(c) for c in diff]))):
                    continue  # already waiting for a supervisor
                cursor = w.conn.execute(
                    "INSERT INTO po_conflicts (po_id, created_at, changes_json) VALUES (?, ?, ?)",
                    (po_id, w.now_text, json.dumps([asdict(c) for c in diff])))
                w.emit(PurchaseOrderConflictPayload(po_id=po_id, conflict_id=int(cursor.lastrowid or 0),
                                                    changes=_payload_changes(diff)), po_id)
    return summary


def confirmation_problem(conn: sqlite3.Connection, po_id: str, version: int,
                         confirmed: dict[str, int]) -> FloorError | None:
    """Why a supplier's confirmation cannot be taken (None when it can): an unknown PO, an older
    version than the one last sent, a SKU not on the PO, or a quantity outside 0..ordered."""
    po = conn.execute("SELECT version FROM purchase_orders WHERE po_id = ?", (po_id,)).fetchone()
    if po is None:
        return NotFound("po_not_found", f"no purchase order {po_id}")
    if po[0] != version:
        return FloorError("po_version_stale", f"{po_id} is at version {po[0]}; the confirmation is for version"
                          f" {version}", current=po[0])
    ordered = dict(conn.execute("SELECT sku_id, quantity FROM po_lines WHERE po_id = ? AND quantity > 0",
                                (po_id,)).fetchall())
    unknown = sorted(set(confirmed) - set(ordered))
    if unknown:
        return FloorError("po_line_unknown", f"{po_id} has no line for {', '.join(unknown)}", skus=unknown)
    over = sorted(sku for sku, qty in confirmed.items() if not 0 <= qty <= ordered[sku])
    if over:
        return FloorError("po_confirm_over", f"confirmed quantity outside 0..ordered for {', '.join(over)}", skus=over)
    return None


def apply_confirmation(w: Write, po_id: str, version: int, confirmed: dict[str, int]) -> None:
    """Record a checked confirmation inside the caller's transaction (the API's, or the HQ feed's)."""
    w.conn.executemany("UPDATE po_lines SET confirmed_qty = ? WHERE po_id = ? AND sku_id = ?",
                       [(qty, po_id, sku) for sku, qty in confirmed.items()])
    w.conn.execute("UPDATE purchase_orders SET state = 'confirmed', updated_at = ? WHERE po_id = ? AND state = 'sent'",
                   (w.now_text, po_id))
    w.log("purchase.confirmed", po_id, {"version": version, "confirmed": confirmed})


def confirm(store: Store, po_id: str, version: int, confirmed: dict[str, int], *, actor: str,
            now: dt.datetime) -> dict[str, Any]:
    """Record the supplier's confirmation of a PO version (quantities it will bring per SKU).

    A confirmation of an older version is refused: the supplier must confirm what it was last sent."""
    problem = confirmation_problem(store.conn, po_id, version, confirmed)
    if problem is not None:
        raise problem
    with store.write(actor, now) as w:
        apply_confirmation(w, po_id, version, confirmed)
    return purchase_order(store, po_id)


def purchase_order(store: Store, po_id: str) -> dict[str, Any]:
    rows = store.query("SELECT * FROM purchase_orders WHERE po_id = ?", (po_id,))
    if not rows:
        raise NotFound("po_not_found", f"no purchase order {po_id}")
    po = rows[0]
    po["lines"] = store.query(
        "SELECT l.sku_id, s.name_zh, s.name_en, l.quantity, l.case_pack, l.quantity / l.case_pack AS cases,"
        " l.confirmed_qty FROM po_lines l JOIN skus s USING (sku_id) WHERE po_id = ? ORDER BY l.sku_id", (po_id,))
    po["versions"] = [{"version": v["version"], "created_at": v["created_at"], "created_by": v["created_by"],
                       "changes": json.loads(v["changes_json"])} for v in store.query(
        "SELECT * FROM po_versions WHERE po_id = ? ORDER BY version", (po_id,))]
    po["open_conflicts"] = store.query(
        "SELECT conflict_id, created_at, changes_json FROM po_conflicts WHERE po_id = ? AND resolved_at IS NULL",
        (po_id,))
    return po


def list_purchase_orders(store: Store, date: dt.date) -> list[dict[str, Any]]:
    return store.query(
        "SELECT p.po_id, p.supplier_id, u.name AS supplier_name, p.version, p.state, p.updated_at,"
        " COUNT(l.sku_id) AS lines, SUM(l.quantity) AS units, SUM(l.confirmed_qty) AS confirmed_units,"
        " (SELECT COUNT(*) FROM po_conflicts c WHERE c.po_id = p.po_id AND c.resolved_at IS NULL) AS open_conflicts"
        " FROM purchase_orders p JOIN suppliers u USING (supplier_id) LEFT JOIN po_lines l USING (po_id)"
        " WHERE p.delivery_date = ? GROUP BY p.po_id ORDER BY p.po_id", (date.isoformat(),))


def supply_for(store: Store, date: dt.date) -> dict[str, int]:
    """Units per SKU that will be there to pick for `date`: stock on hand that keeps until then, plus
    what open POs still bring (the supplier's confirmation where it gave one)."""
    supply: dict[str, int] = {}
    for r in store.query("SELECT sku_id, SUM(quantity) AS q FROM stock WHERE quantity > 0 AND expiry >= ?"
                         " GROUP BY sku_id", (date.isoformat(),)):
        supply[r["sku_id"]] = r["q"]
    for r in store.query(
            "SELECT l.sku_id, SUM(COALESCE(l.confirmed_qty, l.quantity)) AS q FROM po_lines l"
            " JOIN purchase_orders p USING (po_id) WHERE p.delivery_date = ?"
            " AND p.state IN ('sent', 'confirmed', 'shipped') GROUP BY l.sku_id", (date.isoformat(),)):
        supply[r["sku_id"]] = supply.get(r["sku_id"], 0) + r["q"]
    return supply


def allocate_shortages(store: Store, date: dt.date, *, actor: str, now: dt.datetime,
                       supply: dict[str, int] | None = None) -> dict[str, Any]:
    """Share short SKUs across stores by the documented rule before the wave; tell HQ each line whose
    share changed (cut, or topped up by late supply). Pick lists then plan the allocated units."""
    if store.scalar("SELECT 1 FROM waves WHERE delivery_date = ?", (date.isoformat(),)):
        raise FloorError("wave_exists", f"the wave for {date} is built: allocate before building it")
    supply = supply_for(store, date) if supply is None else supply
    rows = store.query(
        "SELECT l.hq_order_id, l.line_no, l.sku_id, l.quantity, l.allocated_qty, o.store_id, o.received_at"
        " FROM order_lines l JOIN orders o USING (hq_order_id)"
        " WHERE o.delivery_date = ? AND o.status != 'cancelled'", (date.isoformat(),))
    by_sku: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_sku.setdefault(r["sku_id"], []).append(r)
    updates: list[tuple[dict[str, Any], int | None, str]] = []
    short_skus = []
    for sku, lines in sorted(by_sku.items()):
        ordered = sum(r["quantity"] for r in lines)
        available = supply.get(sku, 0)
        if available >= ordered:
            updates += [(r, None, "") for r in lines if r["allocated_qty"] is not None]
            continue
        short_skus.append({"sku_id": sku, "ordered": ordered, "supply": available})
        reason = SHORT_REASON.format(supply=available, ordered=ordered, sku=sku)
        index = {(r["hq_order_id"], r["line_no"]): r for r in lines}
        shares = share_shortage(available, [
            OrderedLine(r["hq_order_id"], r["line_no"], r["store_id"], parse_utc(r["received_at"]), r["quantity"])
            for r in lines])
        for share in shares:
            r = index[(share.line.hq_order_id, share.line.line_no)]
            new = None if share.short == 0 else share.allocated
            if new != r["allocated_qty"]:
                updates.append((r, new, reason))
    with store.write(actor, now) as w:
        for r, new, reason in updates:
            key = (r["hq_order_id"], r["line_no"])
            w.conn.execute("UPDATE order_lines SET allocated_qty = ? WHERE hq_order_id = ? AND line_no = ?",
                           (new, *key))
            w.conn.execute("DELETE FROM allocation_shorts WHERE hq_order_id = ? AND line_no = ?", key)
            if new is not None:
                w.conn.execute(
                    "INSERT INTO allocation_shorts (hq_order_id, line_no, sku_id, ordered_qty, allocated_qty, reason,"
                    " allocated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key, r["sku_id"], r["quantity"], new, reason, w.now_text))
            w.emit(LineAllocatedPayload(
                hq_order_id=r["hq_order_id"], line_no=r["line_no"], sku_id=r["sku_id"], ordered_qty=r["quantity"],
                allocated_qty=r["quantity"] if new is None else new,
                reason=reason or "supply now covers the line in full"), r["hq_order_id"])
    return {"delivery_date": date.isoformat(), "short_skus": short_skus, "lines_changed": len(updates),
            "lines_short": store.scalar(
                "SELECT COUNT(*) FROM allocation_shorts a JOIN orders o USING (hq_order_id)"
                " WHERE o.delivery_date = ?", (date.isoformat(),))}
