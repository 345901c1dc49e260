"""The uplink down for a simulated hour: HQ's broker is stopped while an hour of readings (by
event time, compressed) keeps coming; afterwards every one arrives at HQ, in order, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.services import uplink_spool as spool
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.services.uplink_topics import UplinkMessage
from edge.store import Store
from tests.brix_uplink.uplink_harness import HqSide, wait_for

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
EDGE = "edge-wh-sh-01"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HqSide]:
    side = HqSide(tmp_path)
    yield side
    side.close()


def minute_rollups(store: Store, minutes: range, sensors: tuple[str, ...] = ("CR-01.t1", "TRK-1.t1")) -> None:
    """What ingest does each minute: the closed minute's rollups, spooled in the same transaction."""
    for minute in minutes:
        at = T0 + dt.timedelta(minutes=minute)
        messages = [UplinkMessage("rollup.1m", "WH-SH-01", sensor.split(".")[0], sensor, at,
                                  {"mean_c": 2.0 + minute / 100, "min_c": 1.5, "max_c": 3.0, "count": 6,
                                   "asset_kind": "truck_compartment" if sensor.startswith("TRK") else "cold_room"})
                    for sensor in sensors]
        with store.write("telemetry", at) as w:
            spool.enqueue(w.conn, messages, budget_bytes=64 * 1024 * 1024, created_at=w.now_text)


@pytest.mark.slow
def test_an_hour_without_uplink_is_back_filled_in_order_without_duplicates(tmp_path: Path, hq: HqSide) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    settings = UplinkSettings(port=hq.port, inflight=20)
    publisher = UplinkPublisher(store, settings, edge_id=EDGE)
    publisher.start()
    try:
        wait_for(publisher.connected.is_set, 10, "the uplink to connect")
        minute_rollups(store, range(0, 10))
        wait_for(lambda: len(hq.db.arrivals(EDGE)) == 20, 10, "the first 10 minutes at HQ")

        hq.stop_broker()
        wait_for(lambda: not publisher.connected.is_set(), 10, "the uplink to notice the outage")
        minute_rollups(store, range(10, 70))  # the lost hour, compressed
        status = spool.status(store, settings.budget_bytes)
        assert status.depth == 120 and status.connected is False and status.last_error
        assert len(hq.db.arrivals(EDGE)) == 20

        hq.restart_broker()
        minute_rollups(store, range(70, 75))  # and life goes on while it catches up
        wait_for(lambda: len(hq.db.arrivals(EDGE)) == 150, 30, "the back-fill to reach HQ")
        wait_for(publisher.drained, 10, "the spool to empty")
        status = spool.status(store, settings.budget_bytes)
        assert (status.depth, status.bytes, status.acked, status.connected) == (0, 0, 150, True)
    finally:
        publisher.stop()

    arrivals = hq.db.arrivals(EDGE)
    seqs = [seq for _, seq in arrivals]
    assert len({epoch for epoch, _ in arrivals}) == 1
    assert seqs == sorted(seqs), "HQ received the back-fill out of order"
    assert len(set(seqs)) == len(seqs) == 150
    # the broker may deliver again what HQ acknowledged just before it went down (QoS 1 is at least
    # once); HQ keeps each (edge, epoch, seq) once and counts the rest
    assert hq.db.counters()["stored"] == 150
    times = hq.db.query("SELECT sensor, event_time FROM cc_messages ORDER BY arrival")
    for sensor in ("CR-01.t1", "TRK-1.t1"):
        mine = [r["event_time"] for r in times if r["sensor"] == sensor]
        assert len(mine) == 75 and mine == sorted(mine)
