"""Telemetry ingest: raw readings in batches, rollups kept exact, retention enforced.

Readings keep the device's event time and the edge's receive time. A reading may arrive late
or out of order (a truck back in range, a sensor's buffer): it is stored all the same, and the
1-minute and 1-hour buckets it falls into are rebuilt from what is stored, so rollups always
equal a GROUP BY of the raw data and a re-sent reading (same sensor and event time) counts once.
Readings are measurements, not decisions: they are not copied into the event log; alarms are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from edge.domain.problems import Problem
from edge.services.coldchain_assets import SensorInfo, assets, sensors
from edge.store import Store
from edge.store.db import parse_utc, utc_text

Resolution = Literal["raw", "1m", "1h"]
#: Physically plausible air temperatures for a cold chain; anything else is a probe fault.
PLAUSIBLE_C = (-60.0, 80.0)


@dataclass(frozen=True)
class Sample:
    """One reading of one sensor as the device sent it (temperature before calibration)."""

    sensor_id: str
    event_time: dt.datetime
    temperature_c: float | None
    humidity_pct: float | None = None
    door_open: bool | None = None


@dataclass(frozen=True)
class Retention:
    """How long each level is kept (days), and how far ahead of the edge a device clock may run."""

    raw_days: int = 30
    minute_days: int = 180
    hour_days: int = 3 * 365
    max_future_s: float = 300.0


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    rejected: list[Problem] = field(default_factory=list)
    accepted: list[Sample] = field(default_factory=list)


def _problem(sample: Sample, oldest: dt.datetime, newest: dt.datetime, retention: Retention,
             known: Mapping[str, SensorInfo]) -> str | None:
    if sample.sensor_id not in known:
        return f"unknown or inactive sensor {sample.sensor_id!r}"
    if sample.event_time.tzinfo is None:
        return "event time has no time zone"
    if sample.event_time > newest:
        return f"event time {sample.event_time.isoformat()} is ahead of the edge clock"
    if sample.event_time < oldest:
        return f"event time {sample.event_time.isoformat()} is older than raw retention ({retention.raw_days} d)"
    t = sample.temperature_c
    if t is not None and (not math.isfinite(t) or not PLAUSIBLE_C[0] <= t <= PLAUSIBLE_C[1]):
        return f"temperature {t} °C is not plausible"
    return None


def _utc_texts() -> Callable[[dt.datetime], str]:
    """utc_text with a per-batch memo: a poll cycle stamps many sensors with the same time, and
    isoformat is several times faster than strftime on the hot path (same text, tested)."""
    memo: dict[dt.datetime, str] = {}

    def text(moment: dt.datetime) -> str:
        found = memo.get(moment)
        if found is None:
            found = memo[moment] = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:23] + "Z"
        return found
    return text


def minute_of(text: str) -> str:
    """The 1-minute bucket of a utc_text time (`...T10:05:31.250Z` -> `...T10:05:00.000Z`)."""
    return text[:17] + "00.000Z"


def hour_of(text: str) -> str:
    return text[:14] + "00:00.000Z"


def _next(bucket: str, minutes: int) -> str:
    return utc_text(parse_utc(bucket) + dt.timedelta(minutes=minutes))


_MINUTE_SQL = """
INSERT INTO cold_rollups_1m (sensor_id, bucket, min_c, max_c, mean_c, count, updated_at)
SELECT sensor_id, ?, min(temperature_c), max(temperature_c), avg(temperature_c), count(*), ?
  FROM cold_readings
 WHERE sensor_id = ? AND event_time >= ? AND event_time < ? AND temperature_c IS NOT NULL
 GROUP BY sensor_id
    ON CONFLICT (sensor_id, bucket) DO UPDATE SET min_c = excluded.min_c, max_c = excluded.max_c,
       mean_c = excluded.mean_c, count = excluded.count, updated_at = excluded.updated_at
"""
_HOUR_SQL = """
INSERT INTO cold_rollups_1h (sensor_id, bucket, min_c, max_c, mean_c, count, updated_at)
SELECT sensor_id, ?, min(min_c), max(max_c), sum(mean_c * count) / sum(count), sum(count), ?
  FROM cold_rollups_1m
 WHERE sensor_id = ? AND bucket >= ? AND bucket < ?
 GROUP BY sensor_id
    ON CONFLICT (sensor_id, bucket) DO UPDATE SET min_c = excluded.min_c, max_c = excluded.max_c,
       mean_c = excluded.mean_c, count = excluded.count, updated_at = excluded.updated_at
"""


def ingest(store: Store, samples: Sequence[Sample], *, received_at: dt.datetime,
           retention: Retention = Retention(), known: Mapping[str, SensorInfo] | None = None) -> IngestResult:
    """Store a batch in one transaction; bad samples are reported (index and why) and skipped."""
    known = sensors(store) if known is None else known
    result = IngestResult()
    received = utc_text(received_at)
    oldest = received_at - dt.timedelta(days=retention.raw_days)
    newest = received_at + dt.timedelta(seconds=retention.max_future_s)
    text = _utc_texts()
    rows: list[tuple[Any, ...]] = []
    for i, sample in enumerate(samples):
        why = _problem(sample, oldest, newest, retention, known)
        if why:
            result.rejected.append(Problem(f"samples[{i}]", why))
            continue
        result.accepted.append(sample)
        raw = sample.temperature_c
        calibrated = None if raw is None else raw + known[sample.sensor_id].calibration_offset_c
        door = None if sample.door_open is None else int(sample.door_open)
        rows.append((sample.sensor_id, text(sample.event_time), received, calibrated, raw,
                     sample.humidity_pct, door))
    if not rows:
        return result
    minutes = {(r[0], minute_of(r[1])) for r in rows if r[3] is not None}
    conn = store.conn
    with store.write("system:telemetry", received_at):
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO cold_readings (sensor_id, event_time, received_at, temperature_c, raw_c,"
            " humidity_pct, door_open) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        result.stored = conn.total_changes - before
        conn.executemany(_MINUTE_SQL, [(m, received, s, m, _next(m, 1)) for s, m in minutes])
        hours = {(s, hour_of(m)) for s, m in minutes}
        conn.executemany(_HOUR_SQL, [(h, received, s, h, _next(h, 60)) for s, h in hours])
    result.duplicates = len(rows) - result.stored
    return result


def enforce_retention(store: Store, now: dt.datetime, retention: Retention = Retention()) -> dict[str, int]:
    """Delete what is older than each level's horizon; returns rows deleted per level."""
    cut = {name: utc_text(now - dt.timedelta(days=days)) for name, days in
           (("raw", retention.raw_days), ("1m", retention.minute_days), ("1h", retention.hour_days))}
    conn = store.conn
    with store.write("system:retention", now):
        raw = conn.execute("DELETE FROM cold_readings WHERE event_time < ?", (cut["raw"],)).rowcount
        minute = conn.execute("DELETE FROM cold_rollups_1m WHERE bucket < ?", (cut["1m"],)).rowcount
        hour = conn.execute("DELETE FROM cold_rollups_1h WHERE bucket < ?", (cut["1h"],)).rowcount
    return {"raw": raw, "1m": minute, "1h": hour}


def temperatures(store: Store, sensor_ids: Iterable[str], start: dt.datetime,
                 end: dt.datetime) -> list[tuple[dt.datetime, float]]:
    """Valid calibrated temperatures of the sensors in `[start, end)`, by event time."""
    ids = list(sensor_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT event_time, temperature_c FROM cold_readings WHERE sensor_id IN ({marks})"
        " AND event_time >= ? AND event_time < ? AND temperature_c IS NOT NULL ORDER BY event_time",
        (*ids, utc_text(start), utc_text(end)))
    return [(parse_utc(t), v) for t, v in rows]


def series(store: Store, sensor_id: str, start: dt.datetime, end: dt.datetime,
           resolution: Resolution = "1m") -> list[dict[str, Any]]:
    """A sensor's history for charts: raw readings or rollup buckets in `[start, end)`."""
    if resolution == "raw":
        rows = store.query(
            "SELECT event_time, received_at, temperature_c, humidity_pct, door_open FROM cold_readings"
            " WHERE sensor_id = ? AND event_time >= ? AND event_time < ? ORDER BY event_time",
            (sensor_id, utc_text(start), utc_text(end)))
        return rows
    table = "cold_rollups_1m" if resolution == "1m" else "cold_rollups_1h"
    return store.query(
        f"SELECT bucket, min_c, max_c, mean_c, count FROM {table}"
        " WHERE sensor_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket",
        (sensor_id, utc_text(start), utc_text(end)))


def latest(store: Store) -> list[dict[str, Any]]:
    """Each active sensor's newest reading (by event time), with its asset."""
    return store.query(
        "SELECT s.sensor_id, s.asset_id, r.event_time, r.received_at, r.temperature_c, r.humidity_pct,"
        " r.door_open FROM cold_sensors s LEFT JOIN cold_readings r ON r.reading_id = ("
        "   SELECT reading_id FROM cold_readings WHERE sensor_id = s.sensor_id"
        "   ORDER BY event_time DESC LIMIT 1)"
        " WHERE s.active = 1 ORDER BY s.asset_id, s.sensor_id")


def asset_overview(store: Store) -> list[dict[str, Any]]:
    """Every active asset with its band, alarm timings and each sensor's newest reading."""
    newest: dict[str, list[dict[str, Any]]] = {}
    for row in latest(store):
        newest.setdefault(row["asset_id"], []).append(row)
    return [{"asset_id": a.asset_id, "kind": a.kind, "name": a.name, "temp_class": a.temp_class,
             "vehicle_id": a.vehicle_id, "band": {"low_c": a.rule.band.low_c, "high_c": a.rule.band.high_c},
             "levels": [dataclasses.asdict(level) for level in a.rule.levels], "heartbeat_s": a.rule.heartbeat_s,
             "sensors": newest.get(a.asset_id, [])}
            for a in assets(store).values()]
