"""The node on a second, different site: waves walk its layout, routes leave from its depot within its
hours, on its fleet, over its measured travel times; nothing of the demo's warehouse is used."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import yaml
from fastapi.testclient import TestClient

from drivers.broker import Broker
from edge.api.app import create_app
from edge.domain.auth import Role
from edge.services import auth
from edge.settings import Settings
from edge.store import Store
from tests.fixtures.edge import FrozenClock
from tests.site.second_site import WAREHOUSE_ID, load_orders, travel_rows, write_site

API = "/api/v1/floor"
PIN = "246813"


def test_a_second_site_builds_its_wave_and_routes_from_its_own_facts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", site_file=write_site(tmp_path / "site"),
                        warehouse_id=WAREHOUSE_ID)
    store = Store(settings.database_path)
    clock = FrozenClock()
    delivery = dt.date(2026, 7, 2)
    load_orders(store, clock(), delivery)
    auth.add_person(store, person_id="SUP-HZ", code="SUPHZ", name="主管", role=Role.SUPERVISOR, pin=PIN, now=clock())
    token = auth.sign_in(store, "SUPHZ", PIN, now=clock(), lifetime=dt.timedelta(hours=1)).token
    headers = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(settings, store, clock)) as client:
        # the site file seeded the fleet and the cold chain at start
        fleet = client.get(f"{API}/fleet", headers=headers).json()["vehicles"]
        assert [v["vehicle_id"] for v in fleet] == ["HZ-T1", "HZ-T2"]
        assert store.scalar("SELECT name FROM cold_assets WHERE asset_id = 'HZ-CR-1'") == "杭州冷藏库"

        wave = client.post(f"{API}/waves", json={"delivery_date": str(delivery), "cart_volume_ml": 60_000},
                           headers=headers)
        assert wave.status_code == 201, wave.text
        assert wave.json()["wave"]["layout_name"] == WAREHOUSE_ID
        tours = store.query("SELECT tour_id, distance_m FROM tours WHERE delivery_date = ?", (str(delivery),))
        assert len(tours) >= 3 and all(t["distance_m"] > 0 for t in tours)
        codes = {r[0] for r in store.conn.execute("SELECT location_code FROM tour_lines")}
        assert codes and all(c.startswith("K") for c in codes)
        aisles = {int(c[1:3]) for c in codes}
        assert aisles & set(range(1, 7)) and aisles & set(range(7, 13))  # both blocks are walked

        planned = client.post(f"{API}/routes/plan", json={"delivery_date": str(delivery), "time_limit_s": 2},
                              headers=headers)
        assert planned.status_code == 200, planned.text
        body = planned.json()
        assert body["left_out"] == [] and body["routes"]

    measured = travel_rows()
    local = dt.timezone(dt.timedelta(hours=8))
    for route in body["routes"]:
        assert route["vehicle_id"] in {"HZ-T1", "HZ-T2"}
        path = [WAREHOUSE_ID, *[s["store_id"] for s in route["stops"]], WAREHOUSE_ID]
        # the route's length is the measured matrix's, from and back to this site's warehouse
        assert route["distance_m"] == sum(measured[(a, b)][1] for a, b in itertools.pairwise(path))
        arrivals = [dt.datetime.fromisoformat(s["arrival"].replace("Z", "+00:00")) for s in route["stops"]]
        leave_from = dt.datetime.combine(delivery, dt.time(5, 0), local)
        assert arrivals[0] >= leave_from + dt.timedelta(seconds=measured[(WAREHOUSE_ID, path[1])][0])
        opens = dt.datetime.combine(delivery, dt.time(6, 0), local)
        for k in range(1, len(arrivals)):  # the site's 12 service minutes at stores HQ gave none
            service_end = max(arrivals[k - 1], opens) + dt.timedelta(minutes=12)
            assert arrivals[k] >= service_end + dt.timedelta(seconds=measured[(path[k], path[k + 1])][0])


def test_the_site_file_s_devices_feed_its_cold_assets(tmp_path: Path, mosquitto: Broker) -> None:
    """Devices and cold assets written inline in the site file run when the node starts: a room
    sensor on the site's broker is read into the site's own cold room."""
    site = write_site(tmp_path / "site")
    document = yaml.safe_load(site.read_text(encoding="utf-8"))
    document["devices"] = {"mqtt": {"host": mosquitto.host, "port": mosquitto.port},
                           "devices": [{"id": "hz-room-t", "profile": "tasmota-sensor", "topic": "tele/hzroom/SENSOR",
                                        "asset": "HZ-CR-1"}]}
    site.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", site_file=site, warehouse_id=WAREHOUSE_ID)
    store = Store(settings.database_path)
    local_now = dt.datetime.now(settings.zone).replace(tzinfo=None, microsecond=0)
    sensor = {"Time": local_now.isoformat(), "DS18B20": {"Temperature": 3.1}, "TempUnit": "C"}
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    publisher.connect(mosquitto.host, mosquitto.port)
    publisher.loop_start()
    try:
        with TestClient(create_app(settings, store)):
            publisher.publish("tele/hzroom/SENSOR", json.dumps(sensor), qos=1, retain=True).wait_for_publish(10)
            deadline = time.monotonic() + 30
            while not store.scalar("SELECT COUNT(*) FROM cold_readings WHERE sensor_id = 'hz-room-t'"):
                assert time.monotonic() < deadline, "no reading from the site file's sensor"
                time.sleep(0.2)
    finally:
        publisher.publish("tele/hzroom/SENSOR", b"", qos=1, retain=True).wait_for_publish(10)  # clear the retained
        publisher.loop_stop()
        publisher.disconnect()
    assert store.scalar("SELECT asset_id FROM cold_sensors WHERE sensor_id = 'hz-room-t'") == "HZ-CR-1"
    assert store.scalar("SELECT temperature_c FROM cold_readings WHERE sensor_id = 'hz-room-t'") == 3.1
