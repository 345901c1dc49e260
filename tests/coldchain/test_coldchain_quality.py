"""Data quality is state: a sensor that sends garbage, jumps or sticks is degraded, with the reason, never green."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

from drivers.broker import Broker
from drivers.transports.mqtt import MqttTransport
from edge.domain.coldchain.alarm_engine import AlarmKind, AlarmRule, Change, SensorWatch
from edge.domain.coldchain.bands import Band
from edge.services.device_runtime import DeviceRuntime
from edge.services.device_status import load_statuses
from edge.store import Store
from tests.coldchain.conftest import T0
from tests.coldchain.test_coldchain_scenarios import CompressedClock, asset, door_sensor_site, run_runtime, wait_for


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def test_coldchain_jump_and_stuck_value_degrade_the_sensor_and_recover() -> None:
    watch = SensorWatch(AlarmRule(Band(0.0, 4.0), heartbeat_s=900), started_at=at(0), known=True)
    assert watch.observe(at(0), 2.0) == []
    [jump] = watch.observe(at(1), 45.0)  # no cold room air does that in a minute
    assert (jump.kind, jump.change) == (AlarmKind.SENSOR_DEGRADED, Change.RAISED) and "45" in jump.detail
    changes = [t for m in range(2, 40) for t in watch.observe(at(m), 2.0 + (m % 3) / 10)]
    # the fall back to 2 °C is a jump too: degraded until 30 minutes after it
    assert [(t.kind, t.change, t.at) for t in changes] == [(AlarmKind.SENSOR_DEGRADED, Change.CLEARED, at(32))]

    stuck = SensorWatch(AlarmRule(Band(0.0, 4.0), heartbeat_s=900), started_at=at(0), known=True)
    found = [t for m in range(0, 8 * 60, 10) for t in stuck.observe(at(m), 2.3)]
    assert [(t.kind, t.change, t.at) for t in found] == [(AlarmKind.SENSOR_DEGRADED, Change.RAISED, at(360))]
    assert "stuck at 2.3" in found[0].detail
    assert [(t.kind, t.change) for t in stuck.observe(at(481), 2.4)] == [(AlarmKind.SENSOR_DEGRADED, Change.CLEARED)]


def test_coldchain_degraded_alarm_carried_over_a_restart_clears_on_plausible_readings() -> None:
    first = SensorWatch(AlarmRule(Band(0.0, 4.0)), started_at=at(0), known=True)
    first.observe(at(0), 2.0)
    [raised] = first.observe(at(1), 40.0)
    second = SensorWatch(AlarmRule(Band(0.0, 4.0)), started_at=at(5), known=True)
    second.resume([raised], last_seen=at(1))
    assert AlarmKind.SENSOR_DEGRADED in second.raised  # carried over, not raised twice
    [cleared] = second.observe(at(6), 2.1)  # the first plausible reading after the restart ends it
    assert (cleared.kind, cleared.change, cleared.started_at) == (AlarmKind.SENSOR_DEGRADED, Change.CLEARED, at(1))


async def test_coldchain_a_quarter_of_undecodable_frames_degrades_the_sensor_over_the_broker(
        cold_store: Store, mosquitto: Broker, tmp_path: Path) -> None:
    asset(cold_store, startup_s=0, heartbeat_s=600)
    site = door_sensor_site(tmp_path, mosquitto, "truck-th")
    publisher = MqttTransport(mosquitto.host, mosquitto.port)
    await publisher.ensure_open()
    clock = CompressedClock()

    def degraded() -> list[dict[str, object]]:
        return cold_store.query("SELECT * FROM cold_alarms WHERE kind = 'sensor_degraded' AND sensor_id = 'truck-th'")

    async def body(runtime: DeviceRuntime) -> None:
        await asyncio.sleep(0.3)  # the device's subscription is in place
        clock.start, clock._t0 = T0, time.monotonic()
        minute = 0.0
        sent = 0
        while not degraded() and minute < 60:
            await clock.until(minute)
            stamp = (T0 + dt.timedelta(minutes=minute)).timestamp()
            # like truck-01-c in the demo: one frame in four carries none of the profile's fields
            body = {"ts": stamp, "battery": 90} if sent % 4 == 3 else {"ts": stamp, "temperature": 2.5 + sent % 3 / 10,
                                                                "door": False}
            await publisher.publish("coldsim/truck-th", json.dumps(body).encode(), qos=1)
            sent += 1
            minute += 0.25
        await wait_for(lambda: degraded(), "sensor_degraded alarm")
        stamp = clock().timestamp()  # one more good frame: the driver says online, the page must not
        good = {"ts": stamp, "temperature": 2.6, "door": False}
        await publisher.publish("coldsim/truck-th", json.dumps(good).encode(), qos=1)
        await wait_for(lambda: any(d["state"] == "degraded" for d in load_statuses(cold_store, clock())),
                       "device shown degraded")

    await run_runtime(cold_store, site, clock, body)
    await publisher.close()
    [alarm] = degraded()
    assert alarm["state"] == "active" and "undecodable" in str(alarm["detail"])
    temps = cold_store.query("SELECT kind FROM cold_alarms WHERE asset_id = 'CR-1' AND kind LIKE 'temp%'")
    assert temps == []
