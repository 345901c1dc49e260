"""Crate exposures on the uplink: one message per delivered crate, after the grace, through the real
broker to HQ's consumer, which keeps each crate's history and shows the warm ones."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from edge.demo import DemoSize, demo_coldchain, load_demo
from edge.services import telemetry, uplink_feed
from edge.services.coldchain_assets import apply_spec, parse_spec
from edge.services.telemetry import Sample
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.settings import Settings
from edge.store import Store
from edge.store.db import utc_text
from hq_sync.reference_hq.coldchain.dashboard import mount_coldchain
from tests.brix_uplink.uplink_harness import HqSide, wait_for

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
DELIVERED = T0 + dt.timedelta(hours=4)
EDGE = "edge-wh-sh-01"
SSCCS = ("003456789012345675", "003456789012345682")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Demo master data, the demo cold assets with a sensor each, and two crates' journeys:
    2 h in the berry room, 2 h on the truck, delivered 15 minutes apart."""
    settings = Settings(data_dir=tmp_path / "edge")
    store = Store(settings.database_path)
    load_demo(store, settings, T0, DemoSize(stores=2, orders=4, pickers=1, sorters=1, drivers=1))
    apply_spec(store, demo_coldchain(), actor="test", now=T0)
    apply_spec(store, parse_spec({"sensors": [{"sensor_id": f"{a.asset_id}-T", "asset_id": a.asset_id,
                                               "device_id": f"dev-{a.asset_id}"} for a in demo_coldchain().assets]}),
               actor="test", now=T0)
    store_id = store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    with store.write("test", T0) as w:
        w.conn.execute("INSERT INTO vehicles (vehicle_id, name) VALUES ('TRUCK-01', 'truck 1')")
        w.conn.execute("INSERT INTO routes (route_id, delivery_date, route_no, vehicle_id, distance_m, duration_s,"
                       " planned_at, status) VALUES ('R1', '2026-07-02', 1, 'TRUCK-01', 1000, 3600, ?, 'departed')",
                       (utc_text(T0),))
        for n, sscc in enumerate(SSCCS):
            w.conn.execute("INSERT INTO crates (sscc, delivery_date, store_id, temp_class, crate_no, status, opened_at)"
                           " VALUES (?, '2026-07-02', ?, 'chilled', ?, 'delivered', ?)",
                           (sscc, store_id, n + 1, utc_text(T0)))
            w.conn.execute("INSERT INTO crate_lines VALUES (?, 'BLU-125', 12)", (sscc,))
            for kind, asset, compartment, at in (
                    ("sorted", "CR-BERRY", None, T0), ("loaded", None, "TRUCK-01-C", T0 + dt.timedelta(hours=2)),
                    ("delivered", None, None, DELIVERED + dt.timedelta(minutes=15 * n))):
                w.conn.execute("INSERT INTO crate_scans (sscc, kind, asset_id, compartment_id, route_id, scanned_at,"
                               " actor) VALUES (?, ?, ?, ?, 'R1', ?, 'test')",
                               (sscc, kind, asset, compartment, utc_text(at)))
    for sensor, start, temp in (("CR-BERRY-T", T0, 1.0), ("TRUCK-01-C-T", T0 + dt.timedelta(hours=2), 3.0)):
        samples = [Sample(sensor, start + dt.timedelta(minutes=m), temp) for m in range(0, 150, 5)]
        telemetry.ingest(store, samples, received_at=start + dt.timedelta(minutes=150))
    yield store
    store.close()


def exposures_spooled(store: Store) -> list[dict[str, object]]:
    return [json.loads(r["payload"]) | {"topic": r["topic"]} for r in store.query(
        "SELECT topic, payload FROM uplink_spool WHERE kind = 'exposure' ORDER BY seq")]


def test_each_delivered_crate_is_spooled_once_after_the_grace(store: Store) -> None:
    grace = dt.timedelta(seconds=30)
    uplink_feed.collect(store, warehouse="WH-SH-01", now=DELIVERED + dt.timedelta(seconds=10), budget_bytes=10**8,
                        grace=grace)
    assert exposures_spooled(store) == []  # the truck's last readings may still be on their way
    uplink_feed.collect(store, warehouse="WH-SH-01", now=DELIVERED + dt.timedelta(minutes=1), budget_bytes=10**8,
                        grace=grace)
    first = exposures_spooled(store)
    assert [m["topic"] for m in first] == [f"haolin/v1/WH-SH-01/_crates/{SSCCS[0]}/exposure"]
    body = first[0]["body"]
    assert isinstance(body, dict) and first[0]["event_time"] == "2026-07-01T04:00:00.000Z"
    # 2 h at 1 °C in the berry room, 2 h at 3 °C on the truck: warm for blueberries (0-2 °C)
    assert (body["min_c"], body["max_c"], body["out_of_range_s"], body["band"]) == (
        1.0, 3.0, 7200.0, {"low_c": 0.0, "high_c": 2.0})
    assert body["store_id"] and body["route_id"] == "R1" and [leg["scan"] for leg in body["legs"]] == [
        "sorted", "loaded"]
    later = DELIVERED + dt.timedelta(hours=1)
    uplink_feed.collect(store, warehouse="WH-SH-01", now=later, budget_bytes=10**8, grace=grace)
    uplink_feed.collect(store, warehouse="WH-SH-01", now=later, budget_bytes=10**8, grace=grace)
    assert [m["topic"].split("/")[4] for m in exposures_spooled(store)] == list(SSCCS)  # type: ignore[union-attr]


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HqSide]:
    side = HqSide(tmp_path)
    yield side
    side.close()


def test_crate_exposures_reach_hq_through_the_broker_and_show_on_the_dashboard(hq: HqSide, store: Store) -> None:
    settings = UplinkSettings(port=hq.port, collect_every_s=0.05, closed_grace_s=0)
    publisher = UplinkPublisher(store, settings, edge_id=EDGE, warehouse_id="WH-SH-01",
                                clock=lambda: DELIVERED + dt.timedelta(hours=1))
    publisher.start()
    try:
        wait_for(lambda: len(hq.db.crate_exposures()) == 2, 20, "both crates' exposures at HQ")
        wait_for(publisher.drained, 10, "the spool to empty")
    finally:
        publisher.stop()
    kept = hq.db.crate_exposures(sscc=SSCCS[0])
    assert [(c["warehouse"], c["edge"], c["max_c"], c["out_of_range_s"]) for c in kept] == [
        ("WH-SH-01", EDGE, 3.0, 7200.0)]
    assert kept[0]["exposure"]["legs"][1]["asset_id"] == "TRUCK-01-C"
    assert [c["sscc"] for c in hq.db.crate_exposures()] == [SSCCS[1], SSCCS[0]]  # newest delivery first
    # a re-delivered message (QoS 1 is at least once) is counted as a duplicate, not kept twice
    row = hq.db.query("SELECT topic, seq, epoch FROM cc_messages WHERE kind = 'exposure' ORDER BY seq LIMIT 1")[0]
    wire = json.dumps({"v": 1, "edge": EDGE, "epoch": row["epoch"], "seq": row["seq"], "msg": {
        "kind": "exposure", "warehouse": "WH-SH-01", "asset": "_crates", "sensor": SSCCS[0],
        "event_time": "2026-07-01T03:00:00Z", "body": {"max_c": 99.0}}}).encode()
    assert hq.db.record(row["topic"], wire, dt.datetime.now(dt.UTC)).duplicate
    assert hq.db.crate_exposures(sscc=SSCCS[0])[0]["max_c"] == 3.0

    app = FastAPI()
    mount_coldchain(app, hq.db, "admin")
    with TestClient(app) as client:
        auth = {"Authorization": "Bearer admin"}
        api = client.get("/coldchain/api/crates", params={"out_of_range": True}, headers=auth)
        assert [c["sscc"] for c in api.json()] == [SSCCS[1], SSCCS[0]]
        assert client.get("/coldchain/api/crates", headers={"Authorization": "Bearer nope"}).status_code == 401
        page = client.get("/coldchain", params={"at": "2026-07-01T06:00:00Z"}, headers=auth).text
        assert f'data-sscc="{SSCCS[0]}"' in page and "120.0 min" in page
