"""Property tests: whatever bytes arrive, in whatever chunks, every codec returns readings or
DecodeError items (or raises DecodeError from its pure functions) and nothing else, quickly."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.codecs.framing import Framer
from drivers.codecs.modbus import RegisterMap, decode_registers
from drivers.codecs.mqtt import MqttLineDecoder, MqttMapping, decode_payload
from drivers.codecs.printer import decode_dle_eot, decode_host_status, decode_tspl_status
from drivers.codecs.scanner import decode_scan
from drivers.errors import DecodeError
from drivers.profiles import list_profiles, load_profile
from drivers.readings import PrinterStatus, Reading

FUZZ = settings(max_examples=40, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
PROFILES = list_profiles()
STREAM_PROFILES = [n for n in PROFILES if load_profile(n).family != "mqtt"]
MQTT_PROFILES = [n for n in PROFILES if load_profile(n).family == "mqtt"]
MODBUS_PROFILES = [n for n in PROFILES if load_profile(n).family == "modbus"]


def _fragments(name: str) -> list[bytes]:
    out = []
    for s in load_profile(name).samples:
        out.append(bytes.fromhex(s["hex"]) if "hex" in s else s["input"].encode("latin-1"))
    return out or [b"\r\n"]


@st.composite
def traces(draw: st.DrawFn, name: str) -> list[bytes]:
    """Random bytes spliced with pieces of real frames, cut into random chunks."""
    frags = _fragments(name)
    parts = draw(st.lists(st.one_of(
        st.binary(max_size=64),
        st.sampled_from(frags),
        st.sampled_from(frags).flatmap(lambda f: st.integers(0, len(f)).map(lambda i: f[:i])),
        st.sampled_from([b"\r", b"\n", b"\r\n", b"\x02", b"\x03", b"\x04", b"\x1d", b"\x10\x04\x01"]),
    ), max_size=12))
    data = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("name", STREAM_PROFILES)
def test_stream_decoders_survive_any_bytes(name: str) -> None:
    profile = load_profile(name)

    @FUZZ
    @given(chunks=traces(name))
    def check(chunks: list[bytes]) -> None:
        decoder = profile.make_decoder()
        items = []
        for chunk in chunks:
            items += decoder.feed(chunk)
        items += decoder.finish()
        assert all(isinstance(i, Reading | DecodeError) for i in items)
        # finish() resets: the decoder is usable again and empty
        assert decoder.finish() == []

    check()


@pytest.mark.parametrize("name", MQTT_PROFILES)
def test_mqtt_payloads_raise_only_decode_error(name: str) -> None:
    mapping = load_profile(name).spec
    assert isinstance(mapping, MqttMapping)
    topics = st.one_of(st.text(max_size=40), st.sampled_from([s["topic"] for s in load_profile(name).samples]))
    json_ish = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                           max_size=4), max_leaves=12)

    @FUZZ
    @given(topic=topics, payload=st.one_of(st.binary(max_size=200),
                                           json_ish.map(lambda v: json.dumps(v).encode())))
    def check(topic: str, payload: bytes) -> None:
        with contextlib.suppress(DecodeError):
            assert isinstance(decode_payload(mapping, topic, payload), Reading)
        decoder = MqttLineDecoder(mapping)
        items = decoder.feed(topic.encode("utf-8", "replace") + b"\t" + payload + b"\n") + decoder.finish()
        assert all(isinstance(i, Reading | DecodeError) for i in items)

    check()


@pytest.mark.parametrize("name", MODBUS_PROFILES)
def test_register_decoding_raises_only_decode_error(name: str) -> None:
    rmap = load_profile(name).spec
    assert isinstance(rmap, RegisterMap)

    @FUZZ
    @given(blocks=st.lists(st.lists(st.integers(-5, 0x1_0005), max_size=12), max_size=4)
           | st.tuples(*[st.lists(st.integers(0, 0xFFFF), min_size=b.count, max_size=b.count)
                         for b in rmap.reads]).map(list))
    def check(blocks: list[list[int]]) -> None:
        with contextlib.suppress(DecodeError):
            decode_registers(rmap, blocks)

    check()


@FUZZ
@given(n=st.integers(-2, 6), byte=st.integers(-1, 300))
def test_dle_eot_accepts_exactly_the_valid_pattern(n: int, byte: int) -> None:
    try:
        status = decode_dle_eot(n, byte)
    except DecodeError:
        assert n not in (1, 2, 3, 4) or not 0 <= byte <= 255 or byte & 0x93 != 0x12
    else:
        assert isinstance(status, PrinterStatus) and byte & 0x93 == 0x12


@FUZZ
@given(byte=st.integers(0, 255), reply=st.binary(max_size=120))
def test_tspl_and_zpl_status_raise_only_decode_error(byte: int, reply: bytes) -> None:
    assert decode_tspl_status(byte).online is True
    with contextlib.suppress(DecodeError):
        assert isinstance(decode_host_status(reply), PrinterStatus)


@FUZZ
@given(text=st.one_of(st.text(max_size=60),
                      st.tuples(st.sampled_from(["]C1", "]E0", "]d2", "]Q3", "]e0", "]I1", "]A0", "]X", ""]),
                                st.text(alphabet="0123456789\x1d|ABC-", max_size=48)).map("".join)))
def test_scan_decoding_raises_only_decode_error(text: str) -> None:
    try:
        reading = decode_scan(text, ("\x1d", "|"))
    except DecodeError:
        return
    if reading.gtin is not None:  # whatever got through carries a valid mod-10 check digit
        digits = [int(c) for c in reading.gtin]
        total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
        assert (10 - total % 10) % 10 == digits[-1]


@FUZZ
@given(chunks=st.lists(st.binary(max_size=300), max_size=20))
def test_framer_buffer_stays_bounded(chunks: list[bytes]) -> None:
    framer = Framer([b"\r\n"], b"\x02", max_frame=64)
    for chunk in chunks:
        framer.feed(chunk)
        assert len(framer._buf) <= 64 + len(chunk)
