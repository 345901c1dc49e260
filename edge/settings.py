"""One settings object for the node: embedded defaults, a TOML file, then `HAOLIN_*` variables.

The embedded default needs no file at all, so `haolin-edge demo` runs on a fresh machine.
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from edge.services.telemetry import Retention
from edge.services.uplink_config import UplinkSettings

CONFIG_FILE_VARIABLE = "HAOLIN_CONFIG"
_config_file: ContextVar[Path | None] = ContextVar("haolin_config_file", default=None)


class Settings(BaseSettings):
    """Where the node keeps its data, what it listens on, and who it talks to."""

    model_config = SettingsConfigDict(env_prefix="HAOLIN_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=Path("data"), description="SQLite database, logs, spool")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535, description="plain HTTP: only CA enrolment, else a redirect")
    https_port: int = Field(default=8443, ge=0, le=65535, description="API and pages over TLS")
    tls_names: Annotated[list[str] | None, NoDecode] = Field(
        default=None, description="names and addresses in the server certificate (default: host name, <host>.local,"
        " LAN addresses, localhost); in the environment comma-separated or a JSON list")
    tls_cert_file: Path | None = Field(default=None, description="the site's own certificate chain (PEM)")
    tls_key_file: Path | None = Field(default=None, description="its private key (PEM); else the node's own CA")
    warehouse_id: str = "WH-SH-01"
    time_zone: str = "Asia/Shanghai"
    hq_url: str = "http://127.0.0.1:8090"
    hq_edge_id: str = "edge-wh-sh-01"
    hq_secret: SecretStr = SecretStr("change-me-edge-secret")
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    session_minutes: int = Field(default=12 * 60, ge=1, description="PDA shift-length sessions")
    session_idle_minutes: int = Field(default=30, ge=1, description="a session unused this long ends")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="largest request body (photos and order"
                                " batches have their own limits)")
    site_file: Path | None = Field(default=None, description="the warehouse's own facts (docs/site.md); required"
                                   " for waves and routes")
    site_config: Path | None = Field(default=None, description="device instances (YAML); else the site file's")
    crate_label_printer: str | None = Field(default=None, description="device id; default: the site's first printer")
    route_time_limit_s: float = Field(default=10.0, ge=1, le=300, description="seconds the route planner may take"
                                      " for the whole day (wall clock; two solver processes)")
    uplink: UplinkSettings = Field(default_factory=UplinkSettings, description="HQ's MQTT uplink ([uplink])")
    coldchain_config: Path | None = Field(
        default=None, description="cold assets, sensors and SKU bands (YAML or TOML), applied when the node starts")
    telemetry_raw_days: int = Field(default=30, ge=1, le=3650, description="keep raw readings this long")
    telemetry_minute_days: int = Field(default=180, ge=1, le=3650, description="keep 1-minute rollups this long")
    telemetry_hour_days: int = Field(default=3 * 365, ge=1, le=36500, description="keep 1-hour rollups this long")

    @model_validator(mode="after")
    def _coarser_kept_longer(self) -> Settings:
        if not self.telemetry_raw_days <= self.telemetry_minute_days <= self.telemetry_hour_days:
            raise ValueError(
                f"telemetry retention must keep coarser data at least as long: raw {self.telemetry_raw_days}"
                f" <= minute {self.telemetry_minute_days} <= hour {self.telemetry_hour_days} days")
        return self

    @field_validator("tls_names", mode="before")
    @classmethod
    def _names_from_text(cls, value: Any) -> Any:
        """`HAOLIN_TLS_NAMES=edge.lan,10.0.0.5` as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [n.strip() for n in text.split(",") if n.strip()]
        return value

    @model_validator(mode="after")
    def _own_certificate_whole(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        return self

    @property
    def retention(self) -> Retention:
        return Retention(raw_days=self.telemetry_raw_days, minute_days=self.telemetry_minute_days,
                         hour_days=self.telemetry_hour_days)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "edge.sqlite3"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file.get() or os.environ.get(CONFIG_FILE_VARIABLE)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, the TOML file (argument or $HAOLIN_CONFIG), env, then overrides."""
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"settings file {config_file} does not exist")
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)
    finally:
        _config_file.reset(token)
