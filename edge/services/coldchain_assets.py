"""Cold-chain configuration: assets, their sensors and bands, applied whole or not at all.

A configuration document (YAML/TOML file, or the supervisor's API) lists assets (kind, class,
optional own band, alarm levels and timers, dedicated SKUs, who is notified when), sensors
(device + probe on an asset, with a calibration offset), per-SKU bands and notification routes.
Reading it back gives each asset its alarm rule with the effective band: the class (or own) band
narrowed by the bands of the SKUs it holds; levels left out are the class defaults (levels.py).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.domain.coldchain.alarm_engine import AlarmRule
from edge.domain.coldchain.bands import Band, BandConflict, class_band, effective_band
from edge.domain.coldchain.levels import Level, Severity, class_levels
from edge.domain.problems import InputRejected, Problem, problems_from_validation
from edge.store import Store
from hq_sync import protocol as hq

TempClass = Literal["chilled", "frozen", "ambient"]
AssetKind = Literal["cold_room", "freezer", "truck_compartment"]
_ID = r"^[A-Za-z0-9_.:-]+$"


class LevelSpec(BaseModel):
    """One alarm level: `beyond_c` K out of band for `for_s` seconds, or a dose of `degree_minutes`."""

    model_config = ConfigDict(extra="forbid")
    severity: Severity
    beyond_c: float = Field(default=0.0, ge=0, le=60)
    for_s: int | None = Field(default=None, ge=0, le=7 * 86_400)
    degree_minutes: float | None = Field(default=None, gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _one_trigger(self) -> LevelSpec:
        if (self.for_s is None) == (self.degree_minutes is None):
            raise ValueError("give either for_s (with beyond_c) or degree_minutes")
        return self

    def level(self) -> Level:
        return Level(self.severity, self.beyond_c, None if self.for_s is None else float(self.for_s),
                     self.degree_minutes)


class NotifyStepSpec(BaseModel):
    """Notify `route` when an alarm of at least `min_severity` has been open `after_s`; again every
    `repeat_s` until someone acknowledges it (0: once)."""

    model_config = ConfigDict(extra="forbid")
    route: str = Field(min_length=1, max_length=64, pattern=_ID)
    after_s: int = Field(default=0, ge=0, le=86_400)
    min_severity: Severity = Severity.WARNING
    repeat_s: int = Field(default=1800, ge=0, le=86_400)


class NotifyRouteSpec(BaseModel):
    """A WeCom (企业微信) group robot or a generic JSON webhook; `mentions` are WeCom mobile numbers."""

    model_config = ConfigDict(extra="forbid")
    route_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    channel: Literal["wecom", "webhook"]
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    mentions: list[str] = Field(default_factory=list, max_length=50)


class AssetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asset_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    kind: AssetKind
    name: str = Field(min_length=1, max_length=200)
    temp_class: TempClass
    band_low_c: float | None = Field(default=None, ge=-60, le=60)
    band_high_c: float | None = Field(default=None, ge=-60, le=60)
    vehicle_id: str | None = None
    levels: list[LevelSpec] | None = Field(default=None, min_length=1, max_length=10)
    verify_normal_s: int = Field(default=300, ge=0, le=86_400)
    hysteresis_c: float = Field(default=1.0, ge=0, le=20)
    heartbeat_s: int = Field(default=300, gt=0, le=86_400)
    startup_s: int = Field(default=600, ge=0, le=86_400)
    door_limit_s: int = Field(default=600, ge=0, le=86_400)
    door_recovery_s: int = Field(default=300, ge=0, le=86_400)
    skus: list[str] = Field(default_factory=list)
    notify: list[NotifyStepSpec] | None = Field(default=None, max_length=10)
    active: bool = True

    @model_validator(mode="after")
    def _band(self) -> AssetSpec:
        if self.band_low_c is not None and self.band_high_c is not None and self.band_low_c > self.band_high_c:
            raise ValueError(f"band_low_c {self.band_low_c} is above band_high_c {self.band_high_c}")
        return self

    def rule(self, sku_bands: Iterable[Band]) -> AlarmRule:
        """The alarm rule: own or class band narrowed by the SKUs' bands, own or class levels."""
        own = class_band(self.temp_class) if self.band_low_c is None and self.band_high_c is None \
            else Band(self.band_low_c, self.band_high_c)
        levels = tuple(x.level() for x in self.levels) if self.levels else class_levels(self.temp_class)
        return AlarmRule(effective_band(own, sku_bands), levels, verify_normal_s=float(self.verify_normal_s),
                         hysteresis_c=self.hysteresis_c, heartbeat_s=float(self.heartbeat_s),
                         startup_s=float(self.startup_s), door_limit_s=float(self.door_limit_s),
                         door_recovery_s=float(self.door_recovery_s))


class SensorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sensor_id: str = Field(min_length=1, max_length=100, pattern=_ID)
    asset_id: str = Field(min_length=1)
    device_id: str = Field(min_length=1, pattern=_ID)
    probe: str = ""
    calibration_offset_c: float = Field(default=0.0, ge=-10, le=10)
    calibrated_on: dt.date | None = None
    active: bool = True


class SkuBandSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: str = Field(min_length=1)
    low_c: float | None = Field(default=None, ge=-60, le=60)
    high_c: float | None = Field(default=None, ge=-60, le=60)
    note: str = ""

    @model_validator(mode="after")
    def _band(self) -> SkuBandSpec:
        if self.low_c is None and self.high_c is None:
            raise ValueError("a SKU band needs low_c, high_c or both")
        if self.low_c is not None and self.high_c is not None and self.low_c > self.high_c:
            raise ValueError(f"low_c {self.low_c} is above high_c {self.high_c}")
        return self


class ColdChainSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assets: list[AssetSpec] = Field(default_factory=list)
    sensors: list[SensorSpec] = Field(default_factory=list)
    sku_bands: list[SkuBandSpec] = Field(default_factory=list)
    notify_routes: list[NotifyRouteSpec] = Field(default_factory=list)
    default_notify: list[NotifyStepSpec] | None = Field(default=None, max_length=10)


def parse_spec(data: Any, what: str = "cold-chain configuration") -> ColdChainSpec:
    try:
        return ColdChainSpec.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise InputRejected(problems_from_validation(exc), what) from None


def load_spec_file(path: Path) -> ColdChainSpec:
    """A configuration file (.yaml/.yml/.toml); InputRejected names the file and each bad field."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InputRejected([Problem("(file)", f"cannot read {path}: {exc}")], str(path)) from None
    return parse_spec(data, str(path))


def _check_references(store: Store, spec: ColdChainSpec) -> list[Problem]:
    known_assets = {r[0] for r in store.conn.execute("SELECT asset_id FROM cold_assets")}
    known_assets |= {a.asset_id for a in spec.assets}
    skus = {r[0] for r in store.conn.execute("SELECT sku_id FROM skus")}
    problems = []
    for i, asset in enumerate(spec.assets):
        problems += [Problem(f"assets[{i}].skus[{j}]", f"unknown SKU {s!r}")
                     for j, s in enumerate(asset.skus) if s not in skus]
    for i, sensor in enumerate(spec.sensors):
        if sensor.asset_id not in known_assets:
            problems.append(Problem(f"sensors[{i}].asset_id", f"unknown asset {sensor.asset_id!r}"))
    for i, band in enumerate(spec.sku_bands):
        if band.sku_id not in skus:
            problems.append(Problem(f"sku_bands[{i}].sku_id", f"unknown SKU {band.sku_id!r}"))
    routes = {r[0] for r in store.conn.execute("SELECT route_id FROM cold_notify_routes")}
    routes |= {r.route_id for r in spec.notify_routes}
    steps = [(f"assets[{i}].notify[{j}].route", step) for i, a in enumerate(spec.assets)
             for j, step in enumerate(a.notify or [])]
    steps += [(f"default_notify[{j}].route", step) for j, step in enumerate(spec.default_notify or [])]
    problems += [Problem(path, f"unknown notification route {step.route!r}") for path, step in steps
                 if step.route not in routes]
    return problems


def apply_spec(store: Store, spec: ColdChainSpec, *, actor: str, now: dt.datetime,
               device_id: str | None = None) -> dict[str, int]:
    """Upsert assets, SKU bands and sensors in one transaction; every asset's band must stay satisfiable."""
    problems = _check_references(store, spec)
    if problems:
        raise InputRejected(problems, "cold-chain configuration")
    with store.write(actor, now, device_id) as w:
        for route in spec.notify_routes:
            w.conn.execute(
                "INSERT INTO cold_notify_routes VALUES (?, ?, ?, ?, ?) ON CONFLICT (route_id) DO UPDATE SET"
                " channel = excluded.channel, url = excluded.url, mentions = excluded.mentions,"
                " updated_at = excluded.updated_at",
                (route.route_id, route.channel, route.url, json.dumps(route.mentions), w.now_text))
        if spec.default_notify is not None:
            w.conn.execute(
                "INSERT INTO cold_settings VALUES ('default_notify', ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " value = excluded.value, updated_at = excluded.updated_at",
                (json.dumps([s.model_dump(mode="json") for s in spec.default_notify]), w.now_text))
        for band in spec.sku_bands:
            w.conn.execute(
                "INSERT INTO cold_sku_bands (sku_id, low_c, high_c, note, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (sku_id) DO UPDATE SET low_c = excluded.low_c, high_c = excluded.high_c,"
                " note = excluded.note, updated_at = excluded.updated_at",
                (band.sku_id, band.low_c, band.high_c, band.note, w.now_text))
        for asset in spec.assets:
            row = asset.model_dump(mode="json", exclude={"skus", "active"})
            row.update(active=int(asset.active), updated_at=w.now_text,
                       levels=None if asset.levels is None else json.dumps(row["levels"]),
                       notify=None if asset.notify is None else json.dumps(row["notify"]))
            w.db["cold_assets"].upsert(row, pk="asset_id")  # type: ignore[union-attr]
            w.conn.execute("DELETE FROM cold_asset_skus WHERE asset_id = ?", (asset.asset_id,))
            w.conn.executemany("INSERT INTO cold_asset_skus VALUES (?, ?)",
                               [(asset.asset_id, sku) for sku in dict.fromkeys(asset.skus)])
        for sensor in spec.sensors:
            w.conn.execute(
                "INSERT INTO cold_sensors (sensor_id, asset_id, device_id, probe, calibration_offset_c,"
                " calibrated_on, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (sensor_id) DO UPDATE SET asset_id = excluded.asset_id,"
                " device_id = excluded.device_id, probe = excluded.probe,"
                " calibration_offset_c = excluded.calibration_offset_c, calibrated_on = excluded.calibrated_on,"
                " active = excluded.active, updated_at = excluded.updated_at",
                (sensor.sensor_id, sensor.asset_id, sensor.device_id, sensor.probe, sensor.calibration_offset_c,
                 sensor.calibrated_on.isoformat() if sensor.calibrated_on else None, int(sensor.active),
                 w.now_text))
        bad = [Problem(f"assets.{asset_id}", str(err)) for asset_id, err in _band_conflicts(w.conn)]
        if bad:
            raise InputRejected(bad, "cold-chain configuration")
        w.emit(hq.ColdChainConfiguredPayload(
            assets=[a.asset_id for a in spec.assets], sensors=[s.sensor_id for s in spec.sensors],
            sku_bands=[b.sku_id for b in spec.sku_bands]), "coldchain")
    return {"assets": len(spec.assets), "sensors": len(spec.sensors), "sku_bands": len(spec.sku_bands)}


@dataclass(frozen=True)
class AssetInfo:
    asset_id: str
    kind: str
    name: str
    temp_class: str
    vehicle_id: str | None
    rule: AlarmRule
    notify: list[NotifyStepSpec] | None


@dataclass(frozen=True)
class SensorInfo:
    sensor_id: str
    asset_id: str
    device_id: str
    probe: str
    calibration_offset_c: float


def _own_band(row: Any) -> Band:
    if row["band_low_c"] is None and row["band_high_c"] is None:
        return class_band(row["temp_class"])
    return Band(row["band_low_c"], row["band_high_c"])


def _sku_bands(conn: Any, asset_id: str) -> list[Band]:
    rows = conn.execute("SELECT b.low_c, b.high_c FROM cold_asset_skus a JOIN cold_sku_bands b USING (sku_id)"
                        " WHERE a.asset_id = ?", (asset_id,))
    return [Band(low, high) for low, high in rows]


def _band_conflicts(conn: Any) -> list[tuple[str, BandConflict]]:
    out = []
    for row in conn.execute("SELECT * FROM cold_assets"):
        try:
            effective_band(_own_band(row), _sku_bands(conn, row["asset_id"]))
        except BandConflict as exc:
            out.append((row["asset_id"], exc))
    return out


def sku_band(store: Store, sku_id: str) -> Band | None:
    row = store.conn.execute("SELECT low_c, high_c FROM cold_sku_bands WHERE sku_id = ?", (sku_id,)).fetchone()
    return None if row is None else Band(row[0], row[1])


def assets(store: Store) -> dict[str, AssetInfo]:
    """Active assets with their alarm rule (effective band included)."""
    out = {}
    for row in store.conn.execute("SELECT * FROM cold_assets WHERE active = 1 ORDER BY asset_id"):
        fields = {k: v for k, v in dict(row).items() if k in AssetSpec.model_fields}
        fields["levels"] = json.loads(row["levels"]) if row["levels"] else None
        fields["notify"] = json.loads(row["notify"]) if row["notify"] else None
        spec = AssetSpec.model_validate(fields)
        out[row["asset_id"]] = AssetInfo(row["asset_id"], row["kind"], row["name"], row["temp_class"],
                                         row["vehicle_id"], spec.rule(_sku_bands(store.conn, row["asset_id"])),
                                         spec.notify)
    return out


def sensors(store: Store) -> dict[str, SensorInfo]:
    """Active sensors on active assets."""
    rows = store.conn.execute(
        "SELECT s.sensor_id, s.asset_id, s.device_id, s.probe, s.calibration_offset_c FROM cold_sensors s"
        " JOIN cold_assets a USING (asset_id) WHERE s.active = 1 AND a.active = 1 ORDER BY s.sensor_id")
    return {r[0]: SensorInfo(*r) for r in rows}


def sensors_from_site(devices: list[Any], known_assets: set[str]) -> list[SensorSpec]:
    """A sensor per site device that names a known cold asset (`asset:` in the site file)."""
    return [SensorSpec(sensor_id=d.id, asset_id=d.asset, device_id=d.id)
            for d in devices if getattr(d, "asset", None) in known_assets]

