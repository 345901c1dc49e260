"""Pick scans: each one judged against the tour's current stop and applied in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from edge.domain.auth import Principal
from edge.domain.floor.codes import classify
from edge.domain.floor.picking import StopState, judge_drop, judge_tour_scan
from edge.services.floor import scanlog
from edge.services.floor.errors import NotFound
from edge.services.floor.scanlog import ScanIn
from edge.store import Store
from edge.store.db import Write
from hq_sync import protocol as hq


class PickScan(ScanIn):
    tour_version: int = Field(ge=1)
    action: Literal["scan", "short", "drop"] = "scan"
    stop_no: int | None = Field(default=None, ge=1, description="for a short pick")
    reason: str | None = Field(default=None, max_length=200, description="why the stop is short")
    count: int | None = Field(default=None, ge=1, le=9999,
                              description="how many of the scanned item or case this scan stands for (keyed)")


def _stops(w: Write, tour_id: str) -> list[tuple[StopState, str]]:
    rows = w.conn.execute(
        "SELECT l.stop_no, l.location_code, l.sku_id, s.gtin, l.lot, l.quantity, l.picked_qty, l.at_location,"
        " l.status, v.sku_id IS NOT NULL, s.name_zh, s.name_en FROM tour_lines l JOIN skus s USING (sku_id)"
        " LEFT JOIN variable_weight_skus v USING (sku_id) WHERE l.tour_id = ? ORDER BY l.stop_no", (tour_id,))
    return [(StopState(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[9]), r[10], r[11]), r[8])
            for r in rows]


def _sku_names(w: Write, prefix: str, gtin: str) -> dict[str, str]:
    """The names of the SKU with this GTIN (a wrong item is named, not shown as digits), else the GTIN."""
    row = w.conn.execute("SELECT name_zh, name_en FROM skus WHERE gtin = ?", (gtin,)).fetchone()
    return {f"{prefix}_name_zh": row[0] if row else gtin, f"{prefix}_name_en": row[1] if row else gtin}


def _start(w: Write, tour: Any) -> None:
    """First accepted scan: the tour is being picked and its SKUs' open orders are locked for HQ."""
    w.conn.execute("UPDATE tours SET status = 'picking', started_at = ? WHERE tour_id = ?",
                   (w.now_text, tour["tour_id"]))
    ids = [r[0] for r in w.conn.execute(
        "SELECT hq_order_id FROM orders WHERE delivery_date = ? AND status = 'open' AND hq_order_id IN"
        " (SELECT hq_order_id FROM order_lines WHERE sku_id IN (SELECT sku_id FROM tour_lines WHERE tour_id = ?))"
        " ORDER BY hq_order_id", (tour["delivery_date"], tour["tour_id"]))]
    w.conn.executemany("UPDATE orders SET status = 'picking', updated_at = ? WHERE hq_order_id = ?",
                       [(w.now_text, i) for i in ids])
    if ids:
        w.emit(hq.OrdersPickingPayload(hq_order_ids=ids), tour["tour_id"])


def _finish_if_done(w: Write, tour_id: str) -> bool:
    left = w.conn.execute("SELECT COUNT(*) FROM tour_lines WHERE tour_id = ? AND status = 'open'",
                          (tour_id,)).fetchone()[0]
    if left == 0:
        w.conn.execute("UPDATE tours SET status = 'done', finished_at = ? WHERE tour_id = ? AND status != 'dropped'",
                       (w.now_text, tour_id))
        w.emit(hq.TourDonePayload(), tour_id)
    return left == 0


def _apply(w: Write, tour: Any, scan: PickScan) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(code, params, extra fields) for one scan of a tour the caller holds at the current version."""
    tour_id = tour["tour_id"]
    stops = _stops(w, tour_id)
    current = next((s for s, status in stops if status == "open"), None)
    scanned_at = scanlog.scanned_time(scan, w.now)
    if scan.action == "drop":
        verdict = judge_drop(stops, classify(scan.code))
        if not verdict.ok:
            return verdict.code, verdict.params, {}
        station = verdict.params["station"]
        w.conn.execute("UPDATE tours SET status = 'dropped', dropped_at = ?, drop_station = ? WHERE tour_id = ?",
                       (w.now_text, station, tour_id))
        w.emit(hq.TourDroppedPayload(station=station), tour_id, occurred_at=scanned_at)
        return "ok", {}, {"tour_done": True, "dropped": True}
    if tour["status"] in ("done", "dropped") or current is None:
        return "tour_finished", {}, {}
    if tour["status"] == "assigned":
        _start(w, tour)
    if scan.action == "short":
        if scan.stop_no != current.stop_no or not scan.reason:
            why = "give_reason" if not scan.reason else "not_current_stop"
            return "bad_stop", {"reason_code": why, "current": current.stop_no}, {}
        w.conn.execute("UPDATE tour_lines SET status = 'short', short_reason = ? WHERE tour_id = ? AND stop_no = ?",
                       (scan.reason, tour_id, current.stop_no))
        detail = {"stop_no": current.stop_no, "sku_id": current.sku_id, "location_code": current.location_code,
                  "lot": current.lot, "quantity": current.quantity, "picked_qty": current.picked_qty,
                  "reason": scan.reason}
        w.conn.execute(
            "INSERT INTO floor_exceptions (delivery_date, kind, subject, detail, actor, created_at)"
            " VALUES (?, 'short_pick', ?, ?, ?, ?)",
            (tour["delivery_date"], f"{tour_id}/{current.stop_no}",
             f"{current.sku_id} {current.picked_qty}/{current.quantity} at {current.location_code}: {scan.reason}",
             w.actor, w.now_text))
        w.emit(hq.ShortPickPayload.model_validate(detail), tour_id, occurred_at=scanned_at)
        done = _finish_if_done(w, tour_id)
        return "ok", {}, {"stop_no": current.stop_no, "stop_done": True, "tour_done": done}
    _, decision = judge_tour_scan(stops, classify(scan.code), scan.count)
    if not decision.ok:
        if decision.code == "wrong_item":
            decision.params.update(_sku_names(w, "got", decision.params["got"]))
        return decision.code, decision.params, {"stop_no": current.stop_no}
    picked = current.picked_qty + decision.added
    stop_done = picked >= current.quantity
    w.conn.execute(
        "UPDATE tour_lines SET at_location = 1, picked_qty = ?, status = ? WHERE tour_id = ? AND stop_no = ?",
        (picked, "done" if stop_done else "open", tour_id, current.stop_no))
    w.emit(hq.PickPayload(stop_no=current.stop_no, location_code=current.location_code, sku_id=current.sku_id,
                          lot=current.lot, arrived=decision.arrived, added=decision.added, picked_qty=picked,
                          quantity=current.quantity, scan_id=scan.scan_id), tour_id, occurred_at=scanned_at)
    done = _finish_if_done(w, tour_id) if stop_done else False
    return "ok", decision.params, {"stop_no": current.stop_no, "picked_qty": picked, "quantity": current.quantity,
                                   "added": decision.added, "capped": decision.capped, "stop_done": stop_done,
                                   "tour_done": done}


def pick_scan(store: Store, tour_id: str, scan: PickScan, *, picker: Principal, now: dt.datetime) -> dict[str, Any]:
    """Judge and apply one pick scan or action; a re-sent scan id returns its first answer."""
    device = scan.device_id or picker.device_id
    with store.write(picker.actor, now, device) as w:
        previous = scanlog.replay(w, scan)
        if previous is not None:
            return previous
        tour = w.conn.execute("SELECT * FROM tours WHERE tour_id = ?", (tour_id,)).fetchone()
        if tour is None:
            raise NotFound("no_tour", f"no tour {tour_id}")
        extra: dict[str, Any] = {}
        if tour["picker_id"] != picker.subject_id:
            code, params = "not_your_tour", {}
        elif scan.tour_version != tour["version"]:
            code, params = "stale_tour", {"current": tour["version"]}
        else:
            code, params, extra = _apply(w, tour, scan)
        current = w.conn.execute("SELECT MIN(stop_no) FROM tour_lines WHERE tour_id = ? AND status = 'open'",
                                 (tour_id,)).fetchone()[0]
        answer = scanlog.outcome(scan, code, params, tour_id=tour_id, tour_version=tour["version"],
                                 current_stop=current, **extra)
        return scanlog.record(w, "pick", tour_id, scan, answer)


def tour_exists(store: Store, tour_id: str) -> None:
    if not store.scalar("SELECT 1 FROM tours WHERE tour_id = ?", (tour_id,)):
        raise NotFound("no_tour", f"no tour {tour_id}")
