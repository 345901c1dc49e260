"""The cold-chain API: roles, configuration, alarms for the supervisor page, acknowledgement, reports."""

from __future__ import annotations

import datetime as dt

from edge.domain.auth import Role
from edge.services import alarms, telemetry
from edge.services.telemetry import Sample
from tests.fixtures.edge import EdgeNode

CONFIG = {
    "sku_bands": [{"sku_id": "BLU-125", "low_c": 0, "high_c": 2}],
    "assets": [{"asset_id": "CR-B", "kind": "cold_room", "name": "浆果库", "temp_class": "chilled",
                "skus": ["BLU-125"], "levels": [{"severity": "warning", "for_s": 600}], "verify_normal_s": 0,
                "startup_s": 0}],
    "sensors": [{"sensor_id": "CR-B-T", "asset_id": "CR-B", "device_id": "md02-7"}],
}


def test_coldchain_api_configure_alarm_acknowledge_and_report(edge_node: EdgeNode) -> None:
    client, sup = edge_node.client, edge_node.headers(Role.SUPERVISOR)
    assert client.put("/api/v1/coldchain/config", json=CONFIG).status_code == 401
    picker = edge_node.headers(Role.PICKER)
    assert client.put("/api/v1/coldchain/config", json=CONFIG, headers=picker).status_code == 403
    assert client.put("/api/v1/coldchain/config", json=CONFIG, headers=sup).json() == {
        "assets": 1, "sensors": 1, "sku_bands": 1}
    bad = client.put("/api/v1/coldchain/config", headers=sup,
                     json={"sensors": [{"sensor_id": "x", "asset_id": "NOPE", "device_id": "d"}]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["path"] == "sensors[0].asset_id"
    listed = client.get("/api/v1/coldchain/assets", headers=edge_node.headers(Role.HQ)).json()
    bands = {a["asset_id"]: a["band"] for a in listed}
    assert bands["CR-B"] == {"low_c": 0.0, "high_c": 2.0}  # beside the rooms of the demo's site file

    now = edge_node.clock()
    monitor = alarms.AlarmMonitor(edge_node.store, now - dt.timedelta(minutes=31))
    samples = [Sample("CR-B-T", now - dt.timedelta(minutes=30 - m), 3.5) for m in range(0, 30, 5)]
    monitor.observe(telemetry.ingest(edge_node.store, samples, received_at=now).accepted, now)
    open_alarms = client.get("/api/v1/coldchain/alarms", headers=sup).json()
    assert [(a["kind"], a["state"], a["limit_c"]) for a in open_alarms] == [("temp_high", "active", 2.0)]
    alarm_id = open_alarms[0]["alarm_id"]
    url = f"/api/v1/coldchain/alarms/{alarm_id}/acknowledge"
    assert client.post(url, json={"reason": "x"}, headers=edge_node.headers(Role.HQ)).status_code == 403
    acked = client.post(url, json={"reason": "berries moved to CR-1"}, headers=sup)
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "person:SUP01"
    assert acked.json()["ack_reason"] == "berries moved to CR-1"
    assert client.post(url, json={"reason": "again"}, headers=sup).status_code == 409
    assert client.post("/api/v1/coldchain/alarms/999/acknowledge", json={"reason": "r"}, headers=sup).status_code == 404
    trail = client.get(f"/api/v1/coldchain/alarms/{alarm_id}/audit", headers=sup).json()
    assert [t["transition"] for t in trail] == ["raised", "acknowledged"]
    assert trail[1]["actor"] == acked.json()["acknowledged_by"]

    window = client.post("/api/v1/coldchain/suppressions", headers=sup, json={
        "asset_id": "CR-B", "reason": "defrost", "starts_at": "2026-07-01T10:00:00+08:00",
        "ends_at": "2026-07-01T10:30:00+08:00"})
    assert window.status_code == 201
    series = client.get("/api/v1/coldchain/series/CR-B-T", headers=sup,
                        params={"from": "2026-07-01T00:00:00Z", "to": "2026-07-01T03:00:00Z", "resolution": "raw"})
    assert len(series.json()) == 6
    assert client.get("/api/v1/coldchain/exposure/crates/000000000000000000", headers=sup).status_code == 404
    png = client.get("/api/v1/coldchain/reports/daily", headers=sup, params={"date": "2026-07-01", "format": "png"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
