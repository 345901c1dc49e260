"""The reference HQ's own SQLite: orders with versions, the change feed, events, idempotency.

One connection behind a lock: HQ's writes are small and serial, and a single writer keeps the
feed's seq order identical to commit order (a reader never sees seq 7 before seq 6 commits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hq_sync.digest import DigestTree, row_hash
from hq_sync.protocol import (
    EVENT_PAYLOADS,
    EdgeEvent,
    EventAck,
    FeedChange,
    FeedPage,
    FulfillmentFact,
    HqOrderState,
    LineFact,
    LinePickedPayload,
    Order,
    OrderLine,
    OrdersFound,
    ShippingNotice,
    SkuRecord,
    StoreRecord,
    SupplierConfirmation,
)

#: Feed row kind -> the field of its change that carries the body.
_FEED_FIELD = {"order": "order", "store": "store", "sku": "sku", "po_confirmation": "confirmation", "asn": "asn"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, entity_id TEXT NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stores (store_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skus (sku_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    hq_order_id TEXT PRIMARY KEY, version INTEGER NOT NULL, delivery_date TEXT NOT NULL,
    status TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_date ON orders (delivery_date);
CREATE TABLE IF NOT EXISTS picked (
    hq_order_id TEXT NOT NULL, line_no INTEGER NOT NULL, picked_qty INTEGER NOT NULL,
    edge_seq INTEGER NOT NULL, PRIMARY KEY (hq_order_id, line_no));
CREATE TABLE IF NOT EXISTS idempotency (
    edge_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, content_sha256 TEXT NOT NULL,
    result TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 1, first_at TEXT NOT NULL,
    PRIMARY KEY (edge_id, idempotency_key));
CREATE TABLE IF NOT EXISTS events (
    hq_event_id INTEGER PRIMARY KEY AUTOINCREMENT, edge_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL, edge_seq INTEGER NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, occurred_at TEXT NOT NULL, received_at TEXT NOT NULL,
    payload TEXT NOT NULL, UNIQUE (edge_id, idempotency_key));
CREATE TABLE IF NOT EXISTS nonces (
    edge_id TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (edge_id, nonce));
"""


class OrderDraft(BaseModel):
    """What HQ's own systems send to create or change an order; HQ assigns the version."""

    hq_order_id: str = Field(min_length=1, max_length=64)
    store_id: str = Field(min_length=1, max_length=64)
    campaign_id: str | None = None
    delivery_date: dt.date
    lines: list[OrderLine] = Field(min_length=1, max_length=200)


class UnknownOrder(LookupError):
    pass


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HqDb:
    def __init__(self, path: Path | str):
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA busy_timeout = 10000")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._tree_cache: dict[tuple[str, int], tuple[int, DigestTree]] = {}

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute(
                    "INSERT INTO meta VALUES ('generation', 1)"
                    " ON CONFLICT (key) DO UPDATE SET value = value + 1"
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _generation(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def _append_feed(self, conn: sqlite3.Connection, kind: str, entity_id: str, body: str) -> None:
        conn.execute(
            "INSERT INTO feed (kind, entity_id, body, created_at) VALUES (?, ?, ?, ?)",
            (kind, entity_id, body, _now_text()),
        )

    # --- HQ's own systems: master data and orders ---------------------------------------------

    def put_stores(self, stores: Sequence[StoreRecord]) -> None:
        with self._write() as conn:
            for store in stores:
                body = store.model_dump_json()
                conn.execute("INSERT OR REPLACE INTO stores VALUES (?, ?)", (store.store_id, body))
                self._append_feed(conn, "store", store.store_id, body)

    def put_skus(self, skus: Sequence[SkuRecord]) -> None:
        with self._write() as conn:
            for sku in skus:
                body = sku.model_dump_json()
                conn.execute("INSERT OR REPLACE INTO skus VALUES (?, ?)", (sku.sku_id, body))
                self._append_feed(conn, "sku", sku.sku_id, body)

    def put_orders(self, drafts: Sequence[OrderDraft]) -> list[Order]:
        """Create orders or change them; each change is a new version in the feed."""
        with self._write() as conn:
            return [self._save(conn, draft, "confirmed") for draft in drafts]

    def cancel_order(self, hq_order_id: str) -> Order:
        with self._write() as conn:
            current = self._order(conn, hq_order_id)
            draft = OrderDraft.model_validate(current.model_dump(exclude={"version", "status"}))
            return self._save(conn, draft, "cancelled")

    def _save(self, conn: sqlite3.Connection, draft: OrderDraft, status: str) -> Order:
        row = conn.execute("SELECT version FROM orders WHERE hq_order_id = ?", (draft.hq_order_id,)).fetchone()
        version = (row[0] + 1) if row else 1
        order = Order.model_validate({**draft.model_dump(), "version": version, "status": status})
        body = order.model_dump_json()
        conn.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?)",
            (order.hq_order_id, version, order.delivery_date.isoformat(), status, body, _now_text()),
        )
        self._append_feed(conn, "order", order.hq_order_id, body)
        return order

    def _order(self, conn: sqlite3.Connection, hq_order_id: str) -> Order:
        row = conn.execute("SELECT body FROM orders WHERE hq_order_id = ?", (hq_order_id,)).fetchone()
        if row is None:
            raise UnknownOrder(f"HQ has no order {hq_order_id!r}")
        return Order.model_validate_json(row[0])

    # --- The suppliers' side, passed on to the warehouse: confirmations and shipping notices -----

    def put_confirmation(self, confirmation: SupplierConfirmation) -> None:
        with self._write() as conn:
            self._append_feed(conn, "po_confirmation", confirmation.po_id, confirmation.model_dump_json())

    def put_shipping_notice(self, notice: ShippingNotice) -> None:
        with self._write() as conn:
            self._append_feed(conn, "asn", notice.asn_id, notice.model_dump_json())

    # --- The edge's side: feed, events, digests, repairs --------------------------------------

    def feed_page(self, after: int, limit: int) -> FeedPage:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, kind, body FROM feed WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
            head = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM feed").fetchone()[0]
        changes = [TypeAdapter(FeedChange).validate_python({"seq": seq, "kind": kind, _FEED_FIELD[kind]:
                                                            json.loads(body)}) for seq, kind, body in rows]
        next_cursor = rows[-1][0] if rows else after
        return FeedPage(after=after, next_cursor=next_cursor, head_seq=max(head, after), changes=changes)

    def apply_events(self, edge_id: str, events: Sequence[EdgeEvent]) -> list[EventAck]:
        """Answer each event of a batch on its own: applied at most once per key (a replay answers with
        the first result), or refused with a reason, which stops nothing else."""
        with self._write() as conn:
            acks = []
            for event in events:
                problem = payload_problem(event)
                if problem is not None:
                    acks.append(EventAck(idempotency_key=event.idempotency_key, status="refused",
                                         code=problem[0], detail=problem[1]))
                    continue
                content = hashlib.sha256(event.model_dump_json().encode()).hexdigest()
                seen = conn.execute(
                    "SELECT content_sha256, result FROM idempotency WHERE edge_id = ? AND idempotency_key = ?",
                    (edge_id, event.idempotency_key),
                ).fetchone()
                if seen is not None:
                    if seen[0] != content:
                        acks.append(EventAck(
                            idempotency_key=event.idempotency_key, status="refused", code="idempotency_key_reused",
                            detail=f"idempotency key {event.idempotency_key} was already used for other content"))
                        continue
                    conn.execute(
                        "UPDATE idempotency SET hits = hits + 1 WHERE edge_id = ? AND idempotency_key = ?",
                        (edge_id, event.idempotency_key),
                    )
                    first = EventAck.model_validate_json(seen[1])
                    acks.append(first.model_copy(update={"status": "duplicate"}))
                    continue
                hq_event_id = self._record_event(conn, edge_id, event)
                ack = EventAck(idempotency_key=event.idempotency_key, status="applied", hq_event_id=hq_event_id)
                conn.execute(
                    "INSERT INTO idempotency VALUES (?, ?, ?, ?, 1, ?)",
                    (edge_id, event.idempotency_key, content, ack.model_dump_json(), _now_text()),
                )
                acks.append(ack)
            return acks

    def _record_event(self, conn: sqlite3.Connection, edge_id: str, event: EdgeEvent) -> int:
        cursor = conn.execute(
            "INSERT INTO events (edge_id, idempotency_key, edge_seq, kind, subject, occurred_at, received_at,"
            " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (edge_id, event.idempotency_key, event.seq, event.kind, event.subject,
             event.occurred_at.isoformat(), _now_text(), json.dumps(event.payload, ensure_ascii=False)),
        )
        if event.kind == "order.line_picked":
            pick = LinePickedPayload.model_validate(event.payload)
            conn.execute(
                "INSERT INTO picked VALUES (?, ?, ?, ?) ON CONFLICT (hq_order_id, line_no) DO UPDATE SET"
                " picked_qty = excluded.picked_qty, edge_seq = excluded.edge_seq"
                " WHERE excluded.edge_seq > picked.edge_seq",
                (pick.hq_order_id, pick.line_no, pick.picked_qty, event.seq),
            )
        return int(cursor.lastrowid or 0)

    def digest_tree(self, delivery_date: dt.date, depth: int) -> DigestTree:
        """The date's tree, rebuilt only when something was written since the last build."""
        with self._lock:
            generation = self._generation()
            cached = self._tree_cache.get((delivery_date.isoformat(), depth))
            if cached and cached[0] == generation:
                return cached[1]
            orders = self._conn.execute(
                "SELECT hq_order_id, version, status FROM orders WHERE delivery_date = ?",
                (delivery_date.isoformat(),),
            ).fetchall()
            picks: dict[str, dict[int, int]] = {}
            for hq_id, line_no, qty in self._conn.execute(
                "SELECT p.hq_order_id, p.line_no, p.picked_qty FROM picked p JOIN orders o USING (hq_order_id)"
                " WHERE o.delivery_date = ?",
                (delivery_date.isoformat(),),
            ):
                picks.setdefault(hq_id, {})[line_no] = qty
            tree = DigestTree.build(
                ((hq_id, row_hash(hq_id, version, status, picks.get(hq_id, {}))) for hq_id, version, status in orders),
                depth,
            )
            self._tree_cache[(delivery_date.isoformat(), depth)] = (generation, tree)
            return tree

    def lookup(self, hq_order_ids: Sequence[str]) -> OrdersFound:
        with self._lock:
            found, missing = [], []
            for hq_id in hq_order_ids:
                row = self._conn.execute("SELECT body FROM orders WHERE hq_order_id = ?", (hq_id,)).fetchone()
                if row is None:
                    missing.append(hq_id)
                    continue
                picked = [
                    LineFact(line_no=no, picked_qty=qty)
                    for no, qty in self._conn.execute(
                        "SELECT line_no, picked_qty FROM picked WHERE hq_order_id = ? ORDER BY line_no", (hq_id,)
                    )
                ]
                found.append(HqOrderState(order=Order.model_validate_json(row[0]), picked=picked))
            return OrdersFound(orders=found, missing=missing)

    def repair_fulfillment(self, facts: Sequence[FulfillmentFact]) -> tuple[int, list[str]]:
        """The edge wins fulfillment facts: replace HQ's picked quantities with the edge's."""
        applied, unknown = 0, []
        with self._write() as conn:
            for fact in facts:
                if conn.execute("SELECT 1 FROM orders WHERE hq_order_id = ?", (fact.hq_order_id,)).fetchone() is None:
                    unknown.append(fact.hq_order_id)
                    continue
                conn.execute("DELETE FROM picked WHERE hq_order_id = ?", (fact.hq_order_id,))
                # Events already received are older than these facts: only a newer event may change them.
                conn.executemany(
                    "INSERT INTO picked SELECT ?, ?, ?, COALESCE(MAX(edge_seq), 0) FROM events",
                    [(fact.hq_order_id, line.line_no, line.picked_qty) for line in fact.lines if line.picked_qty],
                )
                applied += 1
        return applied, unknown

    def use_nonce(self, edge_id: str, nonce: str, timestamp: int, now: float, keep_seconds: int) -> bool:
        """Remember a nonce; False if it was seen already (a replayed request)."""
        with self._write() as conn:
            conn.execute("DELETE FROM nonces WHERE ts < ?", (int(now) - keep_seconds,))
            cursor = conn.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (edge_id, nonce, timestamp))
            return cursor.rowcount == 1

    # --- For tests, the demo and the supervisor's view ----------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            one = self._conn.execute
            return {
                "orders": one("SELECT COUNT(*) FROM orders").fetchone()[0],
                "feed_head": one("SELECT COALESCE(MAX(seq), 0) FROM feed").fetchone()[0],
                "events": one("SELECT COUNT(*) FROM events").fetchone()[0],
                "event_keys": one("SELECT COUNT(DISTINCT idempotency_key) FROM events").fetchone()[0],
                "deliveries": one("SELECT COALESCE(SUM(hits), 0) FROM idempotency").fetchone()[0],
                "exceptions": one("SELECT COUNT(*) FROM events WHERE kind = 'sync.exception'").fetchone()[0],
            }

    def order_versions(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT hq_order_id, version, status FROM orders ORDER BY hq_order_id")
            return [{"hq_order_id": i, "version": v, "status": s} for i, v, s in rows]

    def event_keys(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT idempotency_key FROM events ORDER BY hq_event_id")]

    def exceptions(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT edge_id, kind, subject, payload, received_at FROM events WHERE kind IN"
                " ('sync.exception', 'order.conflict') ORDER BY hq_event_id"
            ).fetchall()
        return [{"edge_id": e, "kind": k, "hq_order_id": s, "payload": json.loads(p), "received_at": r}
                for e, k, s, p, r in rows]


def payload_problem(event: EdgeEvent) -> tuple[str, str] | None:
    """(code, detail) when HQ will never take this event: a kind outside the contract, or a payload
    that does not match its kind's model (naming the field)."""
    model = EVENT_PAYLOADS.get(event.kind)
    if model is None:
        return "unknown_kind", f"event kind {event.kind!r} is not in the protocol"
    try:
        model.model_validate(event.payload)
    except ValidationError as error:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])
        return "invalid_payload", f"{event.kind}: {where}"
    return None
