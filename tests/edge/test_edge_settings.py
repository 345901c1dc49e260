"""Settings: embedded defaults need no file; a TOML file and HAOLIN_* variables override them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.settings import Settings, load_settings


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAOLIN_CONFIG", raising=False)
    settings = load_settings()
    assert settings.time_zone == "Asia/Shanghai"
    assert settings.database_path == Path("data/edge.sqlite3")


def test_toml_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('warehouse_id = "WH-HZ-02"\nhttp_port = 9000\nmqtt_host = "broker.site"\n')
    monkeypatch.setenv("HAOLIN_HTTP_PORT", "9100")
    settings = load_settings(config)
    assert (settings.warehouse_id, settings.http_port, settings.mqtt_host) == ("WH-HZ-02", 9100, "broker.site")


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('time_zone = "Mars/Olympus"\nhttp_port = 99999\nunknown_key = 1\n')
    with pytest.raises(ValidationError) as error:
        load_settings(config)
    fields = {e["loc"][0] for e in error.value.errors()}
    assert fields == {"time_zone", "http_port", "unknown_key"}


def test_a_missing_settings_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_not_printed() -> None:
    assert "change-me" not in repr(Settings())
