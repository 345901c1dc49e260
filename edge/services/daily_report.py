"""The daily warehouse report for a delivery date (received, shipped, shorts, fill rate, on-time stops,
cold-chain excursions, losses and the loss rate), the loss ledger it rests on, lots near expiry, and
losses recorded on the floor — as JSON, a one-page PDF, and events to HQ.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib import rc_context
from matplotlib.figure import Figure

from edge.domain.daily_report import LOSS_REASONS, DayFigures, lot_flows, near_expiry
from edge.services.coldchain_exposure import local_day
from edge.services.coldchain_report import cjk_family
from edge.services.floor.errors import FloorError
from edge.store import Store
from edge.store.db import parse_utc, utc_text
from hq_sync.protocol import DailyReportPayload, NearExpiryLot, NearExpiryPayload

#: Days ahead a lot's expiry is flagged (临期预警): fresh produce is sold out or moved within two days.
NEAR_EXPIRY_DAYS = 2


def figures(store: Store, day: dt.date, zone: ZoneInfo) -> DayFigures:
    """The day's numbers from what the floor recorded; the lots are those received for, shipped on
    or written off on this delivery date."""
    date = day.isoformat()
    start, end = map(utc_text, local_day(day, zone))
    received = store.conn.execute(
        "SELECT c.sku_id, c.lot, SUM(c.units) FROM receipt_scans c JOIN receipts r USING (receipt_id)"
        " JOIN purchase_orders p USING (po_id) WHERE p.delivery_date = ? GROUP BY c.sku_id, c.lot", (date,)).fetchall()
    shipped = store.conn.execute(
        "SELECT l.sku_id, l.lot, SUM(l.picked_qty) FROM tour_lines l JOIN tours t USING (tour_id)"
        " WHERE t.delivery_date = ? AND l.picked_qty > 0 GROUP BY l.sku_id, l.lot", (date,)).fetchall()
    discarded = store.conn.execute(
        "SELECT e.sku_id, e.lot, e.reason, SUM(e.units) FROM loss_entries e LEFT JOIN receipts r"
        " ON e.source = 'receipt:' || r.receipt_id LEFT JOIN purchase_orders p USING (po_id)"
        " WHERE p.delivery_date = ? OR (r.receipt_id IS NULL AND e.recorded_at >= ? AND e.recorded_at < ?)"
        " GROUP BY e.sku_id, e.lot, e.reason", (date, start, end)).fetchall()
    stops = store.query(
        "SELECT s.confirmed_at, st.window_end FROM route_stops s JOIN routes r USING (route_id)"
        " JOIN stores st ON st.store_id = s.store_id WHERE r.delivery_date = ? AND s.status = 'delivered'", (date,))
    on_time = sum(1 for s in stops if s["confirmed_at"] and parse_utc(s["confirmed_at"]).astimezone(zone).time()
                  <= dt.time.fromisoformat(s["window_end"]))
    return DayFigures(
        delivery_date=day,
        ordered_units=store.scalar("SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o"
                                   " USING (hq_order_id) WHERE o.delivery_date = ? AND o.status != 'cancelled'",
                                   (date,)),
        shipped_units=store.scalar("SELECT COALESCE(SUM(l.quantity), 0) FROM crate_lines l JOIN crates c"
                                   " USING (sscc) WHERE c.delivery_date = ? AND c.status IN ('loaded', 'delivered')",
                                   (date,)),
        received_units=sum(r[2] for r in received),
        short_lines=store.scalar("SELECT COUNT(*) FROM order_lines l JOIN orders o USING (hq_order_id)"
                                 " WHERE o.delivery_date = ? AND o.status IN ('loaded', 'delivered')"
                                 " AND l.picked_qty < l.quantity", (date,)),
        stops=len(stops), stops_on_time=on_time,
        excursions=store.scalar("SELECT COUNT(*) FROM cold_alarms WHERE kind IN ('temp_high', 'temp_low')"
                                " AND raised_at >= ? AND raised_at < ?", (start, end)),
        crates_out_of_band=store.scalar("SELECT COUNT(*) FROM floor_exceptions WHERE delivery_date = ?"
                                        " AND kind = 'warm'", (date,)),
        lots=lot_flows(((r[0], r[1], r[2]) for r in received), ((r[0], r[1], r[2]) for r in shipped),
                       ((r[0], r[1], r[2], r[3]) for r in discarded)),
    )


def lots_near_expiry(store: Store, today: dt.date, days_ahead: int = NEAR_EXPIRY_DAYS) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT sku_id, lot, location_code, expiry, quantity FROM stock WHERE quantity > 0")
    return near_expiry(((r[0], r[1], r[2], dt.date.fromisoformat(r[3]), r[4]) for r in rows), today, days_ahead)


def send(store: Store, day: dt.date, zone: ZoneInfo, *, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Tell HQ the day's report and the lots near expiry as of the day (one event each)."""
    report = figures(store, day, zone).as_json()
    near = lots_near_expiry(store, day)
    with store.write(actor, now) as w:
        w.emit(DailyReportPayload.model_validate({k: v for k, v in report.items() if k != "lots"}),
               day.isoformat())
        w.emit(NearExpiryPayload(as_of=day, days_ahead=NEAR_EXPIRY_DAYS,
                                 lots=[NearExpiryLot(**lot) for lot in near]), day.isoformat())
    return {"report": report, "near_expiry": near}


def record_loss(store: Store, *, sku_id: str, lot: str, units: int, reason: str, note: str, actor: str,
                now: dt.datetime) -> dict[str, Any]:
    """Write units off (spoiled, damaged, expired, a count difference) from the lot's shelf stock."""
    if reason not in LOSS_REASONS:
        raise FloorError("bad_reason", f"reason must be one of {', '.join(LOSS_REASONS)}", reason=reason)
    on_shelf = store.scalar("SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE sku_id = ? AND lot = ?", (sku_id, lot))
    if not 0 < units <= on_shelf:
        raise FloorError("bad_count", f"{sku_id} lot {lot} has {on_shelf} units on the shelf; cannot write off {units}",
                         count=units)
    with store.write(actor, now) as w:
        left = units
        for location, quantity in w.conn.execute(
                "SELECT location_code, quantity FROM stock WHERE sku_id = ? AND lot = ? AND quantity > 0"
                " ORDER BY quantity", (sku_id, lot)).fetchall():
            take = min(left, quantity)
            w.conn.execute("UPDATE stock SET quantity = quantity - ? WHERE location_code = ? AND sku_id = ?"
                           " AND lot = ?", (take, location, sku_id, lot))
            left -= take
            if not left:
                break
        cursor = w.conn.execute(
            "INSERT INTO loss_entries (sku_id, lot, units, reason, source, note, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, 'floor', ?, ?, ?)", (sku_id, lot, units, reason, note, w.now_text, actor))
    return {"entry_id": int(cursor.lastrowid or 0), "sku_id": sku_id, "lot": lot, "units": units, "reason": reason}


_ZH = {"ordered_units": "订购件数", "shipped_units": "发出件数", "received_units": "收货件数",
       "short_lines": "缺货行数", "fill_rate": "满足率", "stops": "送达门店", "on_time_rate": "准时率",
       "excursions": "冷链超温报警",
       "crates_out_of_band": "超温周转箱", "lost_units": "损耗件数", "loss_rate": "损耗率"}
_REASONS_ZH = {"damage": "破损", "spoilage": "腐坏", "qc_reject": "质检拒收", "count_difference": "盘点差异",
               "expired": "过期"}


def render_pdf(report: dict[str, Any], warehouse_id: str) -> bytes:
    """One A4 page: the day's figures, the losses by reason, and the lots with the most loss."""
    family = cjk_family()
    zh = family is not None
    figure = Figure(figsize=(8.3, 11.7), dpi=100, layout="constrained")
    top, middle, bottom = figure.subplots(3, 1, height_ratios=(4, 2, 5))
    with rc_context({"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"]}):
        figure.suptitle(f"{'仓库日报' if zh else 'Warehouse daily report'} {warehouse_id} {report['delivery_date']}")
        percent = {"fill_rate", "on_time_rate", "loss_rate"}
        rows = [[_ZH[k] if zh else k, "—" if report[k] is None else f"{report[k]:.2%}" if k in percent
                 else str(report[k])] for k in _ZH]
        for ax, cells, labels in (
                (top, rows, None),
                (middle, [[_REASONS_ZH[r] if zh else r, str(n)] for r, n in report["losses_by_reason"].items()], None),
                (bottom, [[lot["sku_id"], lot["lot"], str(lot["received"]), str(lot["shipped"]),
                           str(sum(lot["discarded"].values())), str(lot["balance"])]
                          for lot in sorted(report["lots"], key=lambda x: -sum(x["discarded"].values()))[:25]]
                 or [["—"] * 6],
                 ["SKU", "批次" if zh else "lot", "收货" if zh else "in", "发出" if zh else "out",
                  "损耗" if zh else "lost", "结余" if zh else "balance"])):
            ax.axis("off")
            ax.table(cellText=cells, colLabels=labels, loc="upper center", cellLoc="left")
        out = io.BytesIO()
        figure.savefig(out, format="pdf")
    return out.getvalue()
