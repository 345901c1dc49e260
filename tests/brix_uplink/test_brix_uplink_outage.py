"""The uplink down for a simulated hour: HQ's broker is stopped while an hour of readings (by
event time, compressed) keeps coming through the real ingest; afterwards every reading is
accounted for at HQ, in order, each message once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.services import telemetry, uplink_feed
from edge.services import uplink_spool as spool
from edge.services.coldchain_assets import apply_spec, parse_spec
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.store import Store
from tests.brix_uplink.uplink_harness import HqSide, wait_for

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
EDGE = "edge-wh-sh-01"
SENSORS = ("CR-1.t1", "TRUCK-01-C.t1")
PER_MINUTE = 6


class SimClock:
    """Simulated time, moved by the test, read by the uplink's thread."""

    def __init__(self) -> None:
        self._now = T0
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment


def configured_store(path: Path) -> Store:
    store = Store(path)
    spec = parse_spec({
        "assets": [{"asset_id": "CR-1", "kind": "cold_room", "name": "cold room 1", "temp_class": "chilled"},
                   {"asset_id": "TRUCK-01-C", "kind": "truck_compartment", "name": "truck 1",
                    "temp_class": "chilled", "vehicle_id": "TRUCK-01"}],
        "sensors": [{"sensor_id": s, "asset_id": s.split(".")[0], "device_id": f"dev-{s}"} for s in SENSORS]})
    apply_spec(store, spec, actor="test", now=T0)
    return store


def live_minutes(store: Store, clock: SimClock, minutes: range) -> None:
    """Sensors report every 10 s; ingest stores them and keeps the rollups; time moves on."""
    for minute in minutes:
        start = T0 + dt.timedelta(minutes=minute)
        samples = [telemetry.Sample(s, start + dt.timedelta(seconds=10 * k), 2.0 + (minute % 7) / 10 + k / 100)
                   for k in range(PER_MINUTE) for s in SENSORS]
        clock.set(start + dt.timedelta(minutes=1))
        result = telemetry.ingest(store, samples, received_at=clock())
        assert result.stored == len(samples), result.rejected


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HqSide]:
    side = HqSide(tmp_path)
    yield side
    side.close()


def rollups_at_hq(hq: HqSide) -> int:
    return len(hq.db.query("SELECT 1 FROM cc_messages WHERE kind = 'rollup.1m'"))


@pytest.mark.slow
def test_an_hour_without_uplink_is_back_filled_in_order_without_duplicates(tmp_path: Path, hq: HqSide) -> None:
    store = configured_store(tmp_path / "edge.sqlite3")
    clock = SimClock()
    settings = UplinkSettings(port=hq.port, inflight=20, collect_every_s=0.05, closed_grace_s=0)
    publisher = UplinkPublisher(store, settings, edge_id=EDGE, warehouse_id="WH-SH-01", clock=clock)
    publisher.start()
    try:
        wait_for(publisher.connected.is_set, 10, "the uplink to connect")
        live_minutes(store, clock, range(0, 10))
        wait_for(lambda: rollups_at_hq(hq) == 20, 10, "the first 10 minutes at HQ")

        hq.stop_broker()
        wait_for(lambda: not publisher.connected.is_set(), 10, "the uplink to notice the outage")
        live_minutes(store, clock, range(10, 70))  # the lost hour, compressed
        wait_for(lambda: spool.status(store, settings.budget_bytes).depth >= 122, 10, "the hour to be spooled")
        status = spool.status(store, settings.budget_bytes)
        assert status.connected is False and status.last_error and status.oldest_created_at
        assert rollups_at_hq(hq) == 20

        hq.restart_broker()
        live_minutes(store, clock, range(70, 75))  # and life goes on while it catches up
        wait_for(lambda: rollups_at_hq(hq) == 150, 30, "the back-fill to reach HQ")
        wait_for(publisher.drained, 10, "the spool to empty")
        status = spool.status(store, settings.budget_bytes)
        assert (status.depth, status.bytes, status.connected) == (0, 0, True)
    finally:
        publisher.stop()

    arrivals = hq.db.arrivals(EDGE)
    seqs = [seq for _, seq in arrivals]
    assert len({epoch for epoch, _ in arrivals}) == 1
    assert seqs == sorted(seqs), "HQ received the back-fill out of order"
    assert len(set(seqs)) == len(seqs) == status.acked
    # the broker may deliver again what HQ acknowledged just before it went down (QoS 1 is at
    # least once): HQ keeps each (edge, epoch, seq) once
    assert hq.db.counters()["stored"] == len(seqs)
    rows = hq.db.query("SELECT sensor, event_time, body FROM cc_messages WHERE kind = 'rollup.1m' ORDER BY arrival")
    for sensor in SENSORS:
        mine = [r for r in rows if r["sensor"] == sensor]
        times = [r["event_time"] for r in mine]
        assert times == sorted(times) and len(set(times)) == 75, "every minute once, in order"
        assert sum(json.loads(r["body"])["count"] for r in mine) == 75 * PER_MINUTE, "every reading is counted"
    hours = hq.db.query("SELECT sensor, body FROM cc_messages WHERE kind = 'rollup.1h'")
    assert {(h["sensor"], json.loads(h["body"])["count"]) for h in hours} == {
        (s, 60 * PER_MINUTE) for s in SENSORS}
    truck = hq.db.query("SELECT DISTINCT asset, body FROM cc_messages WHERE sensor = 'TRUCK-01-C.t1' LIMIT 1")[0]
    assert truck["asset"] == "TRUCK-01-C" and '"asset_kind":"truck_compartment"' in truck["body"]


def test_a_late_reading_sends_its_bucket_again_and_open_buckets_wait(tmp_path: Path) -> None:
    store = configured_store(tmp_path / "edge.sqlite3")
    clock = SimClock()
    live_minutes(store, clock, range(0, 3))
    # minute 2 ended at 00:03:00; with a 30 s grace only minutes 0 and 1 are closed
    sent = uplink_feed.collect(store, warehouse="WH", now=clock(), budget_bytes=10**8,
                               grace=dt.timedelta(seconds=30))
    assert sent == 4
    assert uplink_feed.collect(store, warehouse="WH", now=clock(), budget_bytes=10**8) == 0
    late = telemetry.Sample("CR-1.t1", T0 + dt.timedelta(seconds=55), 9.0)
    telemetry.ingest(store, [late], received_at=clock() + dt.timedelta(seconds=1))
    later = clock() + dt.timedelta(minutes=1)
    assert uplink_feed.collect(store, warehouse="WH", now=later, budget_bytes=10**8) == 3  # minute 2 x2 + revision
    bodies = [json.loads(r["payload"]) for r in store.query(
        "SELECT payload FROM uplink_spool WHERE kind = 'rollup.1m' AND topic LIKE '%CR-1.t1%' ORDER BY seq")]
    minute0 = [b["body"] for b in bodies if b["event_time"] == "2026-07-01T00:00:00.000Z"]
    assert [m["count"] for m in minute0] == [PER_MINUTE, PER_MINUTE + 1] and minute0[1]["max_c"] == 9.0
