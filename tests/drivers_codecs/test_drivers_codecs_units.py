"""Codec building blocks: round trips a simulator relies on, framing edge cases, readings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs.framing import Framer
from drivers.codecs.line import LineSpec
from drivers.codecs.modbus import ReadBlock, RegisterMap, crc16_modbus, decode_registers
from drivers.codecs.printer import PrinterSpec, decode_dle_eot, no_reply_status
from drivers.errors import DecodeError, DeviceTimeout, TransportError
from drivers.profiles import load_profile
from drivers.readings import BrixReading, ClimateReading, PrinterStatus, ScanReading

PROPS = settings(max_examples=60, deadline=1000)


def test_crc_matches_documented_frames() -> None:
    for frame in ("01 06 01 01 00 02 58 37", "01 10 00 00 00 01 02 00 02 27 91", "01 04 00 01 00 01 60 0A"):
        raw = bytes.fromhex(frame)
        assert crc16_modbus(raw[:-2]).to_bytes(2, "little") == raw[-2:]


@PROPS
@given(temp=st.integers(-400, 1250).map(lambda t: t / 10), hum=st.integers(0, 1000).map(lambda h: h / 10))
def test_register_image_round_trip(temp: float, hum: float) -> None:
    for name in ("xy-md02", "kincony-sht30-rs485"):
        rmap = load_profile(name).spec
        assert isinstance(rmap, RegisterMap)
        image = rmap.encode({"temperature_c": temp, "humidity_pct": hum})
        blocks = [[image[(b.function, b.address + i)] for i in range(b.count)] for b in rmap.reads]
        reading = decode_registers(rmap, blocks)
        assert (reading.temperature_c, reading.humidity_pct) == (temp, hum)


def test_kincony_offset_code_and_xy_signedness() -> None:
    kincony = load_profile("kincony-sht30-rs485").spec
    xy = load_profile("xy-md02").spec
    assert isinstance(kincony, RegisterMap) and isinstance(xy, RegisterMap)
    assert decode_registers(kincony, [[10250, 500]]).temperature_c == -25.0
    assert decode_registers(kincony, [[250, 500]]).temperature_c == 25.0
    assert decode_registers(xy, [[0xFF33, 546]]).temperature_c == -20.5
    with pytest.raises(DecodeError) as info:
        decode_registers(xy, [[0x7FFF, 546]])  # 3276.7 °C: a sensor fault, not a temperature
    assert info.value.field == "temperature_c" and "outside the valid range" in info.value.reason
    with pytest.raises(DecodeError, match="expected 2 values"):
        decode_registers(xy, [[1]])
    with pytest.raises(DecodeError, match="not a 16-bit word"):
        decode_registers(xy, [[1, 70000]])


def test_read_plan_merges_contiguous_registers_only() -> None:
    carel = load_profile("carel-ir33").spec
    assert isinstance(carel, RegisterMap)
    assert carel.reads == (ReadBlock(3, 2, 5),)


@PROPS
@given(brix=st.integers(0, 85000).map(lambda b: b / 1000), temp=st.integers(0, 9999).map(lambda t: t / 100),
       channel=st.integers(0, 4))
def test_line_emit_round_trip(brix: float, temp: float, channel: int) -> None:
    """What a simulator sends with `encode` decodes back to the same values."""
    spec = load_profile("atago-prm-2000a").spec
    assert isinstance(spec, LineSpec)
    reading = BrixReading(brix=brix, temperature_c=temp, nd=1.34, sample_id=str(channel))
    [back] = spec.decoder().feed(spec.encode(reading))
    assert isinstance(back, BrixReading)
    assert (back.brix, back.temperature_c, back.sample_id) == (brix, temp, str(channel))


def test_framer_cr_lf_split_across_chunks_and_overflow() -> None:
    framer = Framer([b"\r\n", b"\r", b"\n"])
    assert framer.feed(b"abc\r") == [b"abc"]
    assert framer.feed(b"\ndef\n") == [b"def"]
    small = Framer([b"\n"], max_frame=8)
    items = small.feed(b"0123456789ABCDEF")
    assert len(items) == 1 and isinstance(items[0], DecodeError) and "no terminator" in items[0].reason
    assert small.feed(b"ok\n") == [b"ok"]
    assert small.feed(b"tail") == []
    [rest] = small.finish()
    assert isinstance(rest, DecodeError) and rest.data == b"tail" and "incomplete" in rest.reason


def test_start_marker_split_across_chunks() -> None:
    framer = Framer([b"\x03"], b"\x02\x02")
    [junk] = framer.feed(b"xx\x02")  # junk is reported; the half marker is kept
    assert isinstance(junk, DecodeError) and junk.data == b"xx"
    assert framer.feed(b"\x02data\x03") == [b"data"]


def test_printer_status_merge_and_readiness() -> None:
    spec = load_profile("escpos-80mm-network").spec
    assert isinstance(spec, PrinterSpec)
    assert spec.status_requests() == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    status = PrinterStatus()
    assert status.ready is None
    for n, byte in ((1, 0x12), (2, 0x12), (3, 0x12), (4, 0x1E)):
        status = status.merge(decode_dle_eot(n, byte))
    assert status.ready is True and status.paper_near_end is True
    assert status.merge(decode_dle_eot(4, 0x72)).ready is False
    assert no_reply_status("escpos").ready is None  # silence is "unknown", never "paper ok"
    assert no_reply_status("zpl").ready is False


def test_readings_to_json_and_device_attribution() -> None:
    t = datetime(2025, 1, 15, 6, 0, tzinfo=UTC)
    scan = ScanReading(raw="x", data="x", expiry=date(2025, 1, 15), event_time=t)
    assert scan.to_json()["expiry"] == "2025-01-15" and scan.to_json()["event_time"] == "2025-01-15T06:00:00+00:00"
    climate = ClimateReading(temperature_c=2.0, probes={"a": None}, faults=("a: absent",)).with_device("cold-1")
    assert climate.to_json() == {"type": "climate", "device_id": "cold-1", "event_time": None, "temperature_c": 2.0,
                                 "humidity_pct": None, "door_open": None, "battery_pct": None,
                                 "probes": {"a": None}, "faults": ["a: absent"], "extra": {}}


def test_error_tree_says_what_is_retryable() -> None:
    assert DeviceTimeout("late").retryable and isinstance(DeviceTimeout("x"), TransportError)
    err = DecodeError("bad", b"\x01\x02", "f")
    assert not err.retryable and err.to_json() == {"error": "bad", "field": "f", "data_hex": "01 02"}


def test_typed_spec_accessors() -> None:
    from drivers.errors import ProfileError

    profile = load_profile("xy-md02")
    assert profile.register_map() is profile.spec
    with pytest.raises(ProfileError, match="not a MqttMapping"):
        profile.mqtt_mapping()
    assert load_profile("shelly-ht").mqtt_mapping().subscriptions[0] == "shellies/+/sensor/temperature"
