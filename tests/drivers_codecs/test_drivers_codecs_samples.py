"""Every sample trace a shipped profile documents (they are hardware.md §7's traces) decodes to
the documented values, and every negative sample is rejected with the documented reason."""

from __future__ import annotations

from typing import Any

import pytest

from drivers.codecs.mqtt import MqttMapping, decode_payload
from drivers.errors import DecodeError
from drivers.profiles import list_profiles, load_profile
from drivers.readings import Reading

PROFILES = list_profiles()
CASES = [(name, i) for name in PROFILES for i in range(len(load_profile(name).samples))]


def sample_bytes(sample: dict[str, Any]) -> bytes:
    return bytes.fromhex(sample["hex"]) if "hex" in sample else sample["input"].encode("latin-1")


def decode_sample(name: str, sample: dict[str, Any]) -> list[Reading | DecodeError]:
    profile = load_profile(name)
    if isinstance(profile.spec, MqttMapping):
        try:
            return [decode_payload(profile.spec, sample["topic"], sample["input"].encode("utf-8"))]
        except DecodeError as exc:
            return [exc]
    decoder = profile.make_decoder()
    return decoder.feed(sample_bytes(sample)) + decoder.finish()


def assert_matches(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, float) or (isinstance(expected, int) and isinstance(actual, float)):
        assert actual == pytest.approx(expected, abs=1e-6), where
    else:
        assert actual == expected, where


def test_shipped_profiles_cover_the_issue() -> None:
    kinds = [load_profile(n).kind for n in PROFILES]
    assert kinds.count("refractometer") >= 3
    assert kinds.count("climate") >= 3
    assert kinds.count("scanner") >= 2
    assert kinds.count("printer") >= 2
    for name in PROFILES:
        p = load_profile(name)
        assert p.samples, f"{name} documents no sample trace"
        assert p.source and p.confidence


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}#{i}" for n, i in CASES])
def test_profile_sample(name: str, index: int) -> None:
    sample = dict(load_profile(name).samples[index])
    items = decode_sample(name, sample)
    if "error" in sample:
        errors = [i for i in items if isinstance(i, DecodeError)]
        assert errors, f"expected a rejection, got {items}"
        assert any(sample["error"] in e.reason for e in errors), [e.reason for e in errors]
    else:
        assert [i for i in items if isinstance(i, DecodeError)] == []
        assert len(items) == 1, items
        assert_matches(items[0].to_json(), sample["expect"], name)


@pytest.mark.parametrize("name", [n for n in PROFILES if load_profile(n).family != "mqtt"])
def test_samples_decode_the_same_one_byte_at_a_time(name: str) -> None:
    """Chunking is the transport's business: a trace fed byte by byte gives the same items."""
    profile = load_profile(name)
    for sample in profile.samples:
        data = sample_bytes(dict(sample))
        whole = profile.make_decoder()
        expected = whole.feed(data) + whole.finish()
        dribble = profile.make_decoder()
        got: list[Any] = []
        for i in range(len(data)):
            got += dribble.feed(data[i: i + 1])
        got += dribble.finish()
        assert [x.to_json() for x in got] == [x.to_json() for x in expected]
