"""Receiving at the dock against a PO (and its ASN, or blind): case scans counted once, a decision
per lot from its Brix QC, damage photos, and a receipt that closes into stock, the loss ledger and
one event to HQ with every discrepancy — all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from edge.domain.receiving import (
    CaseLabel,
    ExpectedItem,
    LotDecision,
    Refused,
    gate,
    judge_case,
    read_label,
)
from edge.services import qc
from edge.services.floor.errors import FloorError, NotFound
from edge.services.photos import keep_photo
from edge.store import Store
from edge.store.db import Write, parse_utc
from hq_sync.protocol import ReceiptClosedPayload, ReceiptDiscrepancy, ReceivedLot, ShippingNotice

#: A scale reading older than this is not a weight: the scale, or its link, has stopped talking.
SCALE_FRESH = dt.timedelta(seconds=5)


def refusal(refused: Refused) -> dict[str, Any]:
    """A refused scan or decision as the API answers it: the key and the values its message names."""
    return {"ok": False, "code": refused.code, "message_key": f"floor.receive.refuse.{refused.code}",
            "values": dict(refused.values)}


def asn_problem(conn: sqlite3.Connection, asn: ShippingNotice) -> FloorError | None:
    """Why a shipping notice cannot be taken: an unknown PO, a SKU not on it, or an id already used."""
    if conn.execute("SELECT 1 FROM purchase_orders WHERE po_id = ?", (asn.po_id,)).fetchone() is None:
        return NotFound("po_not_found", f"no purchase order {asn.po_id}")
    on_po = {r[0] for r in conn.execute("SELECT sku_id FROM po_lines WHERE po_id = ?", (asn.po_id,))}
    unknown = sorted({ln.sku_id for ln in asn.lines} - on_po)
    if unknown:
        return FloorError("po_line_unknown", f"{asn.po_id} has no line for {', '.join(unknown)}", skus=unknown)
    if conn.execute("SELECT 1 FROM asns WHERE asn_id = ?", (asn.asn_id,)).fetchone():
        return FloorError("asn_exists", f"ASN {asn.asn_id} is already recorded")
    return None


def apply_asn(w: Write, asn: ShippingNotice) -> None:
    """Record a checked shipping notice inside the caller's transaction; the PO is then on its way."""
    w.conn.execute("INSERT INTO asns (asn_id, po_id, expected_at, received_at) VALUES (?, ?, ?, ?)",
                   (asn.asn_id, asn.po_id, asn.expected_at.isoformat() if asn.expected_at else None, w.now_text))
    w.conn.executemany(
        "INSERT INTO asn_lines (asn_id, sscc, sku_id, lot, expiry, units) VALUES (?, ?, ?, ?, ?, ?)",
        [(asn.asn_id, ln.sscc, ln.sku_id, ln.lot, ln.expiry.isoformat(), ln.units) for ln in asn.lines])
    w.conn.execute("UPDATE purchase_orders SET state = 'shipped', updated_at = ? WHERE po_id = ?"
                   " AND state IN ('sent', 'confirmed')", (w.now_text, asn.po_id))
    w.log("receiving.asn", asn.asn_id, {"po_id": asn.po_id, "lines": len(asn.lines)})


def record_asn(store: Store, asn: ShippingNotice, *, actor: str, now: dt.datetime) -> dict[str, Any]:
    """An advance shipping notice from the supplier: pallets with their lots and units."""
    problem = asn_problem(store.conn, asn)
    if problem is not None:
        raise problem
    with store.write(actor, now) as w:
        apply_asn(w, asn)
    return {"asn_id": asn.asn_id, "po_id": asn.po_id, "lines": len(asn.lines)}


def _po(store: Store, po_id: str) -> dict[str, Any]:
    rows = store.query("SELECT * FROM purchase_orders WHERE po_id = ?", (po_id,))
    if not rows:
        raise NotFound("po_not_found", f"no purchase order {po_id}")
    return rows[0]


def start(store: Store, po_id: str, *, asn_id: str | None = None, blind: bool = False, actor: str,
          now: dt.datetime) -> dict[str, Any]:
    """Open a receipt at the dock against the PO's latest ASN (or the one named, or none when `blind`);
    the PO is then being received, and later order changes become conflicts."""
    po = _po(store, po_id)
    if asn_id is None and not blind:
        asn_id = store.scalar("SELECT asn_id FROM asns WHERE po_id = ? ORDER BY received_at DESC, asn_id DESC"
                              " LIMIT 1", (po_id,))
    if po["state"] in ("received", "cancelled"):
        raise FloorError("po_closed", f"{po_id} is {po['state']}: nothing more to receive", state=po["state"])
    if asn_id is not None and store.scalar("SELECT po_id FROM asns WHERE asn_id = ?", (asn_id,)) != po_id:
        raise FloorError("asn_not_for_po", f"ASN {asn_id} is not for {po_id}", asn_id=asn_id)
    with store.write(actor, now) as w:
        cursor = w.conn.execute("INSERT INTO receipts (po_id, asn_id, started_at, started_by) VALUES (?, ?, ?, ?)",
                                (po_id, asn_id, w.now_text, actor))
        w.conn.execute("UPDATE purchase_orders SET state = 'receiving', updated_at = ? WHERE po_id = ?",
                       (w.now_text, po_id))
        receipt_id = int(cursor.lastrowid or 0)
        w.log("receiving.started", str(receipt_id), {"po_id": po_id, "asn_id": asn_id})
    return receipt(store, receipt_id)


def _receipt_row(store: Store, receipt_id: int) -> dict[str, Any]:
    rows = store.query("SELECT r.*, p.delivery_date FROM receipts r JOIN purchase_orders p USING (po_id)"
                       " WHERE receipt_id = ?", (receipt_id,))
    if not rows:
        raise NotFound("receipt_not_found", f"no receipt {receipt_id}")
    return rows[0]


def expected_items(store: Store, receipt_id: int) -> list[ExpectedItem]:
    """The PO's lines with what every receipt of the PO has counted so far, and the ASN's lots."""
    head = _receipt_row(store, receipt_id)
    asn_lots: dict[str, dict[str, dt.date]] = defaultdict(dict)
    for r in store.query("SELECT sku_id, lot, expiry FROM asn_lines WHERE asn_id = ?", (head["asn_id"],)):
        asn_lots[r["sku_id"]][r["lot"]] = dt.date.fromisoformat(r["expiry"])
    return [ExpectedItem(r["sku_id"], r["name_zh"], r["name_en"], r["gtin"], r["case_pack"], r["quantity"],
                         r["received"],
                         dict(asn_lots[r["sku_id"]]) if head["asn_id"] else None)
            for r in store.query(
                "SELECT l.sku_id, s.name_zh, s.name_en, s.gtin, l.case_pack, l.quantity,"
                " (SELECT COALESCE(SUM(c.units), 0) FROM receipt_scans c JOIN receipts r USING (receipt_id)"
                "  WHERE r.po_id = l.po_id AND c.sku_id = l.sku_id) AS received"
                " FROM po_lines l JOIN skus s USING (sku_id) WHERE l.po_id = ? ORDER BY l.sku_id", (head["po_id"],))]


def scale_weight(store: Store, scale_id: str, now: dt.datetime) -> tuple[int, bool] | Refused:
    """The dock scale's current weight in grams and whether it is stable, as its driver last read it;
    a reading older than `SCALE_FRESH` is no weight at all (the scale or the node's link is down)."""
    row = store.query("SELECT last_reading, last_reading_at FROM device_status WHERE device_id = ?", (scale_id,))
    reading = json.loads(row[0]["last_reading"]) if row and row[0]["last_reading"] else None
    if (reading is None or reading.get("type") != "weight" or reading.get("weight_kg") is None
            or now - parse_utc(row[0]["last_reading_at"]) > SCALE_FRESH):
        return Refused("scale_no_reading", {"scale": scale_id})
    return round(reading["weight_kg"] * 1000), reading.get("stable") is True


def scan(store: Store, receipt_id: int, *, scan_id: str, raw: str, cases: int = 1, pallet_sscc: str | None = None,
         scale_id: str | None = None, actor: str, device_id: str | None, now: dt.datetime) -> dict[str, Any]:
    """One scan at the dock: a pallet SSCC shows what the ASN says is on it; a case label is counted
    against the PO (weighed on `scale_id` when given), or refused with what was expected. The same
    scan sent twice counts once."""
    head = _receipt_row(store, receipt_id)
    if head["closed_at"]:
        raise FloorError("receipt_closed", f"receipt {receipt_id} is closed")
    seen = store.query("SELECT raw, cases, sku_id, lot, units FROM receipt_scans WHERE scan_id = ?", (scan_id,))
    if seen:
        if (seen[0]["raw"], seen[0]["cases"]) != (raw, cases):
            raise FloorError("scan_id_reused", f"scan {scan_id} was already used for another code")
        return {"ok": True, "replayed": True, **{k: seen[0][k] for k in ("sku_id", "lot", "units")}}
    label = read_label(raw)
    if isinstance(label, CaseLabel) and label.sscc is not None:
        return _pallet(store, head, label.sscc)
    weight = scale_weight(store, scale_id, now) if scale_id else None
    verdict = label if isinstance(label, Refused) else weight if isinstance(weight, Refused) else judge_case(
        label, expected_items(store, receipt_id), delivery_date=dt.date.fromisoformat(head["delivery_date"]),
        cases=cases, weight_g=weight[0] if weight else None, weight_stable=weight[1] if weight else None)
    with store.write(actor, now, device_id) as w:
        if isinstance(verdict, Refused):
            w.log("receiving.refused", str(receipt_id), {"scan_id": scan_id, "raw": raw[:128], "code": verdict.code})
            return refusal(verdict)
        w.conn.execute(
            "INSERT INTO receipt_scans (scan_id, receipt_id, raw, cases, sku_id, lot, expiry, units, net_weight_g,"
            " pallet_sscc, scanned_at, scanned_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, receipt_id, raw, cases, verdict.sku_id, verdict.lot, verdict.expiry.isoformat(), verdict.units,
             verdict.net_weight_g, pallet_sscc, w.now_text, actor))
    return {"ok": True, "sku_id": verdict.sku_id, "lot": verdict.lot, "units": verdict.units,
            "expiry": verdict.expiry.isoformat(), "receipt": receipt(store, receipt_id)}


def _pallet(store: Store, head: dict[str, Any], sscc: str) -> dict[str, Any]:
    lines = store.query("SELECT l.sku_id, s.name_zh, s.name_en, l.lot, l.expiry, l.units FROM asn_lines l JOIN skus s"
                        " USING (sku_id) WHERE l.asn_id = ? AND l.sscc = ?", (head["asn_id"], sscc))
    if not lines:
        return refusal(Refused("pallet_not_announced", {"scanned": sscc}))
    return {"ok": True, "pallet": sscc, "lines": lines}


def decide_lot(store: Store, receipt_id: int, *, sku_id: str, lot: str, decision: LotDecision | None,
               remark: str = "", damaged_units: int = 0, actor: str, now: dt.datetime) -> dict[str, Any]:
    """The receiver's decision on a lot, gated by its Brix QC (a failed lot needs accept-with-remark
    or reject; a passed one may still be rejected for damage, with a remark)."""
    head = _receipt_row(store, receipt_id)
    if head["closed_at"]:
        raise FloorError("receipt_closed", f"receipt {receipt_id} is closed")
    units = store.scalar("SELECT SUM(units) FROM receipt_scans WHERE receipt_id = ? AND sku_id = ? AND lot = ?",
                         (receipt_id, sku_id, lot))
    if not units:
        raise NotFound("lot_not_received", f"nothing of {sku_id} lot {lot} was scanned in receipt {receipt_id}")
    if not 0 <= damaged_units <= units:
        raise FloorError("bad_count", f"damaged units must be between 0 and {units}", count=damaged_units)
    result = qc.qc_result_for_lot(store, sku_id, lot)
    verdict = gate(has_spec=qc.sku_spec(store, sku_id).defined,
                   qc_passed=None if result is None else result.passed, requested=decision, remark=remark)
    if isinstance(verdict, Refused):
        return refusal(verdict)
    with store.write(actor, now) as w:
        w.conn.execute(
            "INSERT INTO receipt_lots (receipt_id, sku_id, lot, decision, remark, qc_id, damaged_units, decided_at,"
            " decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (receipt_id, sku_id, lot) DO UPDATE SET"
            " decision = excluded.decision, remark = excluded.remark, qc_id = excluded.qc_id,"
            " damaged_units = excluded.damaged_units, decided_at = excluded.decided_at,"
            " decided_by = excluded.decided_by",
            (receipt_id, sku_id, lot, verdict.value, remark.strip(), result.qc_id if result else None, damaged_units,
             w.now_text, actor))
    return {"ok": True, "decision": verdict.value, "receipt": receipt(store, receipt_id)}


def add_photo(store: Store, data_dir: Path, receipt_id: int, body: bytes, *, sku_id: str | None, lot: str | None,
              actor: str, now: dt.datetime) -> dict[str, Any]:
    _receipt_row(store, receipt_id)
    photo = keep_photo(data_dir, f"receiving/{receipt_id}", f"{sku_id or 'receipt'}-{lot or ''}", body)
    with store.write(actor, now) as w:
        cursor = w.conn.execute(
            "INSERT INTO receipt_photos (receipt_id, sku_id, lot, path, sha256, taken_at, taken_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (receipt_id, sku_id, lot, photo.relative_path, photo.sha256, w.now_text,
                                              actor))
    return {"photo_id": int(cursor.lastrowid or 0), "sha256": photo.sha256, "bytes": photo.size}


def _undecided(store: Store, receipt_id: int) -> list[dict[str, Any]]:
    """Lots scanned but not decided whose QC does not decide them: a Brix SKU without a passed check."""
    out = []
    for r in store.query(
            "SELECT DISTINCT c.sku_id, c.lot FROM receipt_scans c LEFT JOIN receipt_lots d"
            " ON d.receipt_id = c.receipt_id AND d.sku_id = c.sku_id AND d.lot = c.lot"
            " WHERE c.receipt_id = ? AND d.decision IS NULL", (receipt_id,)):
        verdict = gate(has_spec=_has_spec(store, r["sku_id"]), qc_passed=_qc_passed(store, r["sku_id"], r["lot"]),
                       requested=None, remark="")
        if isinstance(verdict, Refused):
            out.append({**r, "code": verdict.code})
    return out


def _has_spec(store: Store, sku_id: str) -> bool:
    return qc.sku_spec(store, sku_id).defined


def _qc_passed(store: Store, sku_id: str, lot: str) -> bool | None:
    result = qc.qc_result_for_lot(store, sku_id, lot)
    return None if result is None else result.passed


def close(store: Store, receipt_id: int, *, final: bool, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Close the receipt: accepted units into stock (lot and expiry kept for FEFO), rejected and damaged
    ones into the loss ledger, the discrepancies against the PO to HQ. `final` closes the PO too."""
    head = _receipt_row(store, receipt_id)
    if head["closed_at"]:
        raise FloorError("receipt_closed", f"receipt {receipt_id} is closed")
    pending = _undecided(store, receipt_id)
    if pending:
        raise FloorError("lots_undecided", "decide these lots first: " + ", ".join(
            f"{p['sku_id']} {p['lot']}" for p in pending), lots=[f"{p['sku_id']} {p['lot']}" for p in pending])
    lots = store.query(
        "SELECT c.sku_id, c.lot, MIN(c.expiry) AS expiry, SUM(c.units) AS units, d.decision, d.remark,"
        " COALESCE(d.damaged_units, 0) AS damaged FROM receipt_scans c LEFT JOIN receipt_lots d"
        " ON d.receipt_id = c.receipt_id AND d.sku_id = c.sku_id AND d.lot = c.lot WHERE c.receipt_id = ?"
        " GROUP BY c.sku_id, c.lot ORDER BY c.sku_id, c.lot", (receipt_id,))
    for lot in lots:
        lot["decision"] = lot["decision"] or LotDecision.ACCEPTED.value
    with store.write(actor, now) as w:
        for lot in lots:
            _book_lot(w, receipt_id, lot)
        w.conn.execute("UPDATE receipts SET closed_at = ?, closed_by = ? WHERE receipt_id = ?",
                       (w.now_text, actor, receipt_id))
        if final:
            w.conn.execute("UPDATE purchase_orders SET state = 'received', updated_at = ? WHERE po_id = ?",
                           (w.now_text, head["po_id"]))
        payload = ReceiptClosedPayload(
            receipt_id=receipt_id, po_id=head["po_id"], asn_id=head["asn_id"], final=final,
            lots=[ReceivedLot(sku_id=lot["sku_id"], lot=lot["lot"], expiry=dt.date.fromisoformat(lot["expiry"]),
                              units=lot["units"], decision=lot["decision"], remark=lot["remark"] or "",
                              damaged_units=lot["damaged"]) for lot in lots],
            discrepancies=discrepancies(w, head["po_id"]) if final else [])
        w.emit(payload, head["po_id"])
    return {**receipt(store, receipt_id), "discrepancies": [d.model_dump() for d in payload.discrepancies]}


def _book_lot(w: Write, receipt_id: int, lot: dict[str, Any]) -> None:
    source = f"receipt:{receipt_id}"
    good = 0 if lot["decision"] == LotDecision.REJECTED else lot["units"] - lot["damaged"]
    losses = [("qc_reject", lot["units"] - lot["damaged"] - good), ("damage", lot["damaged"])]
    for reason, units in losses:
        if units > 0:
            w.conn.execute("INSERT INTO loss_entries (sku_id, lot, units, reason, source, note, recorded_at,"
                           " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (lot["sku_id"], lot["lot"], units, reason, source, lot["remark"] or "", w.now_text,
                            w.actor))
    if good > 0:
        location = putaway_location(w, lot["sku_id"])
        w.conn.execute(
            "INSERT INTO stock (location_code, sku_id, lot, expiry, quantity) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (location_code, sku_id, lot) DO UPDATE SET quantity = quantity + excluded.quantity",
            (location, lot["sku_id"], lot["lot"], lot["expiry"], good))


def putaway_location(w: Write, sku_id: str) -> str:
    """Where received goods go: the SKU's fullest bay, else the first bay of its temperature zone."""
    found = w.conn.execute(
        "SELECT location_code FROM stock WHERE sku_id = ? ORDER BY quantity DESC, location_code LIMIT 1",
        (sku_id,)).fetchone() or w.conn.execute(
        "SELECT code FROM locations WHERE temp_class = (SELECT temp_class FROM skus WHERE sku_id = ?)"
        " ORDER BY code LIMIT 1", (sku_id,)).fetchone()
    if found is None:
        raise FloorError("no_location", f"no storage location for {sku_id}'s temperature class", sku_id=sku_id)
    return str(found[0])


def discrepancies(w: Write, po_id: str) -> list[ReceiptDiscrepancy]:
    """Per PO line: what the supplier should bring (its confirmation, else the PO) against what the
    dock accepted over all receipts, and why they differ."""
    out = []
    for r in w.conn.execute(
            "SELECT l.sku_id, COALESCE(l.confirmed_qty, l.quantity) AS expected,"
            " (SELECT COALESCE(SUM(c.units), 0) FROM receipt_scans c JOIN receipts r USING (receipt_id)"
            "  WHERE r.po_id = l.po_id AND c.sku_id = l.sku_id) AS scanned,"
            " (SELECT COALESCE(SUM(e.units), 0) FROM loss_entries e JOIN receipts r ON e.source = 'receipt:' ||"
            "  r.receipt_id WHERE r.po_id = l.po_id AND e.sku_id = l.sku_id AND e.reason = 'qc_reject') AS rejected,"
            " (SELECT COALESCE(SUM(e.units), 0) FROM loss_entries e JOIN receipts r ON e.source = 'receipt:' ||"
            "  r.receipt_id WHERE r.po_id = l.po_id AND e.sku_id = l.sku_id AND e.reason = 'damage') AS damaged"
            " FROM po_lines l WHERE l.po_id = ? ORDER BY l.sku_id", (po_id,)):
        accepted = r["scanned"] - r["rejected"] - r["damaged"]
        if accepted == r["expected"]:
            continue
        kind: Literal["short", "over", "rejected", "damaged"] = (
            "rejected" if r["rejected"] else "damaged" if r["damaged"] else
            "short" if r["scanned"] < r["expected"] else "over")
        out.append(ReceiptDiscrepancy(sku_id=r["sku_id"], expected_units=r["expected"], accepted_units=accepted,
                                      kind=kind))
    return out


def receipt(store: Store, receipt_id: int) -> dict[str, Any]:
    """The receipt as the dock page shows it: each PO line expected against counted, and the lots."""
    head = _receipt_row(store, receipt_id)
    lots = store.query(
        "SELECT c.sku_id, c.lot, MIN(c.expiry) AS expiry, SUM(c.units) AS units, COUNT(*) AS scans, d.decision,"
        " d.remark, d.damaged_units FROM receipt_scans c LEFT JOIN receipt_lots d ON d.receipt_id = c.receipt_id"
        " AND d.sku_id = c.sku_id AND d.lot = c.lot WHERE c.receipt_id = ? GROUP BY c.sku_id, c.lot", (receipt_id,))
    for lot in lots:
        lot["qc_passed"] = _qc_passed(store, lot["sku_id"], lot["lot"])
        lot["needs_qc"] = _has_spec(store, lot["sku_id"])
    return {"receipt_id": receipt_id, "po_id": head["po_id"], "asn_id": head["asn_id"],
            "closed": head["closed_at"] is not None,
            "lines": [{"sku_id": i.sku_id, "name_zh": i.name_zh, "name_en": i.name_en, "gtin": i.gtin,
                       "case_pack": i.case_pack, "ordered_units": i.ordered_units, "received_units": i.received_units}
                      for i in expected_items(store, receipt_id)],
            "lots": lots}
