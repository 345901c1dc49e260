"""The sync agent: push the outbox, pull the change feed, reconcile digests; survive anything.

Every step is safe to cut at any instruction: a page commits with its cursor, an event is marked
acknowledged only after HQ answered (HQ's idempotency table absorbs the replay), and the
reconciliation only reads until it repairs, each repair being one transaction on each side.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from hq_sync import errors
from hq_sync.client import HqClient
from hq_sync.digest import DigestTree, choose_depth, differing
from hq_sync.port import EdgePort
from hq_sync.protocol import (
    DigestLeavesRequest,
    DigestNodesRequest,
    EventBatch,
    FulfillmentRepair,
    OrdersLookup,
)

log = logging.getLogger("hq_sync.agent")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class AgentConfig:
    page_size: int = 200
    push_batch: int = 100
    poll_interval: float = 5.0
    reconcile_interval: float = 600.0
    backoff_base: float = 0.5
    backoff_cap: float = 60.0
    lookup_chunk: int = 2000


class Backoff:
    """Capped exponential backoff with jitter (half fixed, half random), reset on success."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None):
        self.base, self.cap, self.failures = base, cap, 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class ReconcileReport:
    delivery_date: dt.date
    depth: int = 0
    round_trips: int = 0
    edge_orders: int = 0
    hq_orders: int = 0
    differing_buckets: int = 0
    differing_orders: int = 0
    repaired_from_hq: int = 0
    facts_sent: int = 0
    exceptions: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["delivery_date"] = self.delivery_date.isoformat()
        return data


class SyncAgent:
    """Works through an `EdgePort` and an `HqClient`; knows nothing else of either side."""

    def __init__(
        self,
        port: EdgePort,
        client: HqClient,
        config: AgentConfig | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.port = port
        self.client = client
        self.config = config or AgentConfig()
        self.clock = clock
        self.stop = threading.Event()

    def push(self) -> int:
        """Send the outbox in order, batch by batch, until it is empty; returns events acknowledged."""
        sent = 0
        while not self.stop.is_set():
            events = self.port.unacked_events(self.config.push_batch)
            if not events:
                break
            keys = [e.idempotency_key for e in events]
            log.info("push %d events from seq %d", len(events), events[0].seq)
            try:
                acks = self.client.push(EventBatch(events=events))
            except errors.SyncError as error:
                self.port.record_push_failure(keys, str(error), self.clock())
                raise
            acked = {a.idempotency_key for a in acks.acks}
            if acked != set(keys):
                raise errors.ProtocolViolation(f"HQ acknowledged {len(acked)} of {len(keys)} events sent")
            self.port.mark_acked(keys, self.clock())
            sent += len(keys)
        if sent:
            self.port.record_sync_state({"last_push_at": self.clock().isoformat()}, self.clock())
        return sent

    def pull(self) -> int:
        """Apply the change feed from the stored cursor until caught up; returns changes seen."""
        seen = 0
        while not self.stop.is_set():
            after = self.port.cursor()
            page = self.client.feed(after, self.config.page_size)
            if page.after != after or page.next_cursor < after:
                raise errors.ProtocolViolation(
                    f"feed answered after={page.after} next={page.next_cursor} to a request after={after}"
                )
            log.info("pulled %d changes after %d (head %d)", len(page.changes), after, page.head_seq)
            applied = self.port.apply_feed_page(page, self.clock())
            seen += len(page.changes)
            now = self.clock()
            self.port.record_sync_state(
                {"hq_head_seq": str(page.head_seq), "last_pull_at": now.isoformat()}, now
            )
            if applied.cursor >= page.head_seq or not page.changes:
                break
        return seen

    def reconcile(self, delivery_date: dt.date) -> ReconcileReport:
        """Compare digest trees with HQ, descend only into differing buckets, repair them."""
        started = time.perf_counter()
        sent0, received0 = self.client.bytes_sent, self.client.bytes_received
        report = ReconcileReport(delivery_date)
        rows = self.port.digest_rows(delivery_date)
        report.edge_orders = len(rows)
        depth = report.depth = choose_depth(len(rows))
        local = DigestTree.build(((r.hq_order_id, r.row_hash) for r in rows), depth)

        answer = self.client.digest_nodes(DigestNodesRequest(delivery_date=delivery_date, depth=depth, prefixes=[""]))
        report.round_trips, report.hq_orders = 1, answer.orders
        if answer.nodes.get("", "") != local.root:
            frontier = differing(local.children([""]), _without_root(answer.nodes))
            while frontier and len(frontier[0]) < depth:
                answer = self.client.digest_nodes(
                    DigestNodesRequest(delivery_date=delivery_date, depth=depth, prefixes=frontier)
                )
                report.round_trips += 1
                frontier = differing(local.children(frontier), _without_root(answer.nodes))
            report.differing_buckets = len(frontier)
            order_ids = self._differing_orders(local, delivery_date, depth, frontier, report)
            report.differing_orders = len(order_ids)
            self._repair(delivery_date, order_ids, report)
        report.bytes_sent = self.client.bytes_sent - sent0
        report.bytes_received = self.client.bytes_received - received0
        report.seconds = round(time.perf_counter() - started, 4)
        now = self.clock()
        self.port.record_sync_state(
            {"last_reconcile": json.dumps(report.as_dict()), "last_reconcile_at": now.isoformat()}, now
        )
        log.info("reconciled %s: %s", delivery_date, report.as_dict())
        return report

    def _differing_orders(
        self, local: DigestTree, delivery_date: dt.date, depth: int, buckets: list[str], report: ReconcileReport
    ) -> list[str]:
        if not buckets:
            return []
        theirs = self.client.digest_leaves(
            DigestLeavesRequest(delivery_date=delivery_date, depth=depth, buckets=buckets)
        ).leaves
        report.round_trips += 1
        found: set[str] = set()
        for bucket in buckets:
            hq_rows = {leaf.hq_order_id: leaf.row_hash for leaf in theirs.get(bucket, [])}
            found.update(differing(local.leaf_rows(bucket), hq_rows))
        return sorted(found)

    def _repair(self, delivery_date: dt.date, order_ids: list[str], report: ReconcileReport) -> None:
        """HQ wins order content, the edge wins fulfillment facts, the port records the rest."""
        for chunk in _chunks(order_ids, self.config.lookup_chunk):
            found = self.client.lookup_orders(OrdersLookup(hq_order_ids=chunk))
            report.round_trips += 1
            outcome = self.port.apply_repairs(delivery_date, found.orders, found.missing, self.clock())
            report.repaired_from_hq += len(outcome.applied)
            report.exceptions.extend(outcome.exceptions)
            known_at_hq = [s.order.hq_order_id for s in found.orders]
            facts = self.port.fulfillment_facts(known_at_hq)
            if facts:
                self.client.repair_fulfillment(FulfillmentRepair(facts=facts))
                report.round_trips += 1
                report.facts_sent += len(facts)

    def sync_once(self) -> dict[str, int]:
        """Local writes go up before HQ's state comes down (as PowerSync does)."""
        pushed = self.push()
        pulled = self.pull()
        return {"pushed": pushed, "pulled": pulled}

    def run(
        self,
        *,
        reconcile_dates: Callable[[], Iterable[dt.date]] = lambda: (),
        on_cycle: Callable[[], None] = lambda: None,
        until_idle: bool = False,
    ) -> None:
        """Loop until `stop` is set (SIGTERM) or, with `until_idle`, until a cycle finds nothing to do."""
        backoff = Backoff(self.config.backoff_base, self.config.backoff_cap)
        next_reconcile = 0.0
        while not self.stop.is_set():
            try:
                done = self.sync_once()
                if time.monotonic() >= next_reconcile:
                    for day in reconcile_dates():
                        self.reconcile(day)
                    done["pushed"] += self.push()  # exceptions found are reported at once
                    next_reconcile = time.monotonic() + self.config.reconcile_interval
                backoff.reset()
                self.port.record_sync_state({"last_error": ""}, self.clock())
                wait = self.config.poll_interval
                if until_idle and not any(done.values()):
                    break
            except Exception as error:  # a daemon keeps going; systemd restarts it if it dies
                retryable = isinstance(error, errors.Retryable)
                log.warning("sync cycle failed (%s): %s", "retryable" if retryable else "not retryable", error)
                self.port.record_sync_state({"last_error": f"{type(error).__name__}: {error}"}, self.clock())
                wait = backoff.next()
            on_cycle()
            self.stop.wait(wait)


def _without_root(nodes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in nodes.items() if k}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
