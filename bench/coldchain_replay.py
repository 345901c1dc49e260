"""`haolin-edge coldchain replay` on a month-sized file, in readings per second, next to reading the
same CSV with the standard library alone (the parse is the floor any replay pays).

A site tries thresholds on last month's readings: 20 sensors, one reading a minute for a week
(201 600 lines) with a compressor failure, a drift and a flapping room in it. `replay` is the
CLI's path (parse, validate, sort, the alarm engine with its timers, JSON lines); the reference is
`csv.DictReader` over the same file, measured in the same run. One JSON object per line on stdout.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.services.coldchain_assets import ColdChainSpec, parse_spec
from edge.services.coldchain_replay import read_readings, replay

SENSORS = 20
MINUTES = 7 * 24 * 60
T0 = dt.datetime(2026, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TARGET = 20_000  # readings per second: a month of 50 sensors at one a minute (2.16 M) in under 2 minutes


def spec() -> ColdChainSpec:
    return parse_spec({
        "assets": [{"asset_id": f"A{a}", "kind": "freezer" if a % 2 else "cold_room", "name": f"asset {a}",
                    "temp_class": "frozen" if a % 2 else "chilled"} for a in range(SENSORS)],
        "sensors": [{"sensor_id": f"s{a}", "asset_id": f"A{a}", "device_id": f"d{a}"} for a in range(SENSORS)]})


def temperature(sensor: int, minute: int) -> float:
    base = -20.0 if sensor % 2 else 2.5
    if sensor == 1 and 3000 <= minute < 3060:  # a dead compressor, an hour
        return base + 23.5 * min(1.0, (minute - 3000) / 10)
    if sensor == 2 and 5000 <= minute < 5600:  # a slow drift
        return base + (minute - 5000) * 0.005
    if sensor == 4 and 7000 <= minute < 7480:  # flapping on the limit
        return 4.6 if (minute // 2) % 2 else 3.9
    return base + (minute % 5) / 10


def write(path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["sensor_id", "event_time", "temperature_c"])
        for minute in range(MINUTES):
            at = (T0 + dt.timedelta(minutes=minute)).isoformat()
            for s in range(SENSORS):
                out.writerow([f"s{s}", at, round(temperature(s, minute), 2)])
    return MINUTES * SENSORS


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.csv"
        lines = write(path)
        start = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            parsed = sum(1 for _ in csv.DictReader(handle))
        parse_s = time.perf_counter() - start
        start = time.perf_counter()
        transitions = replay(spec(), read_readings(path).readings)
        replay_s = time.perf_counter() - start
    assert parsed == lines
    common = {"bench": "coldchain_replay", "readings": lines, "sensors": SENSORS}
    print(json.dumps({**common, "case": "csv_dictreader", "seconds": round(parse_s, 3),
                      "readings_per_s": round(lines / parse_s), "reference": "itself (floor)"}), flush=True)
    per_s = lines / replay_s
    print(json.dumps({**common, "case": "replay", "seconds": round(replay_s, 3), "readings_per_s": round(per_s),
                      "transitions": len(transitions), "target_per_s": TARGET, "meets_target": per_s >= TARGET,
                      "reference": {"csv_dictreader_per_s": round(lines / parse_s),
                                    "ratio": round(per_s / (lines / parse_s), 3)}}), flush=True)


if __name__ == "__main__":
    main()
