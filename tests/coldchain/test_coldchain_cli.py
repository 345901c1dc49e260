"""`haolin-edge coldchain ...` over a real store, and the cold-chain settings the node starts with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from edge.api.app import create_app
from edge.cli import app as cli
from edge.domain.problems import InputRejected
from edge.services import alarms
from edge.services.telemetry import Retention
from edge.settings import Settings, load_settings
from edge.store import Store
from tests.coldchain.conftest import T0
from tests.coldchain.test_coldchain_alarms import SERIES_77, reefer, run


def coldchain(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "coldchain", *args])
    return result.exit_code, result.stdout, result.stderr


def test_coldchain_cli_lists_acknowledges_and_reports(cold_store: Store, edge_settings: Settings,
                                                      tmp_path: Path) -> None:
    reefer(cold_store)
    run(cold_store, alarms.AlarmMonitor(cold_store, T0), SERIES_77)  # raised at 00:30, cleared at 00:45
    code, out, _ = coldchain(edge_settings, "alarms")
    listed = json.loads(out)
    assert code == 0 and [(a["asset_id"], a["kind"], a["state"]) for a in listed] == [
        ("TRUCK-01-C", "temp_high", "cleared")]
    alarm_id = str(listed[0]["alarm_id"])

    code, out, _ = coldchain(edge_settings, "ack", alarm_id, "--reason", "door seal checked", "--by", "SUP01")
    assert code == 0 and json.loads(out)["acknowledged_by"] == "cli:SUP01"
    trail = alarms.audit_trail(cold_store, int(alarm_id))
    assert [(t["transition"], t["actor"], t["reason"]) for t in trail][-1] == (
        "acknowledged", "cli:SUP01", "door seal checked")
    code, _, err = coldchain(edge_settings, "ack", alarm_id, "--reason", "again", "--by", "SUP02")
    assert code == 2 and "acknowledged by cli:SUP01" in err
    code, _, err = coldchain(edge_settings, "ack", "9999", "--reason", "x")
    assert code == 2 and "no alarm 9999" in err
    code, _, err = coldchain(edge_settings, "ack", alarm_id, "--reason", "   ")
    assert code == 2 and "reason" in err
    assert json.loads(coldchain(edge_settings, "alarms")[1]) == []
    assert len(json.loads(coldchain(edge_settings, "alarms", "--all")[1])) == 1

    code, out, _ = coldchain(edge_settings, "assets")
    truck = {a["asset_id"]: a for a in json.loads(out)}["TRUCK-01-C"]
    assert code == 0 and truck["band"] == {"low_c": 0.0, "high_c": 4.0}
    assert [(s["sensor_id"], s["temperature_c"]) for s in truck["sensors"]] == [("TRUCK-01-C-T", 2.3)]

    png = tmp_path / "day.png"
    code, _, err = coldchain(edge_settings, "report", "--date", "2026-07-01", "--format", "png", "--out", str(png))
    assert code == 0 and png.read_bytes().startswith(b"\x89PNG") and "day.png" in err
    code, out, _ = coldchain(edge_settings, "report", "--date", "2026-07-01", "--format", "json")
    rows = {r["asset_id"]: r for r in json.loads(out)["assets"]}
    assert code == 0 and rows["TRUCK-01-C"]["max_c"] == 7.9 and rows["TRUCK-01-C"]["alarms"] == 1
    assert coldchain(edge_settings, "report", "--date", "2026-07-01", "--format", "pdf")[0] == 2  # needs --out
    code, _, err = coldchain(edge_settings, "report", "--date", "1 July")
    assert code == 2 and "YYYY-MM-DD" in err


CONFIG = """
assets:
  - {asset_id: CR-9, kind: cold_room, name: cold room 9, temp_class: chilled}
sensors:
  - {sensor_id: CR-9.t1, asset_id: CR-9, device_id: probe-9}
"""


def test_node_applies_the_coldchain_file_at_start_and_keeps_the_retention_it_is_told(tmp_path: Path) -> None:
    config = tmp_path / "coldchain.yaml"
    config.write_text(CONFIG)
    toml = tmp_path / "edge.toml"
    toml.write_text(f'coldchain_config = "{config}"\ntelemetry_raw_days = 7\ntelemetry_minute_days = 30\n'
                    f'telemetry_hour_days = 365\ndata_dir = "{tmp_path / "data"}"\n')
    settings = load_settings(toml)
    assert settings.retention == Retention(raw_days=7, minute_days=30, hour_days=365)
    store = Store(settings.database_path)
    with TestClient(create_app(settings, store, lambda: T0)) as client:
        assert client.app.state.device_runtime.retention == settings.retention  # type: ignore[attr-defined]
    assert store.query("SELECT asset_id, kind FROM cold_assets") == [{"asset_id": "CR-9", "kind": "cold_room"}]
    assert store.scalar("SELECT asset_id FROM cold_sensors WHERE sensor_id = 'CR-9.t1'") == "CR-9"
    assert store.scalar("SELECT actor FROM events WHERE kind = 'coldchain.configured'") == "system:coldchain-config"

    config.write_text("assets:\n  - {asset_id: CR-9, kind: igloo}\n")
    app = create_app(settings, store, lambda: T0)
    with pytest.raises(InputRejected, match=str(config)) as refused, TestClient(app):
        pass
    assert any(p.path.startswith("assets") for p in refused.value.problems)
    store.close()


def test_retention_settings_keep_coarser_data_longer() -> None:
    with pytest.raises(ValidationError, match="raw 400 <= minute 180"):
        Settings(telemetry_raw_days=400)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Settings(telemetry_hour_days=0)
    assert Settings().retention == Retention()
