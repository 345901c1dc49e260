"""Settings of the HQ uplink: where the broker is, how to authenticate, how much disk to spend.

A plain model nested in the node's Settings as `uplink` (TOML `[uplink]`, or environment
`HAOLIN_UPLINK__HOST=...`), so it needs nothing from the rest of the edge.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

MIB = 1024 * 1024


class UplinkSettings(BaseModel):
    """MQTT 5 link to HQ's broker, and the spool that bridges its outages."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, description="on once HQ's broker is configured")
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str | None = Field(default=None, description="default: haolin-uplink-<edge id>; must be stable")
    username: str | None = None
    password: SecretStr | None = None
    tls: bool = False
    ca_file: Path | None = Field(default=None, description="CA bundle for HQ's broker (default: system CAs)")
    cert_file: Path | None = Field(default=None, description="client certificate for mutual TLS")
    key_file: Path | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(default=7 * 86400, ge=0, description="broker keeps our session this long")
    budget_bytes: int = Field(default=256 * MIB, ge=64 * 1024, description="disk the spool may use")
    inflight: int = Field(default=100, ge=1, le=1000, description="unacknowledged messages on the wire")
    collect_every_s: float = Field(default=5.0, gt=0, description="how often new rollups and alarms are spooled")
    closed_grace_s: float = Field(default=30.0, ge=0, description="wait for late readings before sending a bucket")
    reconnect_min_s: int = Field(default=1, ge=1)
    reconnect_max_s: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _pairs(self) -> UplinkSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("uplink.cert_file and uplink.key_file go together")
        if (self.cert_file or self.ca_file) and not self.tls:
            raise ValueError("uplink.ca_file/cert_file are given but uplink.tls is false")
        if self.password is not None and self.username is None:
            raise ValueError("uplink.password needs uplink.username")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("uplink.reconnect_max_s must be at least reconnect_min_s")
        return self
