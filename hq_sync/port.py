"""What the sync agent needs from the node it runs on, and nothing more.

The edge implements this over its SQLite store; the agent never touches the store itself.
Each method is one transaction on the node's side, so a crash between two calls leaves a state
the next call can pick up from: a page and its cursor commit together, and an event is marked
acknowledged only after HQ answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hq_sync.protocol import EdgeEvent, FeedPage, FulfillmentFact, HqOrderState


@dataclass(frozen=True)
class PageApplied:
    """What one feed page did on the node."""

    cursor: int
    orders_applied: int = 0
    conflicts: int = 0
    masters: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class DigestRow:
    hq_order_id: str
    row_hash: str


@dataclass(frozen=True)
class Refusal:
    """An event HQ will never take as it is (or that cannot even be built): it waits for a person."""

    idempotency_key: str
    code: str
    detail: str


@dataclass
class RepairOutcome:
    """How a reconciliation repair ended on the node, per order id."""

    applied: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class EdgePort(Protocol):
    def unacked_events(self, limit: int) -> list[EdgeEvent]:
        """The oldest outbox events HQ has not acknowledged and none refused, in outbox order.

        A row that does not make a valid `EdgeEvent` is set aside as a dead letter here, not returned.
        """
        ...

    def dead_letter(self, refusals: Sequence[Refusal], now: dt.datetime) -> None:
        """Set refused events aside with their reasons; later events keep flowing."""
        ...

    def mark_acked(self, idempotency_keys: Sequence[str], now: dt.datetime) -> None:
        """Record HQ's acknowledgement; a key acknowledged twice stays acknowledged."""
        ...

    def record_push_failure(self, idempotency_keys: Sequence[str], error: str, now: dt.datetime) -> None:
        """Count an attempt that failed and keep the reason for the status page."""
        ...

    def cursor(self) -> int:
        """The last HQ feed seq applied."""
        ...

    def apply_feed_page(self, page: FeedPage, now: dt.datetime) -> PageApplied:
        """Apply a page and advance the cursor to `page.next_cursor` in one transaction.

        Never overwrites an order with fulfillment facts on it: that becomes a conflict.
        """
        ...

    def digest_rows(self, delivery_date: dt.date) -> list[DigestRow]:
        """The node's digest row per order for a delivery date (see `hq_sync.digest.row_hash`)."""
        ...

    def fulfillment_facts(self, hq_order_ids: Sequence[str]) -> list[FulfillmentFact]:
        """The node's fulfillment facts for these orders (the edge wins these)."""
        ...

    def apply_repairs(
        self,
        delivery_date: dt.date,
        hq_states: Sequence[HqOrderState],
        missing_at_hq: Sequence[str],
        now: dt.datetime,
    ) -> RepairOutcome:
        """Apply HQ's order content where HQ wins; record an exception (and tell HQ) otherwise."""
        ...

    def record_sync_state(self, values: dict[str, str], now: dt.datetime) -> None:
        """Keep what the agent last saw (HQ head seq, last success, last error) for the status."""
        ...
