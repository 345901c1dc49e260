"""The issue's scenarios through `haolin-edge coldchain replay`, with the node's default levels and timers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from edge.coldchain_cli import app as coldchain_cli
from edge.domain.problems import InputRejected
from edge.services.coldchain_replay import read_readings

T0 = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ASSETS = """
assets:
  - {asset_id: FZ-1, kind: freezer, name: 冷冻库 1, temp_class: frozen}
  - {asset_id: CR-1, kind: cold_room, name: 冷藏库 1, temp_class: chilled}
  - {asset_id: V01-chilled, kind: truck_compartment, name: 1 号车冷藏厢, temp_class: chilled, vehicle_id: V01}
sensors:
  - {sensor_id: fz-1-t, asset_id: FZ-1, device_id: fz-1-t}
  - {sensor_id: cr-1-t, asset_id: CR-1, device_id: cr-1-t}
  - {sensor_id: cr-1-b, asset_id: CR-1, device_id: cr-1-b}
  - {sensor_id: truck-01-c, asset_id: V01-chilled, device_id: truck-01-c}
"""


def minutes(value: str) -> float:
    return (dt.datetime.fromisoformat(value.replace("Z", "+00:00")) - T0).total_seconds() / 60


def replay(tmp_path: Path, rows: Iterable[tuple[str, float, float | None]], *,
           extra: str = "") -> list[dict[str, str]]:
    (tmp_path / "assets.yaml").write_text(ASSETS, encoding="utf-8")
    lines = ["sensor_id,event_time,temperature_c" + extra]
    lines += [f"{s},{(T0 + dt.timedelta(minutes=m)).isoformat()},{'' if t is None else round(t, 3)}"
              for s, m, t in rows]
    (tmp_path / "readings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(coldchain_cli, ["replay", "--config", str(tmp_path / "assets.yaml"),
                                                "--readings", str(tmp_path / "readings.csv")])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(o) == {"asset_id", "sensor_id", "kind", "severity", "transition", "at"} for o in out)
    return out


def steps(rows: list[dict[str, str]]) -> list[tuple[float, str, str, str]]:
    return [(round(minutes(r["at"]), 2), r["kind"], r["transition"], r["severity"]) for r in rows]


def test_coldchain_replay_dead_compressor_is_critical_within_ten_minutes(tmp_path: Path) -> None:
    # -20 °C for an hour, the compressor dies at minute 60: +3.5 °C ten minutes later, and stays.
    fail = 60
    rows = [("fz-1-t", m, -20.0 + (0.1 if m % 2 else 0.0)) for m in range(fail)]
    rows += [("fz-1-t", m, -20.0 + 23.5 * min(1.0, (m - fail) / 10)) for m in range(fail, fail + 40)]
    out = replay(tmp_path, rows)
    critical = [m for m, kind, _, severity in steps(out) if kind == "temp_high" and severity == "critical"]
    assert critical and critical[0] - fail <= 10
    assert steps(out)[0][:3] == (critical[0], "temp_high", "raised") or steps(out)[0][2] == "raised"
    assert all(r["asset_id"] == "FZ-1" for r in out)


def test_coldchain_replay_brief_small_excursion_raises_nothing(tmp_path: Path) -> None:
    rows = [("cr-1-t", m, 3.0) for m in range(30)] + [("cr-1-t", m, 4.5) for m in range(30, 40)]
    rows += [("cr-1-t", m, 3.0) for m in range(40, 90)]
    assert replay(tmp_path, rows) == []


def test_coldchain_replay_slow_drift_two_kelvin_over_raises_a_warning(tmp_path: Path) -> None:
    rows = [("cr-1-t", m, min(6.0, 3.0 + 0.05 * m)) for m in range(120)]
    out = steps(replay(tmp_path, rows))
    assert out[0][1:] == ("temp_high", "raised", "warning")
    assert 20 + 15 - 1 <= out[0][0] <= 20 + 15 + 1  # 4.0 °C crossed at minute 20, warning 15 min later
    assert all(s[2] != "cleared" for s in out)


def test_coldchain_replay_truck_at_nine_degrees_for_forty_minutes_raises_then_clears(tmp_path: Path) -> None:
    rows = [("truck-01-c", m, 3.0) for m in range(20)] + [("truck-01-c", m, 9.0) for m in range(20, 60)]
    rows += [("truck-01-c", m, 2.0) for m in range(60, 100)]
    out = steps(replay(tmp_path, rows))
    assert [(kind, change) for _, kind, change, _ in out] == [("temp_high", "raised"), ("temp_high", "cleared")]
    raised, cleared = out[0][0], out[1][0]
    assert raised <= 20 + 5 and out[0][3] == "critical"  # 5 K over: critical after 5 minutes
    assert 60 <= cleared <= 60 + 6  # below 3 °C (1 K hysteresis) and held for 5 minutes


@pytest.mark.parametrize("low", [3.9, 3.5, 2.9])
def test_coldchain_replay_flapping_at_the_limit_never_raises_a_storm(tmp_path: Path, low: float) -> None:
    rows = [("cr-1-t", m, 4.6 if (m // 2) % 2 else low) for m in range(8 * 60)]
    out = steps(replay(tmp_path, rows))
    assert sum(1 for s in out if s[2] == "raised") <= 1
    assert sum(1 for s in out if s[2] == "cleared") == 0


def test_coldchain_replay_a_sensor_that_stops_is_silent_within_fifteen_minutes(tmp_path: Path) -> None:
    rows = [("cr-1-t", m, 2.5) for m in range(60)] + [("cr-1-b", m, 2.6) for m in range(30)]
    out = steps(replay(tmp_path, rows))
    assert [(kind, change) for _, kind, change, _ in out] == [("sensor_silent", "raised")]
    assert 30 < out[0][0] <= 29 + 15


def test_coldchain_replay_timers_fire_between_sparse_readings(tmp_path: Path) -> None:
    # A logger read out on return: one reading per 4 minutes. The alarm carries the time its
    # level fell due (warm from minute 20, critical 5 minutes later), not the next reading's.
    rows = [("truck-01-c", m, 3.0 if m < 20 else 10.0) for m in range(0, 60, 4)]
    out = steps(replay(tmp_path, rows))
    assert out[0][:3] == (25.0, "temp_high", "raised")


def test_coldchain_replay_door_flag_and_refusals(tmp_path: Path) -> None:
    (tmp_path / "assets.yaml").write_text(ASSETS, encoding="utf-8")
    (tmp_path / "bad.csv").write_text("sensor_id,event_time,temperature_c\ncr-1-t,2026-07-01T08:00:00,2.0\n"
                                      "cr-1-t,yesterday,2.0\ncr-1-t,2026-07-01T08:00:00+08:00,warm\n")
    result = CliRunner().invoke(coldchain_cli, ["replay", "--config", str(tmp_path / "assets.yaml"),
                                                "--readings", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    assert "line 2: event_time" in result.stderr and "offset" in result.stderr
    assert "line 3: event_time" in result.stderr and "line 4: temperature_c" in result.stderr

    (tmp_path / "unknown.csv").write_text("sensor_id,event_time,temperature_c\nnope,2026-07-01T08:00:00Z,2.0\n")
    result = CliRunner().invoke(coldchain_cli, ["replay", "--config", str(tmp_path / "assets.yaml"),
                                                "--readings", str(tmp_path / "unknown.csv")])
    assert result.exit_code == 2 and "nope" in result.stderr

    # Door open 8 minutes while warm: held back (door limit 10 min, then 5 min recovery), no alarm.
    rows = [("cr-1-t", m, 3.0) for m in range(10)] + [("cr-1-t", m, 8.0) for m in range(10, 18)]
    rows += [("cr-1-t", m, 3.0) for m in range(18, 40)]
    (tmp_path / "assets.yaml").write_text(ASSETS, encoding="utf-8")
    lines = ["sensor_id,event_time,temperature_c,door_open"] + [
        f"{s},{(T0 + dt.timedelta(minutes=m)).isoformat()},{t},{1 if 10 <= m < 18 else 0}" for s, m, t in rows]
    (tmp_path / "door.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(coldchain_cli, ["replay", "--config", str(tmp_path / "assets.yaml"),
                                                "--readings", str(tmp_path / "door.csv")])
    assert result.exit_code == 0 and result.stdout == ""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_coldchain_replay_file_of_any_bytes_is_read_or_refused_with_a_reason(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(b"sensor_id,event_time,temperature_c,door_open\n" + data)
    try:
        read_readings(path)
    except InputRejected as refused:
        assert refused.problems and all(p.message for p in refused.problems)
