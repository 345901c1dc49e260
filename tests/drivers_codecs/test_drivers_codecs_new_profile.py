"""A device nobody wrote code for: a new profile file in a site directory is all it takes."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.codecs.modbus import RegisterMap, crc16_modbus, decode_registers
from drivers.errors import DecodeError
from drivers.profiles import list_profiles, load_profile
from drivers.readings import BrixReading, ClimateReading

REPO = Path(__file__).resolve().parents[2]

ACME = r"""
kind: refractometer
vendor: Acme Instruments (made up for this test)
model: BX-7
firmware: "2.x"
source: "imaginary manual, section 9: STX, fields separated by ';', XOR checksum in hex"
confidence: "test fixture"
transport:
  serial: {baudrate: 19200, bytesize: 7, parity: E, stopbits: 1}
codec:
  family: line
  framing: {start: "\x02", end: ["\r\n"]}
  layout: {type: csv, delimiter: ";", columns: [sample, brix, temp, unit, atc, cs]}
  checksum: {algorithm: xor8, column: cs, format: hex}
  fields:
    sample_id: {column: sample}
    brix: {column: brix, valid: {min: 0, max: 85}}
    temperature_c: {column: temp, type: temperature, unit_column: unit}
    temperature_compensated: {column: atc, type: bool, true_values: ["A"], false_values: ["M"]}
"""

FROSTBYTE = """
kind: climate
vendor: Frostbyte (made up for this test)
model: FB-3 reefer logger
source: "imaginary register table"
confidence: "test fixture"
transport:
  serial: {baudrate: 19200, parity: E}
  modbus: {framer: rtu, unit_id: 7}
codec:
  family: modbus
  registers:
    temperature_c: {function: 3, address: 0x10, type: float32, word_order: little, valid: {min: -40, max: 60}}
    humidity_pct: {function: 3, address: 0x12, type: uint16, scale: 0.01, valid: {min: 0, max: 100}}
    door_open: {function: 3, address: 0x13, type: bool, bit: 3}
    battery_pct: {function: 3, address: 0x14, type: uint16, valid: {min: 0, max: 100}}
    probes.pulp: {function: 3, address: 0x20, type: int32, scale: 0.001, invalid_raw: [0x7FFFFFFF],
                  on_invalid: "null"}
"""


def acme_frame(body: str) -> bytes:
    cs = 0
    for b in body.encode("latin-1"):
        cs ^= b
    return b"\x02" + body.encode("latin-1") + f"{cs:02X}".encode() + b"\r\n"


def rtu(*parts: int) -> bytes:
    body = bytes(parts)
    return body + crc16_modbus(body).to_bytes(2, "little")


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "acme-bx7.yaml").write_text(ACME, encoding="utf-8")
    (tmp_path / "frostbyte-fb3.yaml").write_text(FROSTBYTE, encoding="utf-8")
    monkeypatch.setenv("HAOLIN_PROFILE_DIRS", str(tmp_path))
    return tmp_path


def test_new_line_protocol_device_decodes_from_a_profile_alone(site_dir: Path) -> None:
    assert {"acme-bx7", "frostbyte-fb3"} <= set(list_profiles())
    profile = load_profile("acme-bx7")
    assert profile.transport.serial is not None and profile.transport.serial.parity == "E"
    good = acme_frame("0042;12.34;68.9;F;A;")
    bad_cs = good.replace(b"12.34", b"12.35")
    items = profile.make_decoder().feed(b"noise" + good + bad_cs + acme_frame("0043;9.10;21.5;C;M;"))
    assert [type(i).__name__ for i in items] == ["DecodeError", "BrixReading", "DecodeError", "BrixReading"]
    assert "outside a frame" in items[0].reason
    first = items[1]
    assert isinstance(first, BrixReading)
    assert (first.sample_id, first.brix, first.temperature_c, first.temperature_compensated) == \
        ("0042", 12.34, 20.5, True)
    assert isinstance(items[2], DecodeError) and "checksum mismatch" in items[2].reason
    assert isinstance(items[3], BrixReading) and items[3].temperature_compensated is False


def test_new_modbus_device_decodes_from_a_profile_alone(site_dir: Path) -> None:
    rmap = load_profile("frostbyte-fb3").spec
    assert isinstance(rmap, RegisterMap)
    assert [(b.function, b.address, b.count) for b in rmap.reads] == [(3, 0x10, 5), (3, 0x20, 2)]
    temp_words = struct.unpack(">HH", struct.pack(">f", -18.5))
    block1 = [temp_words[1], temp_words[0], 8750, 0b1000, 64]  # little word order: low word first
    reading = decode_registers(rmap, [block1, [0xFFFF, 0xFA24]])
    assert isinstance(reading, ClimateReading)
    assert reading.temperature_c == pytest.approx(-18.5)
    assert (reading.humidity_pct, reading.door_open, reading.battery_pct) == (87.5, True, 64)
    assert reading.probes == {"pulp": -1.5}
    faulty = decode_registers(rmap, [block1, [0x7FFF, 0xFFFF]])
    assert faulty.probes == {"pulp": None} and "sensor fault" in faulty.faults[0]
    # the simulator direction: values -> register image -> the same reading
    image = rmap.encode({"temperature_c": 3.25, "humidity_pct": 40.0, "door_open": False, "battery_pct": 99,
                         "probes.pulp": 2.125})
    blocks = [[image[(b.function, b.address + i)] for i in range(b.count)] for b in rmap.reads]
    again = decode_registers(rmap, blocks)
    assert (again.temperature_c, again.humidity_pct, again.door_open, again.battery_pct) == (3.25, 40.0, False, 99)
    assert again.probes == {"pulp": 2.125}


def test_new_profiles_work_through_the_cli(site_dir: Path) -> None:
    request = rtu(7, 3, 0x00, 0x10, 0x00, 0x05)
    words = [0x0000, 0x4120, 5000, 0, 80]  # 10.0 °C as float32 with the low word first
    response = rtu(7, 3, 10, *b"".join(w.to_bytes(2, "big") for w in words))
    for name, data in (("frostbyte-fb3", request + response), ("acme-bx7", acme_frame("7;1.5;4;C;A;"))):
        proc = subprocess.run(
            [sys.executable, "-m", "typer", "drivers.cli", "run", "decode", "--profile", name,
             "--profile-dir", str(site_dir)],
            input=data, capture_output=True, cwd=REPO, timeout=60, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        assert len(out) == 1, (proc.stdout, proc.stderr)
        if name == "acme-bx7":
            assert (out[0]["brix"], out[0]["temperature_c"]) == (1.5, 4.0)
        else:
            assert (out[0]["temperature_c"], out[0]["humidity_pct"], out[0]["door_open"]) == (10.0, 50.0, False)
