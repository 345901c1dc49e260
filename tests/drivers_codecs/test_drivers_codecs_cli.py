"""`devices decode` on hardware.md §7 traces as written there, and on input that is pure junk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from drivers.cli import app, hex_line
from drivers.profiles import list_profiles

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

MODBUS_TRACE = """\
# XY-MD02 slave 1, 9600 8N1
REQ  read temp           01 04 00 01 00 01 60 0A
RSP  30.5 °C (0x0131)    01 04 02 01 31 79 74            # value from listing example [DOC value]
REQ  read hum            01 04 00 02 00 01 90 0A
RSP  54.6 %RH (0x0222)   01 04 02 02 22 38 49            # [DOC value]
REQ  read temp+hum       01 04 00 01 00 02 20 0B
RSP  4.2 °C, 87.5 %RH    01 04 04 00 2A 03 6B 9B 53
RSP  -1.5 °C, 93.0 %RH   01 04 04 FF F1 03 A2 1B 2A      # signed int16
RSP  -20.5 °C (0xFF33)   01 04 02 FF 33 B8 D5            # [DOC value]
RSP  exception           01 84 02 C2 C1                  # illegal data address
BAD  crc corrupted       01 04 04 00 2A 03 6B 9B 54      # must be rejected
"""

MQTT_TRACE = """\
# Tasmota [DOC verbatim]
topic: tele/tasmota_4C7759/SENSOR
{"Time":"2021-04-26T10:01:34","DS18B20":{"Id":"020692454681","Temperature":16.1},"TempUnit":"C"}
topic: tele/coldroom1/SENSOR                              # [DOC payload shape, topic RECON]
{"Time":"2020-02-09T19:30:03","SI7021":{"Temperature":2.5,"Humidity":73.9},"TempUnit":"C"}
# Tasmota multi-probe + Fahrenheit   [RECON from documented key pattern]
{"Time":"2024-07-01T06:00:00","DS18B20-1":{"Id":"0300A2790D8B","Temperature":35.6},"DS18B20-2":{"Id":"01144A0CB2AA","Temperature":39.2},"TempUnit":"F"}
"""


def decode(args: list[str], data: bytes) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    result = runner.invoke(app, ["decode", *args], input=data)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    err = [json.loads(line) for line in result.stderr.splitlines()]
    return out, err


def test_modbus_trace_as_written_in_hardware_md() -> None:
    out, err = decode(["--profile", "xy-md02", "--hex"], MODBUS_TRACE.encode())
    assert [(r["temperature_c"], r["humidity_pct"]) for r in out] == [
        (30.5, None), (None, 54.6), (4.2, 87.5), (-1.5, 93.0), (-20.5, None)]
    reasons = [e["error"] for e in err]
    assert any("illegal data address" in r for r in reasons)
    assert any("no valid Modbus frame" in r and e["data_hex"].endswith("9b 54") for r, e in zip(reasons, err,
                                                                                                  strict=True))


def test_mqtt_trace_with_topic_lines_and_site_zone() -> None:
    out, err = decode(["--profile", "tasmota-sensor", "--tz", "Asia/Shanghai"], MQTT_TRACE.encode())
    assert err == []
    assert [(r["device_id"], r["temperature_c"]) for r in out] == [
        ("tasmota_4C7759", 16.1), ("coldroom1", 2.5), ("coldroom1", 2.0)]
    assert out[0]["event_time"] == "2021-04-26T02:01:34+00:00"  # local 10:01:34 in UTC+8
    assert out[2]["probes"] == {"DS18B20-1": 2.0, "DS18B20-2": 4.0}


def test_tab_separated_messages_and_refusals() -> None:
    data = (b"zigbee2mqtt/0x00158d00036c1821\t{\"temperature\":22.75,\"humidity\":55.43,\"battery\":86}\n"
            b"zigbee2mqtt/bridge/state\tonline\n"
            b"zigbee2mqtt/kitchen\t{not json\n")
    out, err = decode(["--profile", "zigbee2mqtt-th-sensor"], data)
    assert [(r["device_id"], r["temperature_c"], r["battery_pct"]) for r in out] == [
        ("0x00158d00036c1821", 22.75, 86.0)]
    assert ["excluded" in e["error"] for e in err] == [True, False]
    assert "not JSON" in str(err[1]["error"])


def test_scanner_lines_and_refractometer_stream() -> None:
    scans = b"]E06901234567892\r]C101069012340000161725011510L24A\x1d3103001250\r]E06901234567890\r"
    out, err = decode(["--profile", "honeywell-serial-aim"], scans)
    assert [(r["gtin"], r["net_weight_g"]) for r in out] == [("06901234567892", None), ("06901234000016", 1250)]
    assert len(err) == 1 and "check digit" in str(err[0]["error"])
    mettler = "\x02A,0012,%Brix     ,  12.34 ,20.0 \xb0C,1,        \r\n\x04".encode("latin-1")
    out, err = decode(["--profile", "mettler-refracto-30px"], mettler * 3)
    assert err == [] and [r["brix"] for r in out] == [12.34] * 3


def test_unknown_profile_is_a_usage_error() -> None:
    result = runner.invoke(app, ["decode", "--profile", "no-such-device"], input=b"")
    assert result.exit_code == 2
    assert "no profile named" in result.stderr


def test_junk_never_crashes_the_command() -> None:
    junk = bytes(range(256)) * 8 + b"\x02" * 300 + b"\r\n" * 5 + b"\x00" * 2000
    for profile in list_profiles():
        _, err = decode(["--profile", profile], junk)  # exit 0, every stderr line a JSON reason
        assert all(e["error"] for e in err)
    # and once as a real process reading its real stdin
    proc = subprocess.run([sys.executable, "-m", "typer", "drivers.cli", "run", "decode", "--profile", "xy-md02"],
                          input=junk, capture_output=True, cwd=REPO, timeout=60, check=False)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert all(json.loads(line)["error"] for line in proc.stderr.decode().splitlines())


def test_hex_lines_skip_labels_and_comments() -> None:
    line = b"RSP  30.5 \xc2\xb0C (0x0131)  01 04 02 01 31 79 74   # note 0A"
    assert hex_line(line) == bytes.fromhex("01040201317974")
    assert hex_line(b"0104020131\n") == bytes.fromhex("0104020131")
