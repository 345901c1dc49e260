"""Typed readings: what a decoded frame means, independent of the device that sent it.

Every reading carries `device_id` (set by the caller that knows the instance; codecs leave it
None) and `event_time`, the device's own UTC time, or None when the device sends none (the
receiver then stamps its receive time; it is never guessed here). Values the frame did not
carry are None, never a default that could be mistaken for a measurement.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

Scalar = str | int | float | bool | None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Reading:
    """Common part of every reading."""

    kind: ClassVar[str] = "reading"
    device_id: str | None = None
    event_time: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: `type` first, datetimes/dates as ISO 8601 strings."""
        out: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    def with_device(self, device_id: str) -> Reading:
        """The same reading attributed to a configured device instance."""
        return dataclasses.replace(self, device_id=device_id)


@dataclass(frozen=True, kw_only=True)
class BrixReading(Reading):
    """A refractometer result: Brix (%), the instrument's temperature, and what it said about it."""

    kind: ClassVar[str] = "brix"
    brix: float | None = None
    temperature_c: float | None = None
    temperature_compensated: bool | None = None
    sample_id: str | None = None
    nd: float | None = None
    concentration: float | None = None
    scale: str | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ClimateReading(Reading):
    """A cold-chain sample. `probes` holds every named probe (None = probe absent or faulty);
    `faults` says why a value is missing, so a sentinel never turns into a temperature."""

    kind: ClassVar[str] = "climate"
    temperature_c: float | None = None
    humidity_pct: float | None = None
    door_open: bool | None = None
    battery_pct: float | None = None
    probes: Mapping[str, float | None] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    extra: Mapping[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ScanReading(Reading):
    """One scanned code. `data` is the payload without AIM prefix and suffix; GS1 fields are
    filled only for GS1 content, with check digits already verified."""

    kind: ClassVar[str] = "scan"
    raw: str
    data: str
    symbology_id: str | None = None
    symbology: str | None = None
    gs1: bool = False
    gtin: str | None = None
    lot: str | None = None
    expiry: date | None = None
    best_before: date | None = None
    net_weight_g: int | None = None
    sscc: str | None = None
    serial: str | None = None
    ais: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PrinterStatus(Reading):
    """Printer state. None means "not reported by this reply" (a DLE EOT byte answers only part
    of the question; silence answers nothing), so partial statuses can be merged."""

    kind: ClassVar[str] = "printer_status"
    online: bool | None = None
    cover_open: bool | None = None
    paper_near_end: bool | None = None
    paper_out: bool | None = None
    error: bool | None = None
    paused: bool | None = None
    head_up: bool | None = None
    ribbon_out: bool | None = None
    detail: tuple[str, ...] = ()

    def merge(self, newer: PrinterStatus) -> PrinterStatus:
        """Fields the newer reply reports override; unreported ones keep what we knew."""
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(newer, f.name)
            if f.name == "detail":
                changes[f.name] = tuple(dict.fromkeys(self.detail + newer.detail))
            elif value is not None:
                changes[f.name] = value
        return dataclasses.replace(self, **changes)

    @property
    def ready(self) -> bool | None:
        """True when the printer can take a job, None when the statuses seen cannot tell."""
        bad = (self.cover_open, self.paper_out, self.error, self.paused, self.head_up, self.ribbon_out)
        if any(v is True for v in bad) or self.online is False:
            return False
        if self.online is None or self.paper_out is None:
            return None
        return True


@dataclass(frozen=True, kw_only=True)
class WeightReading(Reading):
    """A scale's displayed weight in kg. `stable` False means the pan is still moving (never book it);
    None means the frame cannot tell. `net` True is net of tare, False gross, None unknown, so a
    tare already applied by the indicator is never subtracted twice."""

    kind: ClassVar[str] = "weight"
    weight_kg: float | None = None
    stable: bool | None = None
    net: bool | None = None
    tare_kg: float | None = None
    overload: bool | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)


READING_TYPES: dict[str, type[Reading]] = {
    "refractometer": BrixReading,
    "scale": WeightReading,
    "climate": ClimateReading,
    "scanner": ScanReading,
    "printer": PrinterStatus,
}
