"""The edge's side of the sync agent's port (`hq_sync.port.EdgePort`) over the SQLite store.

Order changes go through order intake (`apply_orders_in`), so the feed, a batch file and a
reconciliation repair all follow the same rules; master data is upserted here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from edge.domain.intake import check_orders
from edge.services import purchasing, receiving
from edge.services.intake import apply_orders_in, load_master_data
from edge.store import Store, Write
from edge.store.db import parse_utc
from hq_sync.digest import row_hash
from hq_sync.port import DigestRow, PageApplied, Refusal, RepairOutcome
from hq_sync.protocol import (
    AsnChange,
    ConfirmationChange,
    EdgeEvent,
    FeedPage,
    FulfillmentFact,
    HqOrderState,
    LineFact,
    Order,
    OrderChange,
    SkuChange,
    SkuRecord,
    StoreChange,
    StoreRecord,
    SyncExceptionPayload,
    SyncExceptionResolvedPayload,
)

ACTOR = "hq-sync"
_ORDER_INDEX = re.compile(r"^orders\[(\d+)\]")
_CHUNK = 500


def hq_status(edge_status: str) -> str:
    """The status both sides can agree on: HQ knows confirmed and cancelled, not the floor's stages."""
    return "cancelled" if edge_status == "cancelled" else "confirmed"


class StorePort:
    """`EdgePort` for one edge store; every method is one transaction."""

    def __init__(self, store: Store, actor: str = ACTOR):
        self.store = store
        self.actor = actor

    # --- outbox ---------------------------------------------------------------------------------

    def unacked_events(self, limit: int) -> list[EdgeEvent]:
        while True:
            rows = self.store.conn.execute(
                "SELECT seq, idempotency_key, payload FROM outbox WHERE acked_at IS NULL AND held_at IS NULL"
                " ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            events, unbuildable = [], []
            for seq, key, body in rows:
                try:
                    events.append(EdgeEvent(seq=seq, idempotency_key=key, **json.loads(body)))
                except (ValueError, TypeError) as error:  # a row from before the contract, or damaged
                    unbuildable.append(Refusal(key, "invalid_at_edge", _first_line(error)))
            if not unbuildable:
                return events
            self.dead_letter(unbuildable, dt.datetime.now(dt.UTC))

    def dead_letter(self, refusals: Sequence[Refusal], now: dt.datetime) -> None:
        with self.store.write(self.actor, now) as w:
            for refusal in refusals:
                held = w.conn.execute(
                    "UPDATE outbox SET held_at = ?, last_error = ? WHERE idempotency_key = ? AND acked_at IS NULL"
                    " AND held_at IS NULL RETURNING seq, payload",
                    (w.now_text, f"{refusal.code}: {refusal.detail}"[:500], refusal.idempotency_key),
                ).fetchone()
                if held is None:
                    continue  # acknowledged or set aside already (a replay of this answer)
                message = _loose_json(held["payload"])
                w.conn.execute(
                    "INSERT INTO sync_dead_letters (outbox_seq, idempotency_key, kind, subject, code, detail,"
                    " refused_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (held["seq"], refusal.idempotency_key, str(message.get("kind", "?"))[:200],
                     str(message.get("subject", ""))[:200], refusal.code[:100], refusal.detail[:2000], w.now_text),
                )

    def mark_acked(self, idempotency_keys: Sequence[str], now: dt.datetime) -> None:
        with self.store.write(self.actor, now) as w:
            w.conn.executemany(
                "UPDATE outbox SET acked_at = ?, last_error = NULL WHERE idempotency_key = ? AND acked_at IS NULL",
                [(w.now_text, key) for key in idempotency_keys],
            )

    def record_push_failure(self, idempotency_keys: Sequence[str], error: str, now: dt.datetime) -> None:
        with self.store.write(self.actor, now) as w:
            w.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE idempotency_key = ?",
                [(error[:500], key) for key in idempotency_keys],
            )

    # --- change feed ------------------------------------------------------------------------------

    def cursor(self) -> int:
        return int(self.store.scalar("SELECT value FROM sync_state WHERE key = 'feed_cursor'") or 0)

    def apply_feed_page(self, page: FeedPage, now: dt.datetime) -> PageApplied:
        """Apply the changes after the stored cursor, in seq order, and move the cursor, all at once."""
        with self.store.write(self.actor, now) as w:
            current = int(w.conn.execute("SELECT value FROM sync_state WHERE key = 'feed_cursor'").fetchone()[0])
            changes = sorted({c.seq: c for c in page.changes if c.seq > current}.values(), key=lambda c: c.seq)
            masters = 0
            latest: dict[str, Order] = {}
            for change in changes:
                if isinstance(change, StoreChange):
                    _upsert_store(w, change.store)
                    masters += 1
                elif isinstance(change, SkuChange):
                    _upsert_sku(w, change.sku)
                    masters += 1
                elif isinstance(change, OrderChange):
                    known = latest.get(change.order.hq_order_id)
                    if known is None or change.order.version >= known.version:
                        latest[change.order.hq_order_id] = change.order
                else:
                    _supplier_change(w, change)
            valid, rejected = self._split_valid(w, list(latest.values()))
            result = apply_orders_in(w, valid, source=f"hq-feed@{page.next_cursor}")
            cursor = max(current, page.next_cursor)
            _set_state(w, {"feed_cursor": str(cursor)})
        return PageApplied(cursor, result.inserted + result.replaced, result.conflicts, masters, rejected)

    def _split_valid(self, w: Write, orders: list[Order]) -> tuple[list[Order], int]:
        """Orders intake accepts, and the rest recorded as exceptions (a bad order must not block the feed)."""
        problems = check_orders(orders, load_master_data(self.store), dt.date.min)
        bad: dict[int, list[str]] = {}
        for problem in problems:
            match = _ORDER_INDEX.match(problem.path)
            if match:
                bad.setdefault(int(match[1]), []).append(f"{problem.path}: {problem.message}")
        for index, messages in bad.items():
            order = orders[index]
            _record_exception(w, order.hq_order_id, order.delivery_date, "invalid_order",
                              "; ".join(messages), hq_version=order.version, edge_version=None)
        return [o for i, o in enumerate(orders) if i not in bad], len(bad)

    # --- reconciliation -------------------------------------------------------------------------

    def digest_rows(self, delivery_date: dt.date) -> list[DigestRow]:
        picks: dict[str, dict[int, int]] = {}
        for hq_id, line_no, qty in self.store.conn.execute(
            "SELECT l.hq_order_id, l.line_no, l.picked_qty FROM order_lines l JOIN orders o USING (hq_order_id)"
            " WHERE o.delivery_date = ? AND l.picked_qty > 0",
            (delivery_date.isoformat(),),
        ):
            picks.setdefault(hq_id, {})[line_no] = qty
        return [
            DigestRow(hq_id, row_hash(hq_id, version, hq_status(status), picks.get(hq_id, {})))
            for hq_id, version, status in self.store.conn.execute(
                "SELECT hq_order_id, version, status FROM orders WHERE delivery_date = ?",
                (delivery_date.isoformat(),),
            )
        ]

    def fulfillment_facts(self, hq_order_ids: Sequence[str]) -> list[FulfillmentFact]:
        facts = []
        for hq_id, (version, _status, lines) in self._local_orders(hq_order_ids).items():
            facts.append(FulfillmentFact(
                hq_order_id=hq_id, version=version,
                lines=[LineFact(line_no=no, picked_qty=qty) for no, qty in sorted(lines.items())],
            ))
        return facts

    def apply_repairs(
        self,
        delivery_date: dt.date,
        hq_states: Sequence[HqOrderState],
        missing_at_hq: Sequence[str],
        now: dt.datetime,
    ) -> RepairOutcome:
        """HQ wins order content and pre-pick cancellations (through intake); the rest is an exception."""
        outcome = RepairOutcome()
        with self.store.write(self.actor, now) as w:
            local = self._local_orders([s.order.hq_order_id for s in hq_states] + list(missing_at_hq))
            wanted = []
            for state in hq_states:
                order, mine = state.order, local.get(state.order.hq_order_id)
                if mine is not None and mine[0] > order.version:
                    _record_exception(w, order.hq_order_id, delivery_date, "edge_newer_than_hq",
                                      f"edge has version {mine[0]}, HQ only {order.version}",
                                      hq_version=order.version, edge_version=mine[0])
                    outcome.exceptions.append(order.hq_order_id)
                elif mine is None or order.version > mine[0] or hq_status(mine[1]) != order.status:
                    wanted.append(order)
            valid, _rejected = self._split_valid(w, wanted)
            apply_orders_in(w, valid, source="hq-reconcile")
            after = self._local_orders([o.hq_order_id for o in valid])
            for order in valid:
                version, status, lines = after[order.hq_order_id]
                if version == order.version and hq_status(status) == order.status:
                    outcome.applied.append(order.hq_order_id)
                    continue
                change = "cancelled" if order.status == "cancelled" else "changed"
                _record_exception(
                    w, order.hq_order_id, delivery_date, f"{change}_after_picking",
                    f"HQ {change} the order (version {version} -> {order.version}) after picking started"
                    f" (status {status}, {sum(lines.values())} units picked)",
                    hq_version=order.version, edge_version=version,
                )
                outcome.exceptions.append(order.hq_order_id)
            for hq_id in missing_at_hq:
                if hq_id in local:
                    _record_exception(w, hq_id, delivery_date, "unknown_at_hq",
                                      "the edge has this order but HQ does not",
                                      hq_version=None, edge_version=local[hq_id][0])
                    outcome.exceptions.append(hq_id)
        return outcome

    def _local_orders(self, hq_order_ids: Sequence[str]) -> dict[str, tuple[int, str, dict[int, int]]]:
        """id -> (version, status, {line_no: picked}) for the ids the edge has."""
        found: dict[str, tuple[int, str, dict[int, int]]] = {}
        ids = list(hq_order_ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for hq_id, version, status in self.store.conn.execute(
                f"SELECT hq_order_id, version, status FROM orders WHERE hq_order_id IN ({marks})", chunk
            ):
                found[hq_id] = (version, status, {})
            for hq_id, line_no, qty in self.store.conn.execute(
                f"SELECT hq_order_id, line_no, picked_qty FROM order_lines WHERE hq_order_id IN ({marks})", chunk
            ):
                found[hq_id][2][line_no] = qty
        return found

    def record_sync_state(self, values: dict[str, str], now: dt.datetime) -> None:
        with self.store.write(self.actor, now) as w:
            _set_state(w, values)


def _set_state(w: Write, values: dict[str, str]) -> None:
    w.conn.executemany(
        "INSERT INTO sync_state VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [(key, value, w.now_text) for key, value in values.items()],
    )


def _record_exception(
    w: Write, hq_order_id: str, delivery_date: dt.date, reason: str, detail: str,
    *, hq_version: int | None, edge_version: int | None,
) -> None:
    """Record once per (order, reason, HQ version) and tell HQ the first time."""
    cursor = w.conn.execute(
        "INSERT OR IGNORE INTO sync_exceptions (hq_order_id, delivery_date, reason, detail, hq_version,"
        " edge_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (hq_order_id, delivery_date.isoformat(), reason, detail, hq_version or 0, edge_version, w.now_text),
    )
    if cursor.rowcount:
        w.emit(SyncExceptionPayload(hq_order_id=hq_order_id, delivery_date=delivery_date, reason=reason,
                                    detail=detail), hq_order_id)


def _supplier_change(w: Write, change: ConfirmationChange | AsnChange) -> None:
    """A supplier's confirmation or shipping notice from HQ's feed, in the page's transaction; one the
    node cannot take (a stale PO version, an unknown SKU) is an exception, never a stuck feed."""
    if isinstance(change, ConfirmationChange):
        c = change.confirmation
        problem = purchasing.confirmation_problem(w.conn, c.po_id, c.version, c.lines)
        subject, version, reason = c.po_id, c.version, "invalid_confirmation"
        if problem is None:
            purchasing.apply_confirmation(w, c.po_id, c.version, c.lines)
    else:
        problem = receiving.asn_problem(w.conn, change.asn)
        subject, version, reason = change.asn.asn_id, 0, "invalid_asn"
        if problem is None:
            receiving.apply_asn(w, change.asn)
    if problem is not None:
        po_id = change.confirmation.po_id if isinstance(change, ConfirmationChange) else change.asn.po_id
        row = w.conn.execute("SELECT delivery_date FROM purchase_orders WHERE po_id = ?", (po_id,)).fetchone()
        _record_exception(w, subject, dt.date.fromisoformat(row[0]) if row else dt.date.min, reason, str(problem),
                          hq_version=version, edge_version=None)


def _upsert_store(w: Write, record: StoreRecord) -> None:
    w.db.table("stores").upsert(record.model_dump(), pk="store_id")


def _upsert_sku(w: Write, record: SkuRecord) -> None:
    row = record.model_dump(exclude={"supplier_name"})
    w.conn.execute(
        "INSERT INTO suppliers (supplier_id, name) VALUES (?, ?)"
        " ON CONFLICT (supplier_id) DO UPDATE SET name = excluded.name",
        (record.supplier_id, record.supplier_name),
    )
    w.db.table("skus").upsert(row, pk="sku_id")


# --- For the API and the CLI -----------------------------------------------------------------------


def sync_status(store: Store, now: dt.datetime) -> dict[str, Any]:
    """What is known and since when: lag each way, the oldest unsent event, each direction's last
    success and error, dead letters, HQ's clock skew. A lag that cannot be known is None, not 0."""
    state = {r["key"]: r["value"] for r in store.query("SELECT key, value FROM sync_state")}
    depth, oldest = store.conn.execute(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL AND held_at IS NULL"
    ).fetchone()
    cursor = int(state.get("feed_cursor", "0"))
    head = int(state["hq_head_seq"]) if state.get("hq_head_seq") else None
    errors = {d: state.get(f"last_{d}_error") or None for d in ("push", "pull", "reconcile")}
    skew = state.get("hq_clock_skew_s")
    return {
        "feed_cursor": cursor,
        "hq_head_seq": head,
        "hq_head_known_at": state.get("hq_head_at"),
        "lag_changes": None if head is None else max(0, head - cursor),
        "lag_events": depth,
        "queue_depth": depth,
        "oldest_unsent_at": oldest,
        "oldest_unsent_age_seconds": _age(oldest, now),
        "dead_letters": store.scalar("SELECT COUNT(*) FROM sync_dead_letters WHERE resolved_at IS NULL"),
        "last_push_ok_at": state.get("last_push_ok_at"),
        "seconds_since_push": _age(state.get("last_push_ok_at"), now),
        "last_pull_ok_at": state.get("last_pull_ok_at"),
        "seconds_since_pull": _age(state.get("last_pull_ok_at"), now),
        "last_push_error": errors["push"],
        "last_pull_error": errors["pull"],
        "last_reconcile_error": errors["reconcile"],
        "last_error": errors["push"] or errors["pull"] or errors["reconcile"],
        "hq_clock_skew_s": None if skew is None else float(skew),
        "open_exceptions": store.scalar("SELECT COUNT(*) FROM sync_exceptions WHERE resolved_at IS NULL"),
        "last_reconcile": json.loads(state["last_reconcile"]) if state.get("last_reconcile") else None,
    }


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())[:2000]


def _loose_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _age(text: str | None, now: dt.datetime) -> float | None:
    return None if not text else round((now - parse_utc(text)).total_seconds(), 3)


def list_exceptions(store: Store, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    """Reconciliation exceptions for a supervisor, newest first."""
    where = "" if include_resolved else "WHERE resolved_at IS NULL"
    return store.query(f"SELECT * FROM sync_exceptions {where} ORDER BY exception_id DESC")


def resolve_exception(store: Store, exception_id: int, *, actor: str, now: dt.datetime) -> bool:
    """Mark an exception settled by a supervisor (the decision itself is reported as an event)."""
    with store.write(actor, now) as w:
        changed = w.conn.execute(
            "UPDATE sync_exceptions SET resolved_at = ?, resolved_by = ?"
            " WHERE exception_id = ? AND resolved_at IS NULL",
            (w.now_text, actor, exception_id),
        ).rowcount
        if changed:
            w.emit(SyncExceptionResolvedPayload(exception_id=exception_id, by=actor), str(exception_id))
    return bool(changed)
