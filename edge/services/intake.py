"""Order intake: validate a batch whole, then apply it in one transaction, or write nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from edge.domain.intake import (
    Decision,
    ExistingOrder,
    MasterData,
    check_orders,
    judge,
    order_content_hash,
)
from edge.domain.problems import InputRejected, Problem, problems_from_validation
from edge.store import Store, Write
from hq_sync import protocol as hq
from hq_sync.protocol import Order, OrderBatch

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
_CHUNK = 500


@dataclass
class IntakeResult:
    batch_id: str | None
    orders: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    stale: int = 0
    conflicts: int = 0
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_batch(raw: bytes | str) -> OrderBatch:
    """Parse JSON text into a batch, or refuse it with every structural problem and its path."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputRejected(
            [Problem(f"line {error.lineno} column {error.colno}", f"not valid JSON: {error.msg}")], "batch"
        ) from None
    try:
        return OrderBatch.model_validate(data)
    except ValidationError as error:
        raise InputRejected(problems_from_validation(error), "batch") from None


def load_master_data(store: Store) -> MasterData:
    return MasterData(
        store_ids=frozenset(r[0] for r in store.conn.execute("SELECT store_id FROM stores WHERE active")),
        sku_gtins={r[0]: r[1] for r in store.conn.execute("SELECT sku_id, gtin FROM skus")},
    )


def local_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def ingest_batch(
    store: Store,
    batch: OrderBatch,
    *,
    warehouse_id: str,
    source: str,
    actor: str,
    now: dt.datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> IntakeResult:
    """Apply a batch once: a re-sent batch returns its first result and changes nothing."""
    digest = hashlib.sha256(batch.model_dump_json().encode()).hexdigest()
    seen = store.query("SELECT * FROM order_batches WHERE batch_id = ?", (batch.batch_id,))
    if seen:
        return _replayed(seen[0], digest)
    problems = []
    if batch.warehouse_id != warehouse_id:
        problems.append(Problem("warehouse_id", f"batch is for {batch.warehouse_id}, this is {warehouse_id}"))
    problems += check_orders(batch.orders, load_master_data(store), local_today(now, zone))
    if problems:
        raise InputRejected(problems, "batch")
    with store.write(actor, now) as w:
        result = apply_orders_in(w, batch.orders, source=source)
        result.batch_id = batch.batch_id
        w.conn.execute(
            "INSERT INTO order_batches VALUES (?, ?, ?, ?, ?, ?, ?)",
            (batch.batch_id, digest, source, w.now_text, result.orders,
             result.inserted + result.replaced, result.conflicts),
        )
    return result


def _replayed(row: dict[str, Any], digest: str) -> IntakeResult:
    if row["content_sha256"] != digest:
        raise InputRejected(
            [Problem("batch_id", f"batch {row['batch_id']} was already received with different content")],
            "batch",
        )
    return IntakeResult(row["batch_id"], orders=row["orders"], unchanged=row["orders"], replayed=True)


def apply_orders(
    store: Store,
    orders: Sequence[Order],
    *,
    source: str,
    actor: str,
    now: dt.datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
    check_dates: bool = True,
) -> IntakeResult:
    """Validate and apply orders outside a batch (the HQ change feed uses this)."""
    today = local_today(now, zone) if check_dates else dt.date.min
    problems = check_orders(orders, load_master_data(store), today)
    if problems:
        raise InputRejected(problems, "orders")
    with store.write(actor, now) as w:
        return apply_orders_in(w, orders, source=source)


def apply_orders_in(w: Write, orders: Sequence[Order], *, source: str) -> IntakeResult:
    """Apply already-validated orders inside an open transaction (so a caller can add its own rows)."""
    existing = _existing_orders(w, [o.hq_order_id for o in orders])
    result = IntakeResult(batch_id=None, orders=len(orders))
    inserts, replaces, applied = [], [], []
    for order in orders:
        verdict = judge(order, existing.get(order.hq_order_id))
        if verdict.decision is Decision.INSERT:
            inserts.append(order)
        elif verdict.decision is Decision.REPLACE:
            replaces.append(order)
        elif verdict.decision is Decision.CONFLICT:
            result.conflicts += _record_conflict(w, order, verdict.reason)
            continue
        else:
            setattr(result, verdict.decision.value, getattr(result, verdict.decision.value) + 1)
            continue
        applied.append([order.hq_order_id, order.version, verdict.decision.value])
    if replaces:
        w.conn.executemany(
            "DELETE FROM order_lines WHERE hq_order_id = ?", [(o.hq_order_id,) for o in replaces]
        )
        w.conn.executemany(
            "UPDATE orders SET version = ?, store_id = ?, campaign_id = ?, delivery_date = ?, status = ?,"
            " content_sha256 = ?, updated_at = ? WHERE hq_order_id = ?",
            [(*_order_row(o, w.now_text)[1:7], w.now_text, o.hq_order_id) for o in replaces],
        )
    if inserts:
        w.conn.executemany(
            "INSERT INTO orders (hq_order_id, version, store_id, campaign_id, delivery_date, status,"
            " content_sha256, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_order_row(o, w.now_text) for o in inserts],
        )
    w.conn.executemany(
        "INSERT INTO order_lines (hq_order_id, line_no, sku_id, quantity, unit_price_fen) VALUES (?, ?, ?, ?, ?)",
        _line_rows([*inserts, *replaces]),
    )
    result.inserted, result.replaced = len(inserts), len(replaces)
    if applied:
        w.log("orders.applied", source, {"orders": applied})
    return result


def _order_row(order: Order, now_text: str) -> tuple[Any, ...]:
    status = "cancelled" if order.status == "cancelled" else "open"
    return (order.hq_order_id, order.version, order.store_id, order.campaign_id,
            order.delivery_date.isoformat(), status, order_content_hash(order), now_text, now_text)


def _line_rows(orders: Iterable[Order]) -> Iterable[tuple[Any, ...]]:
    for order in orders:
        for line in order.lines:
            yield (order.hq_order_id, line.line_no, line.sku_id, line.quantity, line.unit_price_fen)


def _existing_orders(w: Write, ids: list[str]) -> dict[str, ExistingOrder]:
    found: dict[str, ExistingOrder] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = w.conn.execute(
            f"SELECT o.hq_order_id, o.version, o.status, o.content_sha256,"
            f" (SELECT COALESCE(SUM(picked_qty), 0) FROM order_lines l WHERE l.hq_order_id = o.hq_order_id)"
            f" FROM orders o WHERE o.hq_order_id IN ({marks})",
            chunk,
        )
        for hq_id, version, status, content, picked in rows:
            found[hq_id] = ExistingOrder(version, status, content, picked)
    return found


def _record_conflict(w: Write, order: Order, reason: str) -> int:
    """Record a conflict once per incoming version; tell HQ the first time."""
    incoming = order.model_dump_json()
    cursor = w.conn.execute(
        "INSERT OR IGNORE INTO conflicts (kind, hq_order_id, incoming_version, detail, incoming_json, created_at)"
        " VALUES ('order_version', ?, ?, ?, ?, ?)",
        (order.hq_order_id, order.version, reason, incoming, w.now_text),
    )
    if cursor.rowcount == 0:
        return 0
    w.emit(hq.OrderConflictPayload(hq_order_id=order.hq_order_id, incoming_version=order.version, reason=reason),
           order.hq_order_id)
    return 1
