"""The uplink's spool, topics and envelope: order, budget, eviction, and refusing bad ids."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from edge.services import uplink_spool as spool
from edge.services.uplink_topics import TopicError, UplinkMessage, envelope, escape_level, unescape_level
from edge.store import Store

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)


def rollup(minute: int, kind: str = "rollup.1m", asset: str = "CR-01") -> UplinkMessage:
    return UplinkMessage(kind, "WH-SH-01", asset, "CR-01.t1", T0 + dt.timedelta(minutes=minute),
                         {"mean_c": 2.5, "min_c": 2.0, "max_c": 3.0, "count": 6})


def alarm(n: int) -> UplinkMessage:
    return UplinkMessage("alarm", "WH-SH-01", "CR-01", "_", T0, {"alarm_id": f"A{n}", "state": "open"})


def add(store: Store, messages: list[UplinkMessage], budget: int = 10**9) -> list[int]:
    with store.write("uplink-test", T0) as w:
        return spool.enqueue(w.conn, messages, budget_bytes=budget, created_at=w.now_text)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "edge.sqlite3")


def test_topics_follow_the_namespace_and_escape_wildcards() -> None:
    assert rollup(0).topic == "haolin/v1/WH-SH-01/CR-01/CR-01.t1/rollup/1m"
    odd = UplinkMessage("exposure", "WH/1", "_crates", "a+b#c%", T0, {})
    assert odd.topic == "haolin/v1/WH%2F1/_crates/a%2Bb%23c%25/exposure"
    for raw in ("WH/1", "a+b#c%", "100%2F"):
        assert unescape_level(escape_level(raw, "x")) == raw
    with pytest.raises(TopicError, match="asset is empty"):
        _ = UplinkMessage("alarm", "WH", "", "s", T0, {}).topic
    with pytest.raises(TopicError, match="unknown uplink kind"):
        UplinkMessage("gossip", "WH", "a", "s", T0, {})
    with pytest.raises(TopicError, match="aware"):
        UplinkMessage("alarm", "WH", "a", "s", dt.datetime(2026, 1, 1), {})


def test_envelope_is_json_with_identity_around_the_document() -> None:
    wire = json.loads(envelope("edge-1", "abcd", 42, rollup(3).encode()))
    assert (wire["edge"], wire["epoch"], wire["seq"], wire["v"]) == ("edge-1", "abcd", 42, 1)
    assert wire["msg"]["event_time"] == "2026-07-01T00:03:00.000Z"
    assert wire["msg"]["body"]["mean_c"] == 2.5


def test_spool_keeps_order_and_depth_and_forgets_only_what_was_acknowledged(store: Store) -> None:
    seqs = add(store, [rollup(m) for m in range(10)])
    assert seqs == sorted(seqs) and len(set(seqs)) == 10
    status = spool.status(store, 10**9)
    assert status.depth == 10 and status.bytes > 0 and status.oldest_seq == seqs[0]
    assert [p.seq for p in spool.pending(store, 0, 4)] == seqs[:4]
    assert [p.seq for p in spool.pending(store, seqs[3], 100)] == seqs[4:]
    spool.acknowledge(store, seqs[:3], "2026-07-01T00:10:00.000Z")
    status = spool.status(store, 10**9)
    assert (status.depth, status.acked, status.oldest_seq) == (7, 3, seqs[3])
    assert status.last_ack_at == "2026-07-01T00:10:00.000Z"
    spool.acknowledge(store, seqs[:3], "2026-07-01T00:11:00.000Z")  # a late duplicate PUBACK changes nothing
    assert spool.status(store, 10**9).depth == 7


def test_over_budget_evicts_minute_rollups_first_and_alarms_last(store: Store) -> None:
    one = len(rollup(0).encode()) + len(rollup(0).topic)
    budget = one * 20
    add(store, [alarm(i) for i in range(3)], budget)
    add(store, [rollup(m, "rollup.1h") for m in range(5)], budget)
    add(store, [rollup(m) for m in range(30)], budget)
    status = spool.status(store, budget)
    assert status.bytes <= budget
    kinds = [r["kind"] for r in store.query("SELECT kind FROM uplink_spool ORDER BY seq")]
    assert kinds.count("alarm") == 3 and kinds.count("rollup.1h") == 5
    assert status.evicted == 30 - kinds.count("rollup.1m") and status.evicted_bytes > 0
    # the newest minute rollups are the ones kept
    kept = [json.loads(r["payload"])["event_time"] for r in
            store.query("SELECT payload FROM uplink_spool WHERE kind = 'rollup.1m' ORDER BY seq")]
    assert kept[-1] == "2026-07-01T00:29:00.000Z"
    # no rollup left: the budget still holds, by the oldest alarms, counted
    add(store, [alarm(i) for i in range(3, 300)], budget)
    status = spool.status(store, budget)
    assert status.bytes <= budget and status.evicted > 30
    kinds = [r["kind"] for r in store.query("SELECT kind FROM uplink_spool ORDER BY seq")]
    assert set(kinds) == {"alarm"} and 0 < len(kinds) < 300
    newest = json.loads(store.query("SELECT payload FROM uplink_spool ORDER BY seq DESC LIMIT 1")[0]["payload"])
    assert newest == json.loads(alarm(299).encode())
