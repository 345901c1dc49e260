"""Site configuration: which device instances exist and where they are plugged.

The profile says what a device *type* speaks; the site file says where each *instance* is
(`/dev/serial/by-id/...`, unit id, host/port, topic) and what it is attached to (asset,
location). YAML or TOML, e.g.::

    mqtt: {host: 127.0.0.1, port: 1883, protocol: "5"}
    devices:
      - {id: refr-1, profile: atago-prm-2000a, port: /dev/serial/by-id/usb-FTDI_A1-if00-port0, location: QC bench}
      - {id: cold-3, profile: xy-md02, port: /dev/serial/by-id/usb-CH340_B2-if00-port0, unit_id: 3}
      - {id: room-2, profile: tasmota-si7021, topic: tele/coldroom2/SENSOR, asset: cold room 2}
      - {id: label-1, profile: escpos-network, host: 10.1.2.30, tcp_port: 9100}
      - {id: cam-1, driver: camera, camera: {source: 0}}
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from drivers.errors import DriverError


class SiteError(DriverError):
    """A site configuration that cannot be used; names the file and the offending entry."""


class BrokerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    protocol: Literal["5", "3.1.1"] = "5"
    username: str | None = None
    password: str | None = None


class CameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: int | str = 0
    interval_s: float = Field(0.2, gt=0)
    dedupe_s: float = Field(2.0, ge=0)


class DeviceConfig(BaseModel):
    """One device instance. Link fields override the profile's transport defaults."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    profile: str | None = None
    driver: Literal["auto", "camera"] = "auto"
    enabled: bool = True
    port: str | None = None
    host: str | None = None
    tcp_port: int | None = Field(None, ge=1, le=65535)
    unit_id: int | None = Field(None, ge=0, le=247)
    topic: str | None = None
    serial: dict[str, Any] = Field(default_factory=dict)
    poll_interval_s: float | None = Field(None, gt=0)
    timeout_s: float | None = Field(None, gt=0)
    stale_after_s: float | None = Field(None, gt=0)
    camera: CameraConfig | None = None
    asset: str | None = None
    location: str | None = None

    @model_validator(mode="after")
    def _link(self) -> DeviceConfig:
        if self.driver == "camera":
            if self.camera is None:
                self.camera = CameraConfig.model_validate({})
            return self
        if self.profile is None:
            raise ValueError("a device needs a profile (or driver: camera)")
        if self.port is not None and self.host is not None:
            raise ValueError("give either port (serial) or host (network), not both")
        return self


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mqtt: BrokerConfig | None = None
    profile_dirs: list[str] = Field(default_factory=list)
    devices: list[DeviceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> SiteConfig:
        seen: set[str] = set()
        for dev in self.devices:
            if dev.id in seen:
                raise ValueError(f"device id {dev.id!r} is used twice")
            seen.add(dev.id)
        return self

    def device(self, device_id: str) -> DeviceConfig:
        for dev in self.devices:
            if dev.id == device_id:
                return dev
        raise KeyError(device_id)

    def dump(self, path: str | Path) -> None:
        """Write as YAML (used by `sim start` to point drivers at the simulators)."""
        data = self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        Path(path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def parse_site(data: Any, where: str = "<site>") -> SiteConfig:
    try:
        return SiteConfig.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors())
        raise SiteError(f"{where}: {problems}") from None


def load_site(path: str | Path) -> SiteConfig:
    """Read a site file (.yaml/.yml/.toml) and validate it; SiteError names file and field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(f"{p}: cannot read: {exc}") from exc
    try:
        data = tomllib.loads(text) if p.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise SiteError(f"{p}: not valid {'TOML' if p.suffix == '.toml' else 'YAML'}: {exc}") from exc
    return parse_site(data, str(p))
