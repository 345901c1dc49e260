"""The edge's port: a page and its cursor commit together; HQ never overwrites picked work."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from edge.services.hq_port import StorePort, list_exceptions, resolve_exception, sync_status
from edge.store import Store
from hq_sync.protocol import (
    FeedPage,
    HqOrderState,
    LineFact,
    Order,
    OrderChange,
    SkuChange,
    SkuRecord,
    StoreChange,
    StoreRecord,
    TourDonePayload,
)
from tests.hq_sync.hq_sync_harness import DELIVERY, skus, stores

NOW = dt.datetime(2030, 7, 1, 12, tzinfo=dt.UTC)


def order(hq_id: str, version: int, qty: int = 3, status: str = "confirmed", sku: str = "K000") -> Order:
    lines = [{"line_no": 1, "sku_id": sku, "quantity": qty}, {"line_no": 2, "sku_id": "K001", "quantity": 1}]
    return Order.model_validate({"hq_order_id": hq_id, "version": version, "store_id": "S000",
                                 "delivery_date": DELIVERY, "status": status, "lines": lines})


def masters() -> list[StoreChange | SkuChange]:
    return [StoreChange(seq=1, store=StoreRecord(**stores(1)[0])),
            *[SkuChange(seq=2 + i, sku=SkuRecord(**s)) for i, s in enumerate(skus(2))]]


@pytest.fixture
def port(tmp_path: Path) -> StorePort:
    port = StorePort(Store(tmp_path / "edge.sqlite3"))
    port.apply_feed_page(FeedPage(after=0, next_cursor=3, head_seq=3, changes=masters()), NOW)
    return port


def page(after: int, changes: list[OrderChange]) -> FeedPage:
    top = max([after, *[c.seq for c in changes]])
    return FeedPage(after=after, next_cursor=top, head_seq=top, changes=changes)


def pick(port: StorePort, hq_id: str, qty: int) -> None:
    with port.store.write("P01", NOW) as w:
        w.conn.execute("UPDATE order_lines SET picked_qty = ? WHERE hq_order_id = ? AND line_no = 1", (qty, hq_id))
        w.conn.execute("UPDATE orders SET status = 'picking' WHERE hq_order_id = ?", (hq_id,))


def test_master_data_is_upserted_with_its_supplier(port: StorePort) -> None:
    assert port.cursor() == 3
    assert port.store.scalar("SELECT name FROM suppliers WHERE supplier_id = 'SUP1'") == "Yunnan Berries"
    assert port.store.scalar("SELECT COUNT(*) FROM skus") == 2


def test_duplicated_and_shuffled_page_applies_the_newest_version_once(port: StorePort) -> None:
    changes = [OrderChange(seq=4, order=order("O1", 1)), OrderChange(seq=5, order=order("O1", 2, qty=7)),
               OrderChange(seq=6, order=order("O2", 1))]
    noisy = changes + changes[:2]
    random.Random(3).shuffle(noisy)
    applied = port.apply_feed_page(page(3, noisy), NOW)
    assert (applied.cursor, applied.orders_applied) == (6, 2)
    assert port.store.scalar("SELECT quantity FROM order_lines WHERE hq_order_id = 'O1' AND line_no = 1") == 7
    again = port.apply_feed_page(page(3, noisy), NOW)  # a re-delivered page changes nothing
    assert (again.cursor, again.orders_applied) == (6, 0)


def test_a_failing_page_leaves_the_cursor_where_it_was(port: StorePort, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut mid-page")

    monkeypatch.setattr("edge.services.hq_port.apply_orders_in", boom)
    with pytest.raises(RuntimeError):
        port.apply_feed_page(page(3, [OrderChange(seq=4, order=order("O1", 1))]), NOW)
    assert port.cursor() == 3


def test_newer_version_of_a_picked_order_becomes_a_conflict(port: StorePort) -> None:
    port.apply_feed_page(page(3, [OrderChange(seq=4, order=order("O1", 1))]), NOW)
    pick(port, "O1", 2)
    applied = port.apply_feed_page(page(4, [OrderChange(seq=5, order=order("O1", 2, qty=9))]), NOW)
    assert (applied.cursor, applied.conflicts) == (5, 1)
    assert port.store.scalar("SELECT version FROM orders WHERE hq_order_id = 'O1'") == 1
    assert port.unacked_events(10)[-1].kind == "order.conflict"


def test_an_invalid_order_is_an_exception_and_does_not_block_the_feed(port: StorePort) -> None:
    bad = order("O9", 1, sku="K999")
    applied = port.apply_feed_page(page(3, [OrderChange(seq=4, order=bad), OrderChange(seq=5, order=order("O1", 1))]),
                                   NOW)
    assert (applied.cursor, applied.orders_applied, applied.rejected) == (5, 1, 1)
    [found] = list_exceptions(port.store)
    assert found["reason"] == "invalid_order" and "unknown SKU 'K999'" in found["detail"]


def test_repairs_follow_the_rules(port: StorePort) -> None:
    port.apply_feed_page(page(3, [OrderChange(seq=4, order=order("O1", 1)),
                                  OrderChange(seq=5, order=order("O2", 1)),
                                  OrderChange(seq=6, order=order("O3", 1))]), NOW)
    pick(port, "O2", 3)
    states = [
        HqOrderState(order=order("O1", 2, status="cancelled"), picked=[]),  # cancelled before picking: HQ wins
        HqOrderState(order=order("O2", 2, status="cancelled"), picked=[]),  # after picking: an exception
        HqOrderState(order=order("O4", 1), picked=[]),  # missed by the edge: HQ wins
        HqOrderState(order=order("O3", 1), picked=[LineFact(line_no=1, picked_qty=1)]),  # picks: edge wins
    ]
    outcome = port.apply_repairs(DELIVERY, states, ["O3", "O5"], NOW)
    assert sorted(outcome.applied) == ["O1", "O4"]
    assert outcome.exceptions == ["O2", "O3"]
    reasons = {e["hq_order_id"]: e["reason"] for e in list_exceptions(port.store)}
    assert reasons == {"O2": "cancelled_after_picking", "O3": "unknown_at_hq"}
    assert port.store.scalar("SELECT status FROM orders WHERE hq_order_id = 'O1'") == "cancelled"
    assert port.store.scalar("SELECT status FROM orders WHERE hq_order_id = 'O2'") == "picking"
    assert [e.kind for e in port.unacked_events(20)].count("sync.exception") == 2
    # reconciling again finds the same exception and does not report it twice
    port.apply_repairs(DELIVERY, states[1:2], [], NOW)
    assert [e.kind for e in port.unacked_events(20)].count("sync.exception") == 2
    [o2] = port.fulfillment_facts(["O2"])
    assert o2.lines[0].picked_qty == 3


def test_status_reports_queue_and_lag(port: StorePort) -> None:
    port.apply_feed_page(page(3, [OrderChange(seq=4, order=order("O1", 1))]), NOW)
    pick(port, "O1", 1)
    with port.store.write("P01", NOW) as w:
        w.emit(TourDonePayload(), "T1")
    port.record_sync_state({"hq_head_seq": "10", "last_pull_ok_at": NOW.isoformat()}, NOW)
    status = sync_status(port.store, NOW + dt.timedelta(seconds=90))
    assert (status["feed_cursor"], status["lag_changes"], status["queue_depth"]) == (4, 6, 1)
    assert status["oldest_unsent_age_seconds"] == 90.0 and status["seconds_since_pull"] == 90.0
    port.mark_acked([e.idempotency_key for e in port.unacked_events(10)], NOW)
    assert sync_status(port.store, NOW)["queue_depth"] == 0


def test_a_supervisor_resolves_an_exception(port: StorePort) -> None:
    port.apply_repairs(DELIVERY, [], [], NOW)
    port.apply_feed_page(page(3, [OrderChange(seq=4, order=order("O1", 1))]), NOW)
    port.apply_repairs(DELIVERY, [], ["O1"], NOW)
    [found] = list_exceptions(port.store)
    assert resolve_exception(port.store, found["exception_id"], actor="SUP01", now=NOW)
    assert not resolve_exception(port.store, found["exception_id"], actor="SUP01", now=NOW)
    assert list_exceptions(port.store) == [] and len(list_exceptions(port.store, include_resolved=True)) == 1
