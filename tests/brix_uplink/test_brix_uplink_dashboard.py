"""HQ's cold-chain dashboard with data from two edges: both warehouses, their trucks, current
temperature, an open alarm, MKT and 24-hour charts."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from drivers.broker import Broker
from edge.services import telemetry
from edge.services.alarms import AlarmMonitor
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.store import Store
from hq_sync.reference_hq.coldchain.consumer import BrokerLink, UplinkConsumer
from hq_sync.reference_hq.coldchain.dashboard import mount_coldchain
from hq_sync.reference_hq.coldchain.db import ColdChainDb
from hq_sync.reference_hq.coldchain.summary import mkt_celsius
from tests.brix_uplink.test_brix_uplink_outage import SENSORS, T0, configured_store
from tests.brix_uplink.uplink_harness import wait_for

ADMIN = "hq-admin-token"


def one_edge_day(store: Store, warm_truck: bool) -> None:
    """Two hours of readings; the truck of one edge runs warm for its second hour (an alarm)."""
    monitor = AlarmMonitor(store, T0)
    for minute in range(120):
        start = T0 + dt.timedelta(minutes=minute)
        temps = {"CR-1.t1": 2.0 + (minute % 5) / 10, "TRUCK-01-C.t1": 9.0 if warm_truck and minute >= 60 else 3.0}
        samples = [telemetry.Sample(s, start + dt.timedelta(seconds=30 * k), temps[s]) for k in range(2)
                   for s in SENSORS]
        now = start + dt.timedelta(minutes=1)
        result = telemetry.ingest(store, samples, received_at=now)
        monitor.observe(result.accepted, now)
        monitor.tick(now)


def day_end() -> dt.datetime:
    return T0 + dt.timedelta(minutes=125)


def minute_rollups(db: ColdChainDb, edge: str, expected: int) -> bool:
    return len(db.query("SELECT 1 FROM cc_messages WHERE edge = ? AND kind = 'rollup.1m'", (edge,))) == expected


@pytest.mark.slow
def test_dashboard_shows_two_edges(tmp_path: Path, mosquitto: Broker) -> None:
    hq_db = ColdChainDb(tmp_path / "hq.sqlite3")
    consumer = UplinkConsumer(hq_db, BrokerLink(port=mosquitto.port, client_id=f"hq-dash-{tmp_path.name}"))
    consumer.start()
    publishers = []
    try:
        wait_for(consumer.connected.is_set, 10, "HQ's consumer")
        for n, warm in ((1, True), (2, False)):
            store = configured_store(tmp_path / f"edge{n}.sqlite3")
            one_edge_day(store, warm)
            publisher = UplinkPublisher(store, UplinkSettings(port=mosquitto.port, collect_every_s=0.1,
                                                              client_id=f"dash-{tmp_path.name}-{n}"),
                                        edge_id=f"edge-{n}", warehouse_id=f"WH-{n}", clock=day_end)
            publisher.start()
            publishers.append(publisher)
        for n in (1, 2):
            wait_for(partial(minute_rollups, hq_db, f"edge-{n}", 240), 20, f"edge-{n}'s rollups at HQ")
        wait_for(lambda: bool(hq_db.query("SELECT 1 FROM cc_messages WHERE kind = 'alarm'")), 10, "the alarm")
    finally:
        for publisher in publishers:
            publisher.stop()
        consumer.stop()

    app = FastAPI()
    mount_coldchain(app, hq_db, ADMIN)
    client = TestClient(app)
    at = (T0 + dt.timedelta(hours=2)).isoformat()
    assert client.get("/coldchain", params={"at": at}).status_code == 401
    auth = {"Authorization": f"Bearer {ADMIN}"}
    summary = client.get("/coldchain/api/summary", params={"at": at}, headers=auth).json()
    by_key = {(s["warehouse"], s["sensor"]): s for s in summary["sensors"]}
    assert set(by_key) == {(w, s) for w in ("WH-1", "WH-2") for s in SENSORS}
    assert by_key[("WH-1", "TRUCK-01-C.t1")]["truck"] and not by_key[("WH-1", "CR-1.t1")]["truck"]
    assert by_key[("WH-1", "TRUCK-01-C.t1")]["current_c"] == pytest.approx(9.0)
    assert by_key[("WH-2", "TRUCK-01-C.t1")]["current_c"] == pytest.approx(3.0)
    assert by_key[("WH-1", "TRUCK-01-C.t1")]["mkt_c"] == pytest.approx(mkt_celsius([3.0] * 60 + [9.0] * 60))
    assert by_key[("WH-2", "CR-1.t1")]["band_max_c"] == 4.0
    alarms = summary["open_alarms"]
    assert alarms and {a["warehouse"] for a in alarms} == {"WH-1"} and alarms[0]["asset"] == "TRUCK-01-C"

    html = client.get("/coldchain", params={"at": at}, headers=auth).text
    assert 'data-warehouse="WH-1"' in html and 'data-warehouse="WH-2"' in html
    assert html.count("<polyline") == 4 and "<script" not in html and "http" not in html.split("<body>")[1]
    assert 'class="trucks"' in html and "TRUCK-01-C" in html
    stats = client.get("/coldchain/api/stats", headers=auth).json()
    assert stats["stored"] >= 480 and stats.get("refused", 0) == 0


def test_hq_refuses_malformed_messages_and_keeps_each_once(tmp_path: Path) -> None:
    db = ColdChainDb(tmp_path / "hq.sqlite3")
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    good = {"v": 1, "edge": "e", "epoch": "x", "seq": 1, "msg": {"kind": "alarm", "warehouse": "W", "asset": "A",
            "sensor": "_", "event_time": "2026-07-01T00:00:00Z", "body": {"state": "active"}}}
    assert db.record("t", json.dumps(good).encode(), now).stored
    assert db.record("t", json.dumps(good).encode(), now).duplicate
    for junk in (b"", b"\xff\xfe", b"[]", json.dumps({**good, "seq": 0}).encode(), b'{"v":1}'):
        outcome = db.record("t", junk, now)
        assert not outcome.stored and outcome.reason and outcome.reason.startswith("not an uplink message")
    assert db.counters() == {"stored": 1, "duplicates": 1, "refused": 5}
