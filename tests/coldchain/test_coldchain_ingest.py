"""Ingest, rollups, retention and configuration against a real SQLite store."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.coldchain.bands import Band
from edge.domain.coldchain.levels import class_levels
from edge.domain.problems import InputRejected
from edge.services import telemetry
from edge.services.coldchain_assets import apply_spec, assets, parse_spec
from edge.services.telemetry import Retention, Sample
from edge.store import Store
from edge.store.db import utc_text
from tests.coldchain.conftest import T0


def test_coldchain_effective_bands_come_from_class_and_skus(cold_store: Store) -> None:
    rules = {a: info.rule.band for a, info in assets(cold_store).items()}
    assert rules == {"CR-1": Band(0.0, 4.0), "CR-BERRY": Band(0.0, 2.0), "FZ-1": Band(None, -18.0),
                     "TRUCK-01-C": Band(0.0, 4.0)}
    assert assets(cold_store)["TRUCK-01-C"].rule.levels == class_levels("chilled")
    assert assets(cold_store)["FZ-1"].rule.levels == class_levels("frozen")


def test_coldchain_config_refuses_unknown_references_and_impossible_bands(cold_store: Store) -> None:
    with pytest.raises(InputRejected) as bad:
        apply_spec(cold_store, parse_spec({"sensors": [{"sensor_id": "x", "asset_id": "NOPE", "device_id": "d"}],
                                           "sku_bands": [{"sku_id": "NO-SKU", "low_c": 1}]}), actor="t", now=T0)
    assert {p.path for p in bad.value.problems} == {"sensors[0].asset_id", "sku_bands[0].sku_id"}
    melons = {"asset_id": "CR-BERRY", "kind": "cold_room", "name": "x", "temp_class": "chilled",
              "band_low_c": 10, "band_high_c": 13, "skus": ["BLU-125"]}
    with pytest.raises(InputRejected, match="do not overlap"):
        apply_spec(cold_store, parse_spec({"assets": [melons]}), actor="t", now=T0)
    assert assets(cold_store)["CR-BERRY"].rule.band == Band(0.0, 2.0)  # nothing of the refused change stuck
    with pytest.raises(InputRejected) as bad:
        parse_spec({"assets": [{"asset_id": "A", "kind": "igloo", "name": "n", "temp_class": "chilled",
                                "heartbeat_s": 0, "levels": [{"severity": "warning"}]}]})
    assert {p.path for p in bad.value.problems} == {"assets[0].kind", "assets[0].heartbeat_s", "assets[0].levels[0]"}


def _rollups(store: Store, table: str) -> list[tuple[object, ...]]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in store.conn.execute(
        f"SELECT sensor_id, bucket, min_c, max_c, mean_c, count FROM {table} ORDER BY sensor_id, bucket")]


def _expected_minutes(store: Store) -> list[tuple[object, ...]]:
    rows = store.conn.execute(
        "SELECT sensor_id, substr(event_time, 1, 17) || '00.000Z' AS b, min(temperature_c), max(temperature_c),"
        " avg(temperature_c), count(*) FROM cold_readings WHERE temperature_c IS NOT NULL"
        " GROUP BY sensor_id, b ORDER BY sensor_id, b")
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows]


def test_coldchain_late_duplicate_and_shuffled_batches_give_exact_rollups(cold_store: Store) -> None:
    rng = random.Random(7)
    samples = [Sample(sensor, T0 + dt.timedelta(seconds=7 * i), round(rng.uniform(0, 6), 2))
               for sensor in ("CR-1-T", "FZ-1-T") for i in range(1200)]
    rng.shuffle(samples)
    received = T0 + dt.timedelta(hours=3)
    for start in range(0, len(samples), 500):
        result = telemetry.ingest(cold_store, samples[start:start + 500], received_at=received)
        assert result.stored == len(samples[start:start + 500]) and not result.rejected
    again = telemetry.ingest(cold_store, samples[:300], received_at=received)
    assert (again.stored, again.duplicates) == (0, 300)
    assert _rollups(cold_store, "cold_rollups_1m") == _expected_minutes(cold_store)
    hours = cold_store.query("SELECT sensor_id, count(*) n, sum(count) c FROM cold_rollups_1h GROUP BY sensor_id")
    assert [(h["sensor_id"], h["n"], h["c"]) for h in hours] == [("CR-1-T", 3, 1200), ("FZ-1-T", 3, 1200)]
    one = cold_store.query("SELECT * FROM cold_rollups_1h WHERE sensor_id = 'CR-1-T' ORDER BY bucket")[0]
    first_hour = [s.temperature_c for s in samples if s.sensor_id == "CR-1-T" and s.event_time < T0.replace(hour=1)]
    assert one["count"] == len(first_hour)
    assert one["mean_c"] == pytest.approx(sum(t for t in first_hour if t is not None) / len(first_hour))
    assert (one["min_c"], one["max_c"]) == (min(first_hour), max(first_hour))  # type: ignore[type-var]


def test_coldchain_ingest_keeps_event_and_receive_time_and_calibrates(cold_store: Store) -> None:
    apply_spec(cold_store, parse_spec({"sensors": [{"sensor_id": "CR-1-T", "asset_id": "CR-1", "device_id": "dev-CR-1",
                                                    "calibration_offset_c": -0.5}]}), actor="t", now=T0)
    late = T0 - dt.timedelta(hours=2)
    telemetry.ingest(cold_store, [Sample("CR-1-T", late, 3.0, humidity_pct=91.0, door_open=False)], received_at=T0)
    row = cold_store.query("SELECT * FROM cold_readings")[0]
    assert (row["event_time"], row["received_at"]) == ("2026-06-30T22:00:00.000Z", "2026-07-01T00:00:00.000Z")
    assert (row["raw_c"], row["temperature_c"], row["humidity_pct"], row["door_open"]) == (3.0, 2.5, 91.0, 0)


def test_coldchain_ingest_rejects_bad_samples_and_names_them(cold_store: Store) -> None:
    bad = [Sample("GHOST", T0, 1.0), Sample("CR-1-T", T0 + dt.timedelta(hours=1), 1.0),
           Sample("CR-1-T", T0 - dt.timedelta(days=31), 1.0), Sample("CR-1-T", T0, float("nan")),
           Sample("CR-1-T", T0, 300.0), Sample("CR-1-T", T0.replace(tzinfo=None), 1.0),
           Sample("CR-1-T", T0, None)]
    result = telemetry.ingest(cold_store, bad, received_at=T0)
    assert [p.path for p in result.rejected] == [f"samples[{i}]" for i in range(6)]
    assert "unknown" in result.rejected[0].message and "ahead" in result.rejected[1].message
    assert result.stored == 1  # the fault reading (no value) is kept as evidence
    assert cold_store.scalar("SELECT count(*) FROM cold_rollups_1m") == 0


def test_coldchain_retention_drops_each_level_at_its_horizon(cold_store: Store) -> None:
    policy = Retention(raw_days=2, minute_days=5, hour_days=10)
    for day in range(0, 9):
        at = T0 + dt.timedelta(days=day)
        telemetry.ingest(cold_store, [Sample("CR-1-T", at, 2.0)], received_at=at, retention=policy)
    deleted = telemetry.enforce_retention(cold_store, T0 + dt.timedelta(days=8, hours=1), policy)
    assert deleted == {"raw": 7, "1m": 4, "1h": 0}
    assert cold_store.scalar("SELECT min(event_time) FROM cold_readings") == "2026-07-08T00:00:00.000Z"
    assert cold_store.scalar("SELECT count(*) FROM cold_rollups_1h") == 9


def test_coldchain_series_and_latest(cold_store: Store) -> None:
    samples = [Sample("CR-1-T", T0 + dt.timedelta(seconds=20 * i), 1.0 + i) for i in range(6)]
    telemetry.ingest(cold_store, samples, received_at=T0 + dt.timedelta(minutes=5))
    minutes = telemetry.series(cold_store, "CR-1-T", T0, T0 + dt.timedelta(hours=1), "1m")
    assert [(m["count"], m["min_c"], m["max_c"], m["mean_c"]) for m in minutes] == [(3, 1.0, 3.0, 2.0),
                                                                                   (3, 4.0, 6.0, 5.0)]
    assert len(telemetry.series(cold_store, "CR-1-T", T0, T0 + dt.timedelta(minutes=1), "raw")) == 3
    latest = {r["sensor_id"]: r for r in telemetry.latest(cold_store)}
    assert latest["CR-1-T"]["temperature_c"] == 6.0 and latest["FZ-1-T"]["temperature_c"] is None


@settings(max_examples=80, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1),
                    timezones=st.sampled_from([dt.UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")])))
def test_coldchain_fast_time_text_equals_the_store_format(moment: dt.datetime) -> None:
    assert telemetry._utc_texts()(moment) == utc_text(moment)
