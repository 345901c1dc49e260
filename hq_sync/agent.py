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
from hq_sync.port import EdgePort, Refusal
from hq_sync.protocol import (
    DigestLeavesRequest,
    DigestNodesRequest,
    EdgeEvent,
    EventBatch,
    FulfillmentRepair,
    OrdersLookup,
)

log = logging.getLogger("hq_sync.agent")

#: Statuses with which an HQ may refuse a whole batch for one event in it: resent one by one.
WHOLE_BATCH_REFUSALS = (409, 413, 422)


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
        """Send the outbox in order, batch by batch, until it is empty; returns events HQ answered.

        HQ answers each event: applied and duplicate ones are acknowledged, refused ones become dead
        letters, and everything after them keeps flowing.
        """
        sent, started = 0, time.perf_counter()
        while not self.stop.is_set():
            events = self.port.unacked_events(self.config.push_batch)
            if not events:
                break
            log.info("push %d events from seq %d", len(events), events[0].seq)
            sent += self._push_batch(events)
        self._record({"last_push_ok_at": self.clock().isoformat(), "last_push_error": "",
                      "last_push_seconds": f"{time.perf_counter() - started:.4f}"})
        return sent

    def _push_batch(self, events: list[EdgeEvent]) -> int:
        keys = [e.idempotency_key for e in events]
        try:
            acks = self.client.push(EventBatch(events=events))
        except errors.Refused as refusal:
            if isinstance(refusal, errors.AuthRefused) or refusal.status not in WHOLE_BATCH_REFUSALS:
                self.port.record_push_failure(keys, str(refusal), self.clock())
                raise
            if len(events) > 1:  # an HQ that refuses batches whole: find the culprit one by one
                return sum(self._push_batch([e]) for e in events if not self.stop.is_set())
            self._dead_letter([Refusal(keys[0], refusal.code, refusal.detail)])
            return 1
        except errors.SyncError as error:
            self.port.record_push_failure(keys, str(error), self.clock())
            raise
        answered = {a.idempotency_key: a for a in acks.acks}
        if set(answered) != set(keys):
            raise errors.ProtocolViolation(f"HQ answered {len(answered)} of {len(keys)} events sent")
        self._dead_letter([Refusal(a.idempotency_key, a.code or "refused", a.detail or "")
                           for a in acks.acks if a.status == "refused"])
        self.port.mark_acked([k for k in keys if answered[k].status != "refused"], self.clock())
        return len(keys)

    def _dead_letter(self, refusals: list[Refusal]) -> None:
        for refusal in refusals:
            log.warning("HQ refused event %s (%s): %s; set aside", refusal.idempotency_key, refusal.code,
                        refusal.detail)
        if refusals:
            self.port.dead_letter(refusals, self.clock())

    def pull(self) -> int:
        """Apply the change feed from the stored cursor until caught up; returns changes seen."""
        seen, started = 0, time.perf_counter()
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
            done = applied.cursor >= page.head_seq or not page.changes
            now = self.clock()
            state = {"hq_head_seq": str(page.head_seq), "hq_head_at": now.isoformat()}
            if done:
                state |= {"last_pull_ok_at": now.isoformat(), "last_pull_error": "",
                          "last_pull_seconds": f"{time.perf_counter() - started:.4f}"}
            self._record(state)
            if done:
                break
        return seen

    def _record(self, values: dict[str, str]) -> None:
        """Keep sync state, with the clock skew the client measured on its last answer."""
        if self.client.skew is not None:
            values = {**values, "hq_clock_skew_s": f"{self.client.skew:.3f}"}
        self.port.record_sync_state(values, self.clock())

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
            {"last_reconcile": json.dumps(report.as_dict()), "last_reconcile_at": now.isoformat(),
             "last_reconcile_error": ""}, now
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

    def run(
        self,
        *,
        reconcile_dates: Callable[[], Iterable[dt.date]] = lambda: (),
        on_cycle: Callable[[], None] = lambda: None,
        until_idle: bool = False,
    ) -> None:
        """Loop until `stop` is set (SIGTERM) or, with `until_idle`, until a round finds nothing to do.

        Push, pull and reconciliation each keep their own schedule and backoff: one that fails (a
        stalled push, a refused pull) waits alone and never stops the others.
        """
        steps: dict[str, Callable[[], int]] = {
            "push": self.push,
            "pull": self.pull,
            "reconcile": lambda: self._reconcile_days(reconcile_dates()),
        }
        intervals = {"push": self.config.poll_interval, "pull": self.config.poll_interval,
                     "reconcile": self.config.reconcile_interval}
        backoffs = {name: Backoff(self.config.backoff_base, self.config.backoff_cap) for name in steps}
        due = dict.fromkeys(steps, 0.0)
        while not self.stop.is_set():
            worked, succeeded = 0, set()
            for name, step in steps.items():
                if self.stop.is_set() or time.monotonic() < due[name]:
                    continue
                try:
                    worked += step()
                    succeeded.add(name)
                    backoffs[name].reset()
                    due[name] = time.monotonic() + intervals[name]
                except Exception as error:  # a daemon keeps going; systemd restarts it if it dies
                    retryable = isinstance(error, errors.Retryable)
                    log.warning("%s failed (%s): %s", name, "retryable" if retryable else "not retryable", error)
                    due[name] = time.monotonic() + backoffs[name].next()
                    try:
                        self._record({f"last_{name}_error": f"{type(error).__name__}: {error}"})
                    except Exception:  # the node's store refuses writes too (disk low): logged, keep going
                        log.exception("could not record the %s error", name)
            on_cycle()
            if until_idle and {"push", "pull"} <= succeeded and not worked:
                break  # both directions ran this round, caught up and with nothing to send
            self.stop.wait(max(0.0, min(due.values()) - time.monotonic()))

    def _reconcile_days(self, days: Iterable[dt.date]) -> int:
        """Reconcile each day; the exceptions found go up at once. Returns orders repaired or reported."""
        done = 0
        for day in days:
            report = self.reconcile(day)
            done += report.repaired_from_hq + len(report.exceptions)
        return done + (self.push() if done else 0)


def _without_root(nodes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in nodes.items() if k}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
