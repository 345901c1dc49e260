"""A wrong profile fails at load, naming its file and the field, never later on a live frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import DriverError, ProfileError
from drivers.profiles import builtin_profile_dir, list_profiles, load_profile

BASE = """
kind: climate
vendor: V
model: M
source: s
confidence: c
codec:
  family: modbus
  registers:
    temperature_c: {function: 4, address: 1, type: int16, scale: 0.1}
"""


def write(tmp_path: Path, text: str, name: str = "dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "field", "words"), [
    (("type: int16", "type: int17"), "codec.registers.temperature_c.type", "is not one of"),
    (("function: 4", "function: 9"), "codec.registers.temperature_c.function", "is not one of"),
    (("address: 1", "address: -1"), "codec.registers.temperature_c.address", "less than the minimum"),
    (("kind: climate", "kind: toaster"), "kind", "is not one of"),
    (("vendor: V\n", ""), "", "'vendor' is a required property"),
    (("temperature_c:", "temprature_c:"), "codec.registers.temprature_c", "not a climate attribute"),
    (("family: modbus", "family: modbuss"), "codec.family", "is not one of"),
    (("scale: 0.1}", "scale: 0.1, colour: red}"), "codec.registers.temperature_c", "colour"),
])
def test_schema_and_semantic_errors_name_file_and_field(tmp_path: Path, change: tuple[str, str], field: str,
                                                         words: str) -> None:
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert words in err.reason
    assert str(path) in str(err) and not err.retryable and isinstance(err, DriverError)


LINE = """
kind: refractometer
vendor: V
model: M
source: s
confidence: c
codec:
  family: line
  layout: {type: regex, pattern: '(?P<b>[0-9.]+),(?P<t>[0-9.]+)'}
  fields:
    brix: {column: b}
    temperature_c: {column: t}
"""


@pytest.mark.parametrize(("change", "field", "words"), [
    (("(?P<b>[0-9.]+),", "(?P<b>[0-9.]+,"), "codec.layout.pattern", "bad regex"),
    (("{column: t}", "{column: tt}"), "codec.fields.temperature_c.column", "no column 'tt'"),
    (("brix: {column: b}", "brixx: {column: b}"), "codec.fields.brixx", "no attribute 'brixx'"),
    (("brix: {column: b}", "brix: {column: b, value: 3}"), "codec.fields.brix", "exactly one of"),
    (("family: line", "family: line\n  framing: {end: \"\\u20ac\"}"), "codec.framing.end", "not a single byte"),
    (("family: line", "family: line\n  encoding: klingon"), "codec.encoding", "unknown encoding"),
])
def test_line_profile_errors_name_the_field(tmp_path: Path, change: tuple[str, str], field: str, words: str) -> None:
    path = write(tmp_path, LINE.replace(*change))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (info.value.path, info.value.field) == (str(path), field)
    assert words in info.value.reason


def test_unreadable_files_are_profile_errors(tmp_path: Path) -> None:
    for text, words in (("kind: [unclosed", "invalid YAML"), ("- just\n- a list\n", "is not of type 'object'")):
        path = write(tmp_path, text)
        with pytest.raises(ProfileError, match=words):
            load_profile(path)
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "absent.yaml")
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        load_profile("nope", [tmp_path])
    mismatch = write(tmp_path, BASE + "name: other\n", "right.yaml")
    with pytest.raises(ProfileError) as info:
        load_profile(mismatch)
    assert info.value.field == "name"


def test_site_directory_shadows_a_shipped_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_profile("xy-md02")
    assert shipped.path.parent == builtin_profile_dir()
    override = (builtin_profile_dir() / "xy-md02.yaml").read_text(encoding="utf-8").replace(
        "parity: N", "parity: E")
    write(tmp_path, override, "xy-md02.yaml")
    monkeypatch.setenv("HAOLIN_PROFILE_DIRS", str(tmp_path))
    site = load_profile("xy-md02")
    assert site.path.parent == tmp_path
    assert site.transport.serial is not None and site.transport.serial.parity == "E"
    assert list_profiles().count("xy-md02") == 1


def test_every_shipped_profile_loads() -> None:
    names = list_profiles()
    assert len(names) >= 10
    for name in names:
        assert load_profile(name).name == name
