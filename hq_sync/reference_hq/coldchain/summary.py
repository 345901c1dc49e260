"""What the dashboard shows, computed from stored uplink messages (pure: rows in, numbers out)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: USP <1079>: activation energy 83.144 kJ/mol, gas constant 8.3144 J/(mol K) -> dH/R = 10 000 K.
DEFAULT_ACTIVATION_KJ = 83.144
GAS_CONSTANT = 8.3144e-3  # kJ/(mol K)
CLOSED_ALARM_STATES = frozenset({"cleared", "closed", "resolved"})
DATA_ALARM_KINDS = frozenset({"sensor_degraded", "sensor_silent"})
CHART_BUCKETS = 288  # 5-minute buckets over 24 hours keep the SVG small


def mkt_celsius(temperatures_c: Sequence[float], activation_kj: float = DEFAULT_ACTIVATION_KJ) -> float | None:
    """Mean kinetic temperature of equally spaced samples (USP formula), None without samples."""
    if not temperatures_c:
        return None
    h_over_r = activation_kj / GAS_CONSTANT
    mean_term = math.fsum(math.exp(-h_over_r / (t + 273.15)) for t in temperatures_c) / len(temperatures_c)
    return h_over_r / -math.log(mean_term) - 273.15


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    mean_c: float
    min_c: float
    max_c: float


@dataclass
class SensorView:
    warehouse: str
    asset: str
    sensor: str
    asset_kind: str
    current_c: float | None = None
    current_at: dt.datetime | None = None
    band_min_c: float | None = None
    band_max_c: float | None = None
    mkt_c: float | None = None
    points: list[Point] = field(default_factory=list)

    @property
    def is_truck(self) -> bool:
        return "truck" in self.asset_kind or "vehicle" in self.asset_kind

    @property
    def out_of_band(self) -> bool:
        c = self.current_c
        return c is not None and ((self.band_min_c is not None and c < self.band_min_c)
                                  or (self.band_max_c is not None and c > self.band_max_c))


@dataclass(frozen=True)
class AlarmView:
    """An alarm as its edge last described it; times are the edge's event times (UTC ISO)."""

    warehouse: str
    asset: str
    sensor: str
    alarm_id: str
    state: str
    severity: str
    reason: str
    since: str
    value_c: float | None
    edge: str = ""
    kind: str = ""
    raised_at: str | None = None
    cleared_at: str | None = None
    acknowledged_at: str | None = None
    detail: str = ""

    @property
    def degrades(self) -> bool:
        """The asset's data cannot be trusted while this alarm is open."""
        return self.kind in DATA_ALARM_KINDS


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def sensor_views(rows: Iterable[dict[str, Any]]) -> list[SensorView]:
    """Rollup rows (kind, warehouse, asset, sensor, event_time, body) of the window, by event time."""
    views: dict[tuple[str, str, str], SensorView] = {}
    for row in sorted(rows, key=lambda r: (r["kind"] != "rollup.1m", r["event_time"])):
        key = (row["warehouse"], row["asset"], row["sensor"])
        body = json.loads(row["body"]) if isinstance(row["body"], str) else row["body"]
        view = views.get(key)
        if view is None:
            view = views[key] = SensorView(*key, asset_kind=str(body.get("asset_kind", "")))
        if view.points and row["kind"] != "rollup.1m":
            continue  # hourly rollups only fill in when no minute rollups are there
        mean = _float(body.get("mean_c"))
        if mean is None:
            continue
        low, high = _float(body.get("min_c")), _float(body.get("max_c"))
        at = _time(row["event_time"])
        view.points.append(Point(at, mean, mean if low is None else low, mean if high is None else high))
        if view.current_at is None or at >= view.current_at:
            view.current_c, view.current_at = mean, at
            view.band_min_c = _float(body.get("band_min_c"))
            view.band_max_c = _float(body.get("band_max_c"))
    for view in views.values():
        view.points.sort(key=lambda p: p.at)
        view.mkt_c = mkt_celsius([p.mean_c for p in view.points])
    return sorted(views.values(), key=lambda v: (v.warehouse, v.is_truck, v.asset, v.sensor))


def _open(view: AlarmView, body: dict[str, Any]) -> bool:
    """The edge's rule: open while active or not yet acknowledged (older edges send no acknowledgement:
    open while not cleared)."""
    if "acknowledged_at" in body:
        return view.state not in CLOSED_ALARM_STATES or not view.acknowledged_at
    return view.state not in CLOSED_ALARM_STATES


def open_alarms(rows: Iterable[dict[str, Any]]) -> list[AlarmView]:
    """The latest state of each alarm of each edge (rows in arrival order), open as the edge counts it."""
    latest: dict[tuple[str, str, str], tuple[AlarmView, dict[str, Any]]] = {}
    for row in rows:
        body = json.loads(row["body"]) if isinstance(row["body"], str) else row["body"]
        alarm_id = str(body.get("alarm_id", f"{row['asset']}/{row['sensor']}"))
        text = {k: body.get(k) if isinstance(body.get(k), str) else None
                for k in ("raised_at", "cleared_at", "acknowledged_at")}
        view = AlarmView(
            row["warehouse"], row["asset"], row["sensor"], alarm_id, str(body.get("state", "open")),
            str(body.get("severity", "")), str(body.get("reason", body.get("alarm_kind", ""))),
            str(body.get("since", row["event_time"])), _float(body.get("value_c")), str(row.get("edge", "")),
            str(body.get("alarm_kind", "")), text["raised_at"], text["cleared_at"], text["acknowledged_at"],
            str(body.get("detail") or ""))
        latest[(view.edge, row["warehouse"], alarm_id)] = (view, body)
    found = [view for view, body in latest.values() if _open(view, body)]
    return sorted(found, key=lambda a: (a.raised_at or a.since, a.warehouse, a.alarm_id), reverse=True)


def buckets(points: Sequence[Point], start: dt.datetime, end: dt.datetime, count: int = CHART_BUCKETS) -> list[Point]:
    """Downsample to at most `count` equal time buckets (mean of means, min of mins, max of maxes)."""
    span = (end - start).total_seconds()
    if span <= 0 or not points:
        return list(points)
    groups: dict[int, list[Point]] = {}
    for p in points:
        index = min(count - 1, max(0, int((p.at - start).total_seconds() / span * count)))
        groups.setdefault(index, []).append(p)
    return [Point(start + dt.timedelta(seconds=(i + 0.5) * span / count),
                  math.fsum(p.mean_c for p in g) / len(g), min(p.min_c for p in g), max(p.max_c for p in g))
            for i, g in sorted(groups.items())]


@dataclass(frozen=True)
class WarehouseSummary:
    """What HQ reads first: per warehouse, how its assets stand, its open alarms, its warm deliveries."""

    warehouse: str
    assets: int
    in_band: int
    out_of_band: int
    degraded: int
    open_alarms: int
    warm_crates: int


def asset_states(views: Iterable[SensorView], alarms: Iterable[AlarmView]) -> dict[tuple[str, str], str]:
    """Each asset's state: `out_of_band` (a sensor's latest reading), else `degraded` (an open sensor
    alarm: its data cannot be trusted, so never `in_band`), else `in_band`."""
    states: dict[tuple[str, str], str] = {}
    for v in views:
        key = (v.warehouse, v.asset)
        if v.out_of_band:
            states[key] = "out_of_band"
        else:
            states.setdefault(key, "in_band")
    for a in alarms:
        key = (a.warehouse, a.asset)
        if a.degrades and states.get(key) != "out_of_band":
            states[key] = "degraded"
    return states


def warehouse_summaries(views: list[SensorView], alarms: list[AlarmView],
                        warm_crates: Iterable[dict[str, Any]]) -> list[WarehouseSummary]:
    states = asset_states(views, alarms)
    crates = [str(c["warehouse"]) for c in warm_crates]
    names = sorted({w for w, _ in states} | {a.warehouse for a in alarms} | set(crates))
    out = []
    for w in names:
        mine = [s for (wh, _), s in states.items() if wh == w]
        out.append(WarehouseSummary(w, len(mine), mine.count("in_band"), mine.count("out_of_band"),
                                    mine.count("degraded"), sum(1 for a in alarms if a.warehouse == w),
                                    crates.count(w)))
    return out
