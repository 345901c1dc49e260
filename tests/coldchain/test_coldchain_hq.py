"""One truth at HQ: two edges over the real broker, and HQ lists and counts the same open alarms as
each edge (active or not yet acknowledged), with the same event times, on a zh-CN page in local time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from drivers.broker import Broker
from edge.services import alarms, telemetry
from edge.services.alarms import AlarmMonitor
from edge.services.coldchain_assets import apply_spec, parse_spec
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.store import Store
from hq_sync.reference_hq.coldchain.consumer import BrokerLink, UplinkConsumer
from hq_sync.reference_hq.coldchain.dashboard import mount_coldchain
from hq_sync.reference_hq.coldchain.db import ColdChainDb
from tests.brix_uplink.uplink_harness import wait_for

T0 = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)  # 14:00 in Shanghai
END = T0 + dt.timedelta(minutes=125)
ADMIN = "hq-admin"
SENSORS = ("FZ-1.t1", "CR-1.t1", "TRUCK-01-C.t1")


def edge_store(path: Path) -> Store:
    store = Store(path)
    apply_spec(store, parse_spec({
        "assets": [{"asset_id": "FZ-1", "kind": "freezer", "name": "冷冻库 1", "temp_class": "frozen"},
                   {"asset_id": "CR-1", "kind": "cold_room", "name": "冷藏库 1", "temp_class": "chilled"},
                   {"asset_id": "TRUCK-01-C", "kind": "truck_compartment", "name": "1 号车冷藏厢",
                    "temp_class": "chilled", "vehicle_id": "TRUCK-01"}],
        "sensors": [{"sensor_id": s, "asset_id": s.split(".")[0], "device_id": f"dev-{s}"} for s in SENSORS]}),
        actor="test", now=T0)
    return store


def two_hours(store: Store, *, compressor_dies: bool, truck_warm: bool, glitch: bool) -> None:
    """Readings every 30 s. Edge 1: the freezer's compressor dies at minute 60 (critical, stays);
    the truck runs at 9 °C from minute 20 to 50 (raised, cleared, left unacknowledged). Edge 2: the
    cold room's probe reads 45 °C once at minute 100 (degraded), its truck's excursion is acknowledged."""
    monitor = AlarmMonitor(store, T0)
    for minute in range(120):
        start = T0 + dt.timedelta(minutes=minute)
        fz = -20.0 + (23.5 * min(1.0, (minute - 60) / 10) if compressor_dies and minute >= 60 else minute % 2 / 10)
        truck = 9.0 if truck_warm and 20 <= minute < 50 else 2.5 + minute % 3 / 10
        room = 2.0 + minute % 5 / 10
        samples = [telemetry.Sample(s, start + dt.timedelta(seconds=30 * k),
                                    45.0 if glitch and s == "CR-1.t1" and (minute, k) == (100, 0) else t)
                   for k in range(2) for s, t in zip(SENSORS, (fz, room, truck), strict=True)]
        now = start + dt.timedelta(minutes=1)
        monitor.observe(telemetry.ingest(store, samples, received_at=now).accepted, now)
        monitor.tick(now)


def hq_open(db: ColdChainDb, client: TestClient) -> list[dict[str, object]]:
    summary = client.get("/coldchain/api/summary", params={"at": END.isoformat()},
                         headers={"Authorization": f"Bearer {ADMIN}"}).json()
    return list(summary["open_alarms"])


@pytest.mark.slow
def test_coldchain_hq_counts_the_same_open_alarms_with_the_same_times(tmp_path: Path, mosquitto: Broker) -> None:
    hq_db = ColdChainDb(tmp_path / "hq.sqlite3")
    consumer = UplinkConsumer(hq_db, BrokerLink(port=mosquitto.port, client_id=f"hq-truth-{tmp_path.name}"))
    consumer.start()
    stores = {1: edge_store(tmp_path / "edge1.sqlite3"), 2: edge_store(tmp_path / "edge2.sqlite3")}
    two_hours(stores[1], compressor_dies=True, truck_warm=True, glitch=False)
    two_hours(stores[2], compressor_dies=False, truck_warm=True, glitch=True)
    truck2 = [a for a in alarms.list_alarms(stores[2]) if a["asset_id"] == "TRUCK-01-C" and a["kind"] == "temp_high"]
    alarms.acknowledge(stores[2], truck2[0]["alarm_id"], actor="SUP02", reason="reefer reset, crates checked",
                       now=END - dt.timedelta(minutes=2))
    publishers = []
    try:
        wait_for(consumer.connected.is_set, 10, "HQ's consumer")
        for n, store in stores.items():
            publisher = UplinkPublisher(store, UplinkSettings(port=mosquitto.port, collect_every_s=0.1,
                                                              client_id=f"truth-{tmp_path.name}-{n}"),
                                        edge_id=f"edge-{n}", warehouse_id=f"WH-{n}", clock=lambda: END)
            publisher.start()
            publishers.append(publisher)
        audits = sum(int(s.scalar("SELECT count(*) FROM cold_alarm_audit")) for s in stores.values())
        wait_for(lambda: len(hq_db.query("SELECT 1 FROM cc_messages WHERE kind = 'alarm'")) == audits, 20,
                 "every alarm transition at HQ")
    finally:
        for publisher in publishers:
            publisher.stop()
        consumer.stop()

    app = FastAPI()
    mount_coldchain(app, hq_db, ADMIN, zone=ZoneInfo("Asia/Shanghai"))
    client = TestClient(app)
    at_hq = {(str(a["edge"]), str(a["alarm_id"])): a for a in hq_open(hq_db, client)}
    at_edges = {(f"edge-{n}", str(a["alarm_id"])): a for n, s in stores.items() for a in alarms.list_alarms(s)}
    assert set(at_hq) == set(at_edges) and len(at_hq) >= 3
    for key, edge_alarm in at_edges.items():
        hq_alarm = at_hq[key]
        assert (hq_alarm["since"], hq_alarm["raised_at"], hq_alarm["cleared_at"]) == (
            edge_alarm["started_at"], edge_alarm["raised_at"], edge_alarm["cleared_at"]), key
        assert (hq_alarm["kind"], hq_alarm["severity"]) == (edge_alarm["kind"], edge_alarm["severity"])
    kinds = {(k[0], str(a["kind"])) for k, a in at_hq.items()}
    assert {("edge-1", "temp_high"), ("edge-2", "sensor_degraded")} <= kinds
    assert not any(k[0] == "edge-2" and a["asset"] == "TRUCK-01-C" for k, a in at_hq.items()), at_hq  # acked, over

    summary = client.get("/coldchain/api/summary", params={"at": END.isoformat()},
                         headers={"Authorization": f"Bearer {ADMIN}"}).json()
    by_wh = {w["warehouse"]: w for w in summary["warehouses"]}
    assert by_wh["WH-1"]["open_alarms"] == len([k for k in at_edges if k[0] == "edge-1"])
    assert (by_wh["WH-1"]["out_of_band"], by_wh["WH-1"]["degraded"]) == (1, 0)  # the freezer
    assert (by_wh["WH-2"]["out_of_band"], by_wh["WH-2"]["degraded"], by_wh["WH-2"]["in_band"]) == (0, 1, 2)

    page = client.get("/coldchain", params={"at": END.isoformat()}, headers={"Authorization": f"Bearer {ADMIN}"})
    html = page.text
    assert '<html lang="zh-CN">' in html and "各仓概况" in html and "未关闭告警" in html
    assert f'<span id="alarm-count">{len(at_hq)}</span>' in html
    raised = next(a for k, a in at_hq.items() if k[0] == "edge-1" and a["kind"] == "temp_high" and a["asset"] == "FZ-1")
    local = dt.datetime.fromisoformat(str(raised["raised_at"]).replace("Z", "+00:00")).astimezone(
        ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")
    assert local.startswith("07-01 15:") and local in html  # 15:0x Shanghai, not 07:0x UTC
    assert "T0" not in html.split("<body>")[1] and "Z<" not in html  # no ISO UTC strings on the page
    assert html.count('class="band"') == 6 and "<script" not in html
    english = client.get("/coldchain", params={"at": END.isoformat(), "lang": "en"},
                         headers={"Authorization": f"Bearer {ADMIN}"}).text
    assert '<html lang="en">' in english and "Open alarms" in english and "degraded" in english
