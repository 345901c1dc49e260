"""Replay recorded readings through the alarm engine, to try thresholds before changing them.

The assets and sensors come from a configuration document (the same as `coldchain_config`),
everything it leaves out from the node's defaults (class levels, timers). Readings go through
one `SensorWatch` per sensor in event-time order, exactly as live: the sensor's calibration
offset is applied, implausible values are refused as ingest refuses them, the timers (level
delays, heartbeats, door limits) fire at their own event times between readings, and at the end
every timer due by the last reading of the file fires. No store is touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.domain.coldchain.alarm_engine import SensorWatch, Transition
from edge.domain.coldchain.bands import Band
from edge.domain.problems import InputRejected, Problem
from edge.services.coldchain_assets import ColdChainSpec
from edge.services.telemetry import PLAUSIBLE_C
from edge.store.db import utc_text

REQUIRED = ("sensor_id", "event_time", "temperature_c")
TRUE, FALSE = {"1", "true", "yes", "open"}, {"0", "false", "no", "closed"}
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    at: dt.datetime
    temp_c: float | None
    door_open: bool | None = None


@dataclass
class Readings:
    """The file's readings, and the rows refused as live ingest refuses them (line: why)."""

    readings: list[Reading]
    refused: list[Problem]


def _row(line: int, row: dict[str, str | None], problems: list[Problem]) -> Reading | None:
    where = f"line {line}"
    sensor = (row.get("sensor_id") or "").strip()
    if not sensor:
        problems.append(Problem(f"{where}: sensor_id", "is empty"))
        return None
    try:
        at = dt.datetime.fromisoformat((row.get("event_time") or "").strip())
    except ValueError:
        problems.append(Problem(f"{where}: event_time", f"{row.get('event_time')!r} is not ISO 8601"))
        return None
    if at.tzinfo is None:
        problems.append(Problem(f"{where}: event_time", "needs a UTC offset (e.g. +08:00 or Z)"))
        return None
    text = (row.get("temperature_c") or "").strip()
    try:
        temp = float(text) if text else None
    except ValueError:
        problems.append(Problem(f"{where}: temperature_c", f"{text!r} is not a number"))
        return None
    door_text = (row.get("door_open") or "").strip().lower()
    if door_text and door_text not in TRUE | FALSE:
        problems.append(Problem(f"{where}: door_open", f"{door_text!r}: use 1/0, true/false or empty"))
        return None
    return Reading(sensor, at, temp, (door_text in TRUE) if door_text else None)  # aware: compares across offsets


def read_readings(path: Path) -> Readings:
    """`sensor_id,event_time,temperature_c[,door_open]`; InputRejected names each bad line and column."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputRejected([Problem("(file)", f"cannot read {path}: {exc}")], str(path)) from None
    problems: list[Problem] = []
    out = Readings([], [])
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise InputRejected([Problem("line 1", f"the header needs {', '.join(missing)}")], str(path))
            for line, row in enumerate(reader, start=2):
                reading = _row(line, row, problems)
                if len(problems) >= MAX_PROBLEMS:
                    break
                if reading is None:
                    continue
                t = reading.temp_c
                if t is not None and (not math.isfinite(t) or not PLAUSIBLE_C[0] <= t <= PLAUSIBLE_C[1]):
                    out.refused.append(Problem(f"line {line}", f"temperature {t} °C is not plausible"))
                    continue
                out.readings.append(reading)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputRejected([Problem("(file)", f"{path} is not UTF-8 CSV: {exc}")], str(path)) from None
    if problems:
        raise InputRejected(problems, str(path))
    return out


def replay(spec: ColdChainSpec, readings: Iterable[Reading]) -> list[dict[str, Any]]:
    """Every alarm transition, in event-time order, as `{asset_id, sensor_id, kind, severity, transition, at}`."""
    ordered = sorted(readings, key=lambda r: r.at)
    sensors = {s.sensor_id: s for s in spec.sensors if s.active}
    unknown = sorted({r.sensor_id for r in ordered} - set(sensors))
    if unknown:
        raise InputRejected([Problem("sensor_id", f"not a sensor of the configuration: {', '.join(unknown[:10])}")],
                            "readings")
    orphans = [Problem(f"sensors[{i}].asset_id", f"unknown asset {s.asset_id!r}")
               for i, s in enumerate(spec.sensors) if s.asset_id not in {a.asset_id for a in spec.assets}]
    if orphans:
        raise InputRejected(orphans, "cold-chain configuration")
    if not ordered:
        return []
    sku_bands = {b.sku_id: Band(b.low_c, b.high_c) for b in spec.sku_bands}
    rules = {a.asset_id: a.rule([sku_bands[s] for s in a.skus if s in sku_bands]) for a in spec.assets if a.active}
    start, end = ordered[0].at, ordered[-1].at
    present = {r.sensor_id for r in ordered}  # sensors absent from the file are not replayed (nor silent)
    watches = {sid: SensorWatch(rules[s.asset_id], started_at=start, known=True)
               for sid, s in sensors.items() if s.asset_id in rules and sid in present}
    found: list[tuple[str, Transition]] = []
    for r in ordered:
        watch = watches.get(r.sensor_id)
        if watch is None:
            continue
        temp = None if r.temp_c is None else r.temp_c + sensors[r.sensor_id].calibration_offset_c
        found += [(r.sensor_id, t) for t in watch.observe(r.at, temp, r.door_open)]
    for sid, watch in watches.items():
        found += [(sid, t) for t in watch.check(end)]
    found.sort(key=lambda f: f[1].at)
    return [{"asset_id": sensors[sid].asset_id, "sensor_id": sid, "kind": t.kind.value,
             "severity": t.severity.value, "transition": t.change.value, "at": utc_text(t.at)} for sid, t in found]
