"""Every device class through its simulator over the real transport, under the supervisor."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drivers.broker import Broker
from drivers.profiles import load_profile
from drivers.readings import BrixReading, ClimateReading, ScanReading
from drivers.simulators.line import LineDeviceSim
from drivers.simulators.modbus import ModbusSensorSim
from drivers.site import parse_site
from drivers.supervisor import DeviceStatus, ReadingEvent, Supervisor
from drivers.transports import MqttTransport
from tests.drivers_runtime.helpers import eventually

REQUEST_PROFILE = """\
kind: refractometer
vendor: Test
model: Brix-R request/response
firmware: any
source: written by this test
confidence: test
transport:
  serial: {baudrate: 19200, bytesize: 8, parity: E, stopbits: 1}
  mode: request
  request: "READ\\r\\n"
  poll_interval_s: 0.05
  timeout_s: 0.5
codec:
  family: line
  framing: {end: ["\\r\\n"]}
  layout: {type: csv, delimiter: ";", columns: [sample, brix, temp]}
  fields:
    sample_id: {column: sample, type: str}
    brix: {column: brix, type: float, valid: {min: 0, max: 100}}
    temperature_c: {column: temp, type: temperature, unit: C}
  emit: "{sample_id};{brix:.2f};{temperature_c:.1f}"
samples:
  - input: "S1;12.34;20.1\\r\\n"
    expect: {brix: 12.34}
"""


def by_id(statuses: list[DeviceStatus]) -> dict[str, DeviceStatus]:
    return {s.device_id: s for s in statuses}


async def test_streaming_refractometer_and_scanner_on_ptys(tmp_path: Path) -> None:
    refr = LineDeviceSim(load_profile("atago-prm-2000a"), tmp_path / "by-id" / "usb-ATAGO-if00")
    scan = LineDeviceSim(load_profile("honeywell-serial-aim"), tmp_path / "by-id" / "usb-Honeywell-if00",
                         interval_s=0.1)
    site = parse_site({"devices": [
        {"id": "refr-1", "profile": "atago-prm-2000a", "port": refr.path, "location": "QC"},
        {"id": "scan-1", "profile": "honeywell-serial-aim", "port": scan.path}]})
    refr.start()
    scan.start()
    sup = Supervisor(site)
    events = sup.subscribe()
    async with sup:
        await eventually(lambda: all(s.frames >= 3 for s in sup.status()), what="frames from both")
    kinds = {}
    while (ev := events.get_nowait()) is not None:
        if isinstance(ev, ReadingEvent):
            kinds.setdefault(ev.device_id, []).append(ev.reading)
    assert all(isinstance(r, BrixReading) and r.device_id == "refr-1" for r in kinds["refr-1"])
    assert {r.brix for r in kinds["refr-1"]} >= {9.523, 12.34}
    scans = kinds["scan-1"]
    assert all(isinstance(r, ScanReading) for r in scans)
    assert any(isinstance(r, ScanReading) and r.gtin == "06901234000016" and r.lot == "L24A" for r in scans)
    status = by_id(sup.status())
    assert status["refr-1"].state == "stopped" and status["refr-1"].errors == 0
    await refr.stop()
    await scan.stop()


async def test_request_mode_profile_written_by_a_site_reads_a_simulated_device(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "test-brix-request.yaml").write_text(REQUEST_PROFILE)
    profile = load_profile("test-brix-request", [profiles])
    sim = LineDeviceSim(profile)
    sim.start()
    site = parse_site({"profile_dirs": [str(profiles)],
                       "devices": [{"id": "brix-q", "profile": "test-brix-request", "port": sim.path}]})
    async with Supervisor(site) as sup:
        await eventually(lambda: sup.status()[0].frames >= 2, what="answers to requests")
        last = sup.status()[0].last_reading
        assert isinstance(last, BrixReading) and last.brix == 12.34 and last.sample_id == "S1"
        sim.silent = True  # stops answering: timeouts are errors, the loop survives
        await eventually(lambda: sup.status()[0].state == "unavailable", what="unavailable on timeout")
        assert "timeout" in (sup.status()[0].reason or "")
        sim.silent = False
        frames = sup.status()[0].frames
        await eventually(lambda: sup.status()[0].state == "online" and sup.status()[0].frames > frames,
                         what="recovery")
    await sim.stop()


async def test_garbage_and_partial_frames_are_counted_and_the_loop_survives() -> None:
    sim = LineDeviceSim(load_profile("atago-prm-2000a"), interval_s=0.03)
    sim.start()
    site = parse_site({"devices": [{"id": "refr", "profile": "atago-prm-2000a", "port": sim.path}]})
    async with Supervisor(site) as sup:
        await eventually(lambda: sup.status()[0].frames >= 2)
        sim.send_raw(b"\xff\x00garbage,,,\r\n")
        sim.partial()
        await eventually(lambda: sup.status()[0].errors >= 2, what="decode errors counted")
        frames = sup.status()[0].frames
        await eventually(lambda: sup.status()[0].frames >= frames + 3, what="good frames after garbage")
        assert sup.status()[0].state == "online"
    await sim.stop()


async def test_unplug_and_replug_under_a_new_pts_without_restarting(tmp_path: Path) -> None:
    link = tmp_path / "serial" / "by-id" / "usb-Prolific_PL2303-if00-port0"
    sim = LineDeviceSim(load_profile("atago-prm-2000a"), link)
    sim.start()
    site = parse_site({"devices": [{"id": "refr", "profile": "atago-prm-2000a", "port": str(link)}]})
    async with Supervisor(site) as sup:
        await eventually(lambda: sup.status()[0].frames >= 2)
        sim.port.unplug()
        await eventually(lambda: sup.status()[0].state == "unavailable", what="unavailable after unplug")
        assert "link down" in (sup.status()[0].reason or "")
        await asyncio.sleep(0.3)  # a few failed reopen attempts while the link is missing
        sim.port.replug()
        frames = sup.status()[0].frames
        await eventually(lambda: sup.status()[0].frames > frames + 1, what="frames after replug")
        st = sup.status()[0]
        assert st.state == "online" and st.reconnects >= 1 and st.errors >= 1
    await sim.stop()


async def test_modbus_rtu_over_pty_and_tcp_with_bad_crc_and_a_dead_unit(tmp_path: Path) -> None:
    xy = load_profile("xy-md02")
    rtu = ModbusSensorSim(xy.spec, {1: {"temperature_c": -20.5, "humidity_pct": 54.6},
                                    2: {"temperature_c": 3.9, "humidity_pct": 90.0}})
    cable = await rtu.start_rtu(tmp_path / "by-id" / "usb-CH340-rs485")
    tcp = ModbusSensorSim(load_profile("carel-ir33").spec, {1: {"probes.probe_1": 3.4}})
    await tcp.start_tcp()
    carel = load_profile("carel-ir33")
    tcp_values = {r.target: 1.5 for r in carel.spec.registers if r.type != "bool"}
    tcp.set_values(1, tcp_values)
    site = parse_site({"devices": [
        {"id": "md02-1", "profile": "xy-md02", "port": cable.path, "unit_id": 1, "poll_interval_s": 0.05},
        {"id": "md02-2", "profile": "xy-md02", "port": cable.path, "unit_id": 2, "poll_interval_s": 0.05},
        {"id": "md02-dead", "profile": "xy-md02", "port": cable.path, "unit_id": 9, "poll_interval_s": 0.05,
         "timeout_s": 0.2},
        {"id": "carel", "profile": "carel-ir33", "host": tcp.host, "tcp_port": tcp.port, "poll_interval_s": 0.05}]})
    async with Supervisor(site) as sup:
        await eventually(lambda: all(s.frames >= 3 for s in sup.status() if s.device_id != "md02-dead"),
                         what="polls from live units")
        st = by_id(sup.status())
        r1, r2 = st["md02-1"].last_reading, st["md02-2"].last_reading
        assert isinstance(r1, ClimateReading) and r1.temperature_c == -20.5 and r1.humidity_pct == 54.6
        assert isinstance(r2, ClimateReading) and r2.temperature_c == 3.9
        assert st["md02-dead"].state == "unavailable" and st["md02-dead"].frames == 0
        assert isinstance(st["carel"].last_reading, ClimateReading)
        errors = st["md02-1"].errors + st["md02-2"].errors
        rtu.faults.bad_crc = 2
        await eventually(lambda: sum(by_id(sup.status())[d].errors for d in ("md02-1", "md02-2")) >= errors + 2,
                         what="bad CRC answers counted")
        rtu.set_values(1, {"temperature_c": 7.5, "humidity_pct": 60.0})
        await eventually(lambda: getattr(by_id(sup.status())["md02-1"].last_reading, "temperature_c", None) == 7.5,
                         what="new value after bad CRC")
        assert by_id(sup.status())["md02-1"].state == "online"
    await rtu.stop()
    await cable.close()
    await tcp.stop()


async def test_mqtt_sensor_through_mosquitto_and_staleness(mosquitto: Broker) -> None:
    site = parse_site({"mqtt": {"host": mosquitto.host, "port": mosquitto.port},
                       "devices": [{"id": "room-2", "profile": "zigbee2mqtt-th-sensor",
                                    "topic": "zigbee2mqtt/room2-th", "stale_after_s": 0.5}]})
    publisher = MqttTransport(mosquitto.host, mosquitto.port)
    await publisher.ensure_open()
    async with Supervisor(site) as sup:
        await eventually(lambda: sup.status()[0].state in ("online", "unavailable") and sup.devices[0].link != "")
        await asyncio.sleep(0.2)  # subscription in place
        await publisher.publish("zigbee2mqtt/room2-th", b'{"temperature":2.75,"humidity":91.5,"battery":86}', qos=1)
        await publisher.publish("zigbee2mqtt/other", b'{"temperature":30}', qos=1)
        await eventually(lambda: sup.status()[0].frames == 1, what="one reading")
        last = sup.status()[0].last_reading
        assert isinstance(last, ClimateReading) and last.temperature_c == 2.75 and last.battery_pct == 86
        assert last.device_id == "room-2"
        await eventually(lambda: sup.status()[0].state == "unavailable", what="stale after silence")
        await publisher.publish("zigbee2mqtt/room2-th", b"not json", qos=1)
        await eventually(lambda: sup.status()[0].errors >= 2, what="bad payload counted")
    await publisher.close()
