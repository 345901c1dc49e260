"""What HQ hears about picked quantities: `order.line_picked` per order line, as it happens.

Each put at the sort wall raises some lines' `picked_qty`; each such line goes to HQ with its new
cumulative quantity in the put's transaction. A line is final when its store's truck departs:
nothing more can be put for it then, so every line still below its ordered quantity goes to HQ
once more with the reason it is short.
"""

from __future__ import annotations

from edge.domain.floor.shorts import ShortPick, short_reason
from edge.store.db import Write
from hq_sync.protocol import LinePickedPayload


def emit_line_picked(w: Write, hq_order_id: str, line_no: int, sku_id: str, picked_qty: int, ordered_qty: int,
                     reason: str | None = None) -> None:
    payload = LinePickedPayload(hq_order_id=hq_order_id, line_no=line_no, sku_id=sku_id, picked_qty=picked_qty,
                                ordered_qty=ordered_qty, short_reason=reason)
    w.emit(payload, hq_order_id)


def _reason(w: Write, day: str, sku_id: str, cache: dict[str, str]) -> str:
    if sku_id not in cache:
        ordered = w.conn.execute(
            "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o USING (hq_order_id)"
            " WHERE o.delivery_date = ? AND o.status != 'cancelled' AND l.sku_id = ?", (day, sku_id)).fetchone()[0]
        planned = w.conn.execute(
            "SELECT COALESCE(SUM(l.quantity), 0) FROM tour_lines l JOIN tours t USING (tour_id)"
            " WHERE t.delivery_date = ? AND l.sku_id = ?", (day, sku_id)).fetchone()[0]
        shorts = [ShortPick(r[0], r[1] or "") for r in w.conn.execute(
            "SELECT l.location_code, l.short_reason FROM tour_lines l JOIN tours t USING (tour_id)"
            " WHERE t.delivery_date = ? AND l.sku_id = ? AND l.status = 'short' ORDER BY t.tour_no, l.stop_no",
            (day, sku_id))]
        cache[sku_id] = short_reason(ordered, planned, shorts)
    return cache[sku_id]


def finalise_short_lines(w: Write, day: str, route_id: str) -> int:
    """At departure: each unfilled line of the route's stores goes to HQ with why it is short."""
    rows = w.conn.execute(
        "SELECT l.hq_order_id, l.line_no, l.sku_id, l.picked_qty, l.quantity FROM order_lines l"
        " JOIN orders o USING (hq_order_id) WHERE o.delivery_date = ? AND o.status != 'cancelled'"
        " AND l.picked_qty < l.quantity AND o.store_id IN (SELECT store_id FROM route_stops WHERE route_id = ?)"
        " ORDER BY l.hq_order_id, l.line_no", (day, route_id)).fetchall()
    reasons: dict[str, str] = {}
    for hq_order_id, line_no, sku_id, picked, ordered in rows:
        emit_line_picked(w, hq_order_id, line_no, sku_id, picked, ordered, _reason(w, day, sku_id, reasons))
    return len(rows)
