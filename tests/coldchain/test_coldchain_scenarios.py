"""Scenarios end to end: simulated sensors over the real broker and Modbus, the drivers' Supervisor,
the edge's device runtime, SQLite. Time is compressed (1 real second = 10 simulated minutes):
the Supervisor, the runtime and the simulators share one clock, so delays are honest. A test may
run the clock fast only while it waits for a timer: readings that should flow then flow in real
time, so a busy machine's stall is not mistaken for a silent sensor."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.broker import Broker
from drivers.codecs.modbus import RegisterMap
from drivers.profiles import load_profile
from drivers.simulators.modbus import ModbusSensorSim
from drivers.site import SiteConfig, parse_site
from drivers.supervisor import Supervisor
from drivers.transports.mqtt import MqttTransport
from edge.domain.coldchain.alarm_engine import SensorWatch
from edge.services.coldchain_assets import apply_spec, assets, parse_spec
from edge.services.device_runtime import DeviceRuntime, register_site_sensors
from edge.store import Store
from edge.store.db import parse_utc
from tests.coldchain.conftest import T0

FACTOR = 600.0  # simulated seconds per real second

DOOR_PROFILE = """\
kind: climate
vendor: test
model: door contact and temperature, JSON over MQTT with the device's own timestamp
source: tests/coldchain
confidence: test fixture
transport:
  mqtt: {subscribe: ["coldsim/+"], protocol: "5", qos: 1}
codec:
  family: mqtt
  topics:
    - pattern: "coldsim/{device}"
      format: json
      time: {path: ts, format: epoch_s}
      fields:
        temperature_c: {path: temperature, type: temperature}
        door_open: {path: door, type: bool}
"""


def door_sensor_site(tmp_path: Path, broker: Broker, device_id: str) -> SiteConfig:
    """A site with one DOOR_PROFILE device on CR-1, publishing to coldsim/<device_id> over `broker`."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "test-door-th.yaml").write_text(DOOR_PROFILE, encoding="utf-8")
    return parse_site({"mqtt": {"host": broker.host, "port": broker.port},
                       "profile_dirs": [str(tmp_path / "profiles")],
                       "devices": [{"id": device_id, "profile": "test-door-th", "topic": f"coldsim/{device_id}",
                                    "asset": "CR-1"}]})


@dataclass
class CompressedClock:
    start: dt.datetime = T0
    factor: float = FACTOR
    _t0: float = field(default_factory=time.monotonic)

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self._t0) * self.factor)

    def minutes(self) -> float:
        return (self() - self.start).total_seconds() / 60

    def run_at(self, factor: float) -> None:
        """From now on, `factor` simulated seconds per real second (time goes on from where it is)."""
        self.start, self._t0, self.factor = self(), time.monotonic(), factor

    async def until(self, minute: float) -> None:
        await asyncio.sleep(max(0.0, (minute * 60 / self.factor) - (time.monotonic() - self._t0)))


def xy_md02() -> RegisterMap:
    spec = load_profile("xy-md02").spec
    assert isinstance(spec, RegisterMap)
    return spec


def asset(store: Store, **rule: Any) -> None:
    """CR-1 with this rule; the fixture's unwired sensor is switched off so only the scenario's device counts."""
    apply_spec(store, parse_spec({
        "assets": [{"asset_id": "CR-1", "kind": "cold_room", "name": "冷藏库 1", "temp_class": "chilled", **rule}],
        "sensors": [{"sensor_id": "CR-1-T", "asset_id": "CR-1", "device_id": "dev-CR-1", "active": False}]}),
        actor="test", now=T0)


async def run_runtime(store: Store, site: Any, clock: CompressedClock,
                      body: Callable[[DeviceRuntime], Any]) -> DeviceRuntime:
    register_site_sensors(store, site, clock())
    runtime = DeviceRuntime(store, Supervisor(site, clock=clock), clock=clock, batch_wait_s=0.02, tick_s=0.02)
    await runtime.start()
    try:
        await body(runtime)
    finally:
        await runtime.stop()
    return runtime


def alarm_rows(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM cold_alarms WHERE asset_id = 'CR-1' ORDER BY alarm_id")


async def test_coldchain_door_open_five_minutes_raises_no_alarm(cold_store: Store, mosquitto: Broker,
                                                                tmp_path: Path) -> None:
    asset(cold_store, levels=[{"severity": "warning", "for_s": 300}], startup_s=0, heartbeat_s=600,
          door_limit_s=600, door_recovery_s=300)
    site = door_sensor_site(tmp_path, mosquitto, "door-th")
    publisher = MqttTransport(mosquitto.host, mosquitto.port)
    await publisher.ensure_open()

    def state(minute: float) -> tuple[float, bool]:
        """Door open from minute 3 to 8; the room needs until minute ~12 to recover."""
        if minute < 3:
            return 3.0, False
        if minute < 8:
            return 3.0 + (minute - 3) * 1.2, True
        return max(3.0, 9.0 - (minute - 8) * 1.5), False

    async def body(runtime: DeviceRuntime) -> None:
        await asyncio.sleep(0.3)  # the device's subscription is in place
        clock.start, clock._t0 = T0, time.monotonic()
        minute = 0.0
        while minute < 20:
            await clock.until(minute)
            temp, door = state(minute)
            stamp = (T0 + dt.timedelta(minutes=minute)).timestamp()
            await publisher.publish("coldsim/door-th", json.dumps(
                {"ts": stamp, "temperature": round(temp, 2), "door": door}).encode(), qos=1)
            minute += 0.5
        await asyncio.sleep(0.3)

    clock = CompressedClock()
    runtime = await run_runtime(cold_store, site, clock, body)
    await publisher.close()
    rows = cold_store.query("SELECT event_time, temperature_c, door_open FROM cold_readings"
                            " WHERE sensor_id = 'door-th' ORDER BY event_time")
    assert len(rows) >= 38 and runtime.stats.rejected == 0
    assert sum(r["door_open"] for r in rows) == 10 and max(r["temperature_c"] for r in rows) > 8.5
    assert [a for a in alarm_rows(cold_store) if a["kind"] != "sensor_silent"] == []
    # Not vacuous: without the door flags the same readings raise a temperature alarm.
    blind = SensorWatch(assets(cold_store)["CR-1"].rule, started_at=T0)
    raised = [t for r in rows for t in blind.observe(parse_utc(r["event_time"]), r["temperature_c"])]
    assert [t.kind.value for t in raised] == ["temp_high"]


async def test_coldchain_compressor_failure_raises_one_alarm_after_the_delay(cold_store: Store) -> None:
    asset(cold_store, levels=[{"severity": "warning", "for_s": 600}], startup_s=0, heartbeat_s=600)
    sim = ModbusSensorSim(xy_md02(), {1: {"temperature_c": 3.0, "humidity_pct": 90.0}})
    await sim.start_tcp()
    site = parse_site({"devices": [{"id": "md02-cr1", "profile": "xy-md02", "host": sim.host, "tcp_port": sim.port,
                                    "unit_id": 1, "poll_interval_s": 0.05, "asset": "CR-1"}]})
    clock = CompressedClock()

    async def body(runtime: DeviceRuntime) -> None:
        while (minute := clock.minutes()) < 30:  # compressor dies at minute 5: +0.5 K per minute
            temp = 3.0 if minute < 5 else min(12.0, 3.0 + (minute - 5) * 0.5)
            sim.set_values(1, {"temperature_c": round(temp, 1), "humidity_pct": 90.0})
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)

    await run_runtime(cold_store, site, clock, body)
    await sim.stop()
    alarms = alarm_rows(cold_store)
    assert [(a["kind"], a["state"]) for a in alarms] == [("temp_high", "active")]
    first_out = cold_store.scalar("SELECT min(event_time) FROM cold_readings WHERE sensor_id = 'md02-cr1'"
                                  " AND temperature_c > 4.0")
    delay = (parse_utc(alarms[0]["raised_at"]) - parse_utc(first_out)).total_seconds()
    assert alarms[0]["started_at"] == first_out and 600 <= delay <= 600 + 120
    audit = cold_store.query("SELECT transition FROM cold_alarm_audit WHERE alarm_id = ?", (alarms[0]["alarm_id"],))
    assert [a["transition"] for a in audit] == ["raised"]
    assert cold_store.scalar("SELECT count(*) FROM events WHERE kind = 'coldchain.alarm.raised'"
                             " AND json_extract(payload, '$.asset_id') = 'CR-1'") == 1
    assert cold_store.scalar("SELECT sum(count) FROM cold_rollups_1m WHERE sensor_id = 'md02-cr1'") == \
        cold_store.scalar("SELECT count(*) FROM cold_readings WHERE sensor_id = 'md02-cr1'")


async def test_coldchain_unplugged_sensor_raises_a_silent_alarm_and_clears_on_replug(cold_store: Store,
                                                                                    tmp_path: Path) -> None:
    asset(cold_store, startup_s=0, heartbeat_s=180)
    sim = ModbusSensorSim(xy_md02(), {1: {"temperature_c": 2.5, "humidity_pct": 90.0}})
    cable = await sim.start_rtu(tmp_path / "by-id" / "usb-CH340-cr1")
    site = parse_site({"devices": [{"id": "md02-rtu", "profile": "xy-md02", "port": cable.path, "unit_id": 1,
                                    "poll_interval_s": 0.05, "timeout_s": 0.1, "asset": "CR-1"}]})
    clock = CompressedClock(factor=1.0)  # real time while readings flow: 0.3 s of a busy machine is no silence

    def silent() -> list[dict[str, Any]]:
        return [a for a in alarm_rows(cold_store) if a["kind"] == "sensor_silent" and a["sensor_id"] == "md02-rtu"]

    async def body(runtime: DeviceRuntime) -> None:
        await wait_for(lambda: cold_store.scalar("SELECT count(*) FROM cold_readings") >= 3, "first readings")
        assert silent() == []
        cable.unplug()
        unplugged = clock()
        clock.run_at(FACTOR)  # the heartbeat's 3 minutes pass in 0.3 s
        await wait_for(lambda: silent(), "silent-sensor alarm")
        clock.run_at(1.0)
        raised = parse_utc(silent()[0]["raised_at"])
        last = parse_utc(cold_store.scalar("SELECT max(event_time) FROM cold_readings WHERE event_time < ?",
                                           (silent()[0]["raised_at"],)))
        assert (raised - last).total_seconds() == 180 and (raised - unplugged).total_seconds() >= 180 - 60
        cable.replug()
        await wait_for(lambda: silent()[0]["state"] == "cleared", "cleared after replug", timeout=15)

    await run_runtime(cold_store, site, clock, body)
    await sim.stop()
    await cable.close()
    assert len(silent()) == 1
    assert [a["kind"] for a in alarm_rows(cold_store)] == ["sensor_silent"]


async def wait_for(check: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
