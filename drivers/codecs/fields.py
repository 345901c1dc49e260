"""Turn raw text values into typed reading attributes, as a profile's `fields:` map says.

Shared by the line and MQTT families: one place decides what "a temperature" or "a boolean"
looks like on the wire, which unit it is in, and what range makes it believable.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.errors import DecodeError, ProfileError
from drivers.readings import Reading, Scalar

_NUMBER = re.compile(r"\s*([-+]?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*?\s*")
# Degree sign as Latin-1 0xB0, CP437 0xF8 (read through Latin-1 as 'ø'), or the ordinal 0xBA.
_TEMPERATURE = re.compile(r"\s*([-+]?\s*(?:\d+\.?\d*|\.\d+))\s*[°øº]?\s*([CFcf])?\s*")
_MASS = re.compile(r"\s*([-+]?\s*(?:\d+\.?\d*|\.\d+))\s*([a-zA-Z]+)?\s*")
KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "t": 1000.0, "lb": 0.45359237}
_TRUE = ("1", "true", "yes", "on", "open", "y")
_FALSE = ("0", "false", "no", "off", "closed", "n", "")


@dataclass(frozen=True)
class FieldSpec:
    target: str
    source: str | None
    type: str = "float"
    unit: str = "C"
    unit_source: str | None = None
    decimals_source: str | None = None
    scale: float | None = None
    offset: float | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    when: tuple[str, re.Pattern[str]] | None = None
    value: Scalar = None
    template: str | None = None
    true_values: tuple[str, ...] = _TRUE
    false_values: tuple[str, ...] = _FALSE


def compile_fields(
    reading_type: type[Reading], raw: Mapping[str, Mapping[str, Any]], source_key: str
) -> tuple[FieldSpec, ...]:
    """Check targets against the reading type and compile each field spec."""
    names = {f.name for f in dataclasses.fields(reading_type)} - {"device_id", "extra", "probes"}
    has_probes = "probes" in {f.name for f in dataclasses.fields(reading_type)}
    out = []
    for target, spec in raw.items():
        where = f"fields.{target}"
        head = target.split(".", 1)[0]
        if "." in target and not (head == "extra" or (head == "probes" and has_probes)):
            raise ProfileError("", where, f"{reading_type.__name__} has no {head!r} map")
        if "." not in target and target not in names:
            raise ProfileError("", where, f"{reading_type.__name__} has no attribute {target!r}; "
                               f"use one of {sorted(names)} or extra.<name>")
        source = spec.get(source_key)
        kinds = sum(k in spec for k in (source_key, "value", "template"))
        if kinds != 1:
            raise ProfileError("", where, f"needs exactly one of {source_key}, value, template")
        when = None
        if "when" in spec:
            try:
                when = (spec["when"]["column"], re.compile(spec["when"]["matches"]))
            except re.error as exc:
                raise ProfileError("", f"{where}.when.matches", f"bad regex: {exc}") from exc
        valid = spec.get("valid", {})
        unit_source = spec.get("unit_column") or spec.get("unit_path")
        default_type = "temperature" if target.endswith("temperature_c") or head == "probes" else "float"
        kind = spec.get("type", "str" if target in ("sample_id", "scale") else default_type)
        out.append(FieldSpec(
            target=target,
            source=source,
            type=kind,
            unit=spec.get("unit", "kg" if kind == "mass" else "C"),
            unit_source=unit_source,
            decimals_source=spec.get("decimals_column"),
            scale=spec.get("scale"),
            offset=spec.get("offset"),
            min=valid.get("min"),
            max=valid.get("max"),
            required=spec.get("required", when is None),
            when=when,
            value=spec.get("value"),
            template=spec.get("template"),
            true_values=tuple(v.lower() for v in spec.get("true_values", _TRUE)),
            false_values=tuple(v.lower() for v in spec.get("false_values", _FALSE)),
        ))
    return tuple(out)


def _number(text: str, field: str) -> float:
    m = _NUMBER.fullmatch(text)
    if not m:
        raise DecodeError(f"not a number: {text.strip()!r}", field=field)
    value = float(m.group(1).replace(" ", ""))
    if not math.isfinite(value):
        raise DecodeError(f"not a finite number: {text.strip()!r}", field=field)
    return value


def convert(spec: FieldSpec, raw: Any, unit_hint: str | None, decimals: int = 0) -> Scalar:
    """Convert one raw value (text from a frame, or a JSON scalar) to the spec's type.

    `decimals` shifts the decimal point of frames that send digits only (scale indicators)."""
    field = spec.target
    if isinstance(raw, bool) and spec.type == "bool":
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = repr(raw)
    elif isinstance(raw, str):
        text = raw
    else:
        raise DecodeError(f"expected a scalar, got {type(raw).__name__}", field=field)
    if spec.type == "str":
        return text.strip()
    if spec.type == "bool":
        low = text.strip().lower()
        if low in spec.true_values:
            return True
        if low in spec.false_values:
            return False
        raise DecodeError(f"not a recognised boolean: {text.strip()!r}", field=field)
    if spec.type == "temperature":
        m = _TEMPERATURE.fullmatch(text)
        if not m:
            raise DecodeError(f"not a temperature: {text.strip()!r}", field=field)
        value = float(m.group(1).replace(" ", ""))
        unit = (m.group(2) or unit_hint or spec.unit).strip().upper()[:1]
        if unit not in ("C", "F"):
            raise DecodeError(f"unknown temperature unit {unit!r}", field=field)
        value = _scaled(spec, value)
        if unit == "F":
            value = (value - 32.0) * 5.0 / 9.0
        return _checked(spec, round(value, 4))
    if spec.type == "mass":
        return _mass(spec, text, unit_hint, decimals)
    value = _scaled(spec, _number(text, field) / 10 ** decimals)
    if spec.type == "int":
        if value != int(value):
            raise DecodeError(f"not an integer: {text.strip()!r}", field=field)
        return _checked(spec, int(value))
    return _checked(spec, round(value, 6))


def _mass(spec: FieldSpec, text: str, unit_hint: str | None, decimals: int) -> float:
    """A weight in kg, from a number with or without its unit (g, kg, t, lb)."""
    m = _MASS.fullmatch(text)
    if not m:
        raise DecodeError(f"not a weight: {text.strip()!r}", field=spec.target)
    unit = (m.group(2) or unit_hint or spec.unit).strip().lower()
    if unit not in KG_PER_UNIT:
        raise DecodeError(f"unknown weight unit {unit!r}", field=spec.target)
    value = _scaled(spec, float(m.group(1).replace(" ", "")) / 10 ** decimals)
    return _checked(spec, round(value * KG_PER_UNIT[unit], 6))


def _decimals(spec: FieldSpec, lookup: Callable[[str], Any], present: Callable[[str], bool]) -> int:
    if spec.decimals_source is None:
        return 0
    text = str(lookup(spec.decimals_source)).strip() if present(spec.decimals_source) else ""
    if not (len(text) == 1 and "0" <= text <= "9"):  # ASCII only: int() refuses "²", which isdigit() takes
        raise DecodeError(f"decimal count {text!r} is not one digit", field=spec.target)
    return int(text)


def _scaled(spec: FieldSpec, value: float) -> float:
    if spec.scale is not None:
        value *= spec.scale
    if spec.offset is not None:
        value += spec.offset
    return value


def _checked(spec: FieldSpec, value: float) -> float:
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise DecodeError(f"value {value} outside the valid range [{spec.min}, {spec.max}]",
                          field=spec.target)
    return value


def build_values(
    specs: tuple[FieldSpec, ...], lookup: Callable[[str], Any], present: Callable[[str], bool]
) -> dict[str, Any]:
    """Evaluate every field spec against a frame; returns reading kwargs (extra/probes nested).

    `lookup(name)` returns a raw value, `present(name)` says whether the frame carries it.
    """
    values: dict[str, Any] = {}
    extra: dict[str, Scalar] = {}
    probes: dict[str, Any] = {}
    for spec in specs:
        if spec.when is not None:
            col, pattern = spec.when
            if not present(col) or not pattern.search(str(lookup(col)).strip()):
                continue
        if spec.value is not None:
            result: Any = spec.value
        elif spec.template is not None:
            try:
                result = spec.template.format_map(_Strip(lookup, present))
            except (KeyError, IndexError, ValueError) as exc:
                raise DecodeError(f"template failed: {exc}", field=spec.target) from None
        else:
            assert spec.source is not None
            raw = lookup(spec.source) if present(spec.source) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if spec.required:
                    raise DecodeError("missing value", field=spec.target)
                result = None
            else:
                hint = None
                if spec.unit_source and present(spec.unit_source):
                    hint = str(lookup(spec.unit_source)).strip() or None
                result = convert(spec, raw, hint, _decimals(spec, lookup, present))
        head, _, name = spec.target.partition(".")
        if head == "extra" and name:
            extra[name] = result
        elif head == "probes" and name:
            probes[name] = result
        else:
            values[spec.target] = result
    if extra:
        values["extra"] = extra
    if probes:
        values["probes"] = probes
    return values


class _Strip(dict[str, Any]):
    def __init__(self, lookup: Callable[[str], Any], present: Callable[[str], bool]) -> None:
        super().__init__()
        self._lookup, self._present = lookup, present

    def __missing__(self, key: str) -> str:
        if not self._present(key):
            raise KeyError(key)
        return str(self._lookup(key)).strip()
