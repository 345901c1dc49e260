"""Telemetry ingest into SQLite, in readings per second, next to raw `executemany` of the same rows.

`ingest_batched` is `edge.services.telemetry.ingest` (validation, calibration, dedupe on
(sensor, event time), exact 1-minute and 1-hour rollups) in batches as the device runtime
writes them; `ingest_and_alarms` adds the alarm monitor on the accepted samples, the full path
of a reading. The reference writes the very same row tuples into an identical `cold_readings`
table with one `executemany` per batch and nothing else: the ceiling on this machine, measured
in the same run so the ratio survives a noisy host. One JSON object per line on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.services import telemetry
from edge.services.alarms import AlarmMonitor
from edge.services.coldchain_assets import apply_spec, parse_spec, sensors
from edge.services.telemetry import Retention, Sample
from edge.store import Store
from edge.store.db import utc_text

SENSORS = 200
PERIOD_S = 10
READINGS = 200_000
BATCH = 2_000
TARGET = 20_000
T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
RETENTION = Retention(raw_days=3650)


def configured_store(path: Path) -> Store:
    store = Store(path)
    apply_spec(store, parse_spec({
        "assets": [{"asset_id": f"CR-{a}", "kind": "cold_room", "name": f"room {a}", "temp_class": "chilled"}
                   for a in range(SENSORS // 10)],
        "sensors": [{"sensor_id": f"S{s:03d}", "asset_id": f"CR-{s // 10}", "device_id": f"dev-{s:03d}"}
                    for s in range(SENSORS)]}), actor="bench", now=T0)
    return store


def samples() -> list[Sample]:
    """200 sensors every 10 s, in arrival order; a slow sine keeps the rooms in band."""
    return [Sample(f"S{i % SENSORS:03d}", T0 + dt.timedelta(seconds=(i // SENSORS) * PERIOD_S),
                   2.0 + (i % 7) * 0.2, 90.0, False) for i in range(READINGS)]


def batches(rows: list[Sample]) -> list[list[Sample]]:
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def received(batch: list[Sample]) -> dt.datetime:
    return batch[-1].event_time + dt.timedelta(seconds=1)


def run_ingest(work: Path, with_alarms: bool) -> float:
    store = configured_store(work / f"ingest-{with_alarms}.sqlite3")
    monitor = AlarmMonitor(store, T0) if with_alarms else None
    known = sensors(store)  # the runtime keeps the sensor table in memory, refreshed per tick
    chunks = batches(samples())
    start = time.perf_counter()
    for chunk in chunks:
        now = received(chunk)
        result = telemetry.ingest(store, chunk, received_at=now, retention=RETENTION, known=known)
        if monitor is not None:
            monitor.observe(result.accepted, now)
    seconds = time.perf_counter() - start
    assert store.scalar("SELECT count(*) FROM cold_readings") == READINGS
    assert store.scalar("SELECT sum(count) FROM cold_rollups_1h") == READINGS
    store.close()
    return seconds


def run_raw(work: Path) -> float:
    """The same row tuples, prepared outside the timer, written with executemany alone."""
    store = configured_store(work / "raw.sqlite3")
    rows = [[(s.sensor_id, utc_text(s.event_time), utc_text(received(chunk)), s.temperature_c, s.temperature_c,
              s.humidity_pct, int(bool(s.door_open))) for s in chunk] for chunk in batches(samples())]
    conn = store.conn
    start = time.perf_counter()
    for chunk_rows in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO cold_readings (sensor_id, event_time, received_at, temperature_c, raw_c,"
                         " humidity_pct, door_open) VALUES (?, ?, ?, ?, ?, ?, ?)", chunk_rows)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    store.close()
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = run_raw(work)
        reference = READINGS / raw
        common = {"bench": "telemetry", "readings": READINGS, "sensors": SENSORS, "batch": BATCH}
        print(json.dumps({**common, "case": "raw_executemany", "seconds": round(raw, 3),
                          "readings_per_s": round(reference), "reference": "itself (ceiling)"}), flush=True)
        for case, with_alarms in (("ingest_batched", False), ("ingest_and_alarms", True)):
            seconds = run_ingest(work, with_alarms)
            per_s = READINGS / seconds
            print(json.dumps({**common, "case": case, "seconds": round(seconds, 3), "readings_per_s": round(per_s),
                              "target_per_s": TARGET, "meets_target": per_s >= TARGET,
                              "reference": {"raw_executemany_per_s": round(reference),
                                            "ratio": round(per_s / reference, 3)}}), flush=True)


if __name__ == "__main__":
    main()
