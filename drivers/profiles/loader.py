"""Find, read and validate firmware profiles.

A profile is one YAML file per vendor/model/firmware range. It is checked against
`schema.json` and then compiled (regexes, register maps, topic patterns) at load, so a wrong
profile fails when it is loaded, naming its file and the field, never later on a live frame.
Search order: explicit directories, then `HAOLIN_PROFILE_DIRS` (os.pathsep-separated), then
the shipped `firmware_profiles/`; the first file named `<name>.yaml` wins, so a site can
override or add a profile without code.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import jsonschema
import yaml

from drivers.codecs import compile_codec
from drivers.codecs.base import CodecSpec, Decoder, text_bytes
from drivers.codecs.line import LineSpec
from drivers.codecs.modbus import RegisterMap
from drivers.codecs.mqtt import MqttMapping
from drivers.codecs.printer import PrinterSpec
from drivers.codecs.scanner import ScannerSpec
from drivers.errors import ProfileError
from drivers.serial_settings import SerialSettings

ENV_VAR = "HAOLIN_PROFILE_DIRS"
_S = TypeVar("_S")
_SUFFIXES = (".yaml", ".yml")


def builtin_profile_dir() -> Path:
    """The shipped profiles: the `firmware_profiles` package, in a checkout or an installed node alike."""
    spec = importlib.util.find_spec("firmware_profiles")
    if spec is None or not spec.submodule_search_locations:
        raise ProfileError("firmware_profiles", "", "the shipped profiles are not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def profile_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    dirs = [Path(d) for d in extra]
    dirs += [Path(d) for d in os.environ.get(ENV_VAR, "").split(os.pathsep) if d.strip()]
    dirs.append(builtin_profile_dir())
    return dirs


@dataclass(frozen=True)
class ModbusSettings:
    framer: Literal["rtu", "tcp"] = "rtu"
    unit_id: int = 1
    port: int = 502
    timeout_s: float = 1.0


@dataclass(frozen=True)
class MqttSettings:
    subscribe: tuple[str, ...] = ()
    protocol: Literal["3.1.1", "5"] = "5"
    qos: int = 0


@dataclass(frozen=True)
class TransportDefaults:
    """Link defaults for the device type; the site configuration may override any of them."""

    serial: SerialSettings | None = None
    modbus: ModbusSettings | None = None
    mqtt: MqttSettings | None = None
    tcp_port: int | None = None
    mode: Literal["stream", "request"] = "stream"
    request: bytes | None = None
    poll_interval_s: float | None = None
    timeout_s: float = 2.0


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    kind: str
    vendor: str
    model: str
    firmware: str
    source: str
    confidence: str
    notes: str
    transport: TransportDefaults
    codec: Mapping[str, Any]
    samples: tuple[Mapping[str, Any], ...] = ()
    spec: CodecSpec = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    @property
    def family(self) -> str:
        return str(self.codec["family"])

    def make_decoder(self) -> Decoder:
        """A fresh streaming decoder (its own buffer) for one device instance."""
        return self.spec.decoder()

    def _spec_as(self, cls: type[_S]) -> _S:
        if not isinstance(self.spec, cls):
            raise ProfileError(str(self.path), "codec.family", f"is {self.family!r}, not a {cls.__name__} family")
        return self.spec

    def register_map(self) -> RegisterMap:
        return self._spec_as(RegisterMap)

    def mqtt_mapping(self) -> MqttMapping:
        return self._spec_as(MqttMapping)

    def line_spec(self) -> LineSpec:
        return self._spec_as(LineSpec)

    def scanner_spec(self) -> ScannerSpec:
        return self._spec_as(ScannerSpec)

    def printer_spec(self) -> PrinterSpec:
        return self._spec_as(PrinterSpec)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_error(path: str, doc: Any) -> ProfileError | None:
    errors = list(_validator().iter_errors(doc))
    if not errors:
        return None
    # The deepest error names the precise field; ties go to the first reported.
    best = max(errors, key=lambda e: len(e.absolute_path))
    while best.context:  # oneOf/anyOf: descend to the sub-error nearest the leaf
        best = max(best.context, key=lambda e: len(e.absolute_path))
    return ProfileError(path, _field_path(best.absolute_path), best.message)


def _transport(raw: Mapping[str, Any], path: str) -> TransportDefaults:
    request = raw.get("request")
    try:
        req_bytes = text_bytes(request, "transport.request") if request is not None else None
    except ProfileError as exc:
        raise ProfileError(path, exc.field, exc.reason) from None
    mqtt = raw.get("mqtt")
    return TransportDefaults(
        serial=SerialSettings.from_mapping(raw["serial"]) if "serial" in raw else None,
        modbus=ModbusSettings(**raw["modbus"]) if "modbus" in raw else None,
        mqtt=MqttSettings(
            subscribe=tuple(mqtt.get("subscribe", ())),
            **{k: v for k, v in mqtt.items() if k != "subscribe"},
        )
        if mqtt is not None
        else None,
        tcp_port=raw.get("tcp", {}).get("port"),
        mode=raw.get("mode", "stream"),
        request=req_bytes,
        poll_interval_s=raw.get("poll_interval_s"),
        timeout_s=raw.get("timeout_s", 2.0),
    )


def load_profile_file(path: str | Path) -> Profile:
    p = Path(path)
    where = str(p)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(where, "", f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(where, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(where, "", f"invalid YAML: {exc}") from exc
    if (err := _schema_error(where, doc)) is not None:
        raise err
    stem = p.stem
    if doc.get("name", stem) != stem:
        raise ProfileError(where, "name", f"{doc['name']!r} differs from the file name {stem!r}")
    try:
        spec = compile_codec(doc["kind"], doc["codec"])
    except ProfileError as exc:
        raise ProfileError(where, _field_path(["codec", *exc.field.split(".")]), exc.reason) from None
    return Profile(
        name=stem,
        path=p,
        kind=doc["kind"],
        vendor=doc["vendor"],
        model=doc["model"],
        firmware=doc.get("firmware", "any"),
        source=doc["source"],
        confidence=doc["confidence"],
        notes=doc.get("notes", ""),
        transport=_transport(doc.get("transport", {}), where),
        codec=doc["codec"],
        samples=tuple(doc.get("samples", ())),
        spec=spec,
    )


def _find(name: str, dirs: Sequence[Path]) -> Path | None:
    for d in dirs:
        for suffix in _SUFFIXES:
            candidate = d / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_profile(name_or_path: str | Path, dirs: Iterable[str | Path] = ()) -> Profile:
    """Load a profile by name (searched in `profile_dirs(dirs)`) or by file path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(_SUFFIXES) or os.sep in text:
        return load_profile_file(name_or_path)
    found = _find(text, profile_dirs(dirs))
    if found is None:
        searched = ", ".join(str(d) for d in profile_dirs(dirs))
        raise ProfileError(text, "", f"no profile named {text!r} in {searched}")
    return load_profile_file(found)


def list_profiles(dirs: Iterable[str | Path] = ()) -> list[str]:
    """Names of every profile visible from the search path (earlier directories shadow later)."""
    names: set[str] = set()
    for d in profile_dirs(dirs):
        if d.is_dir():
            names.update(p.stem for p in d.iterdir() if p.suffix in _SUFFIXES and p.is_file())
    return sorted(names)
