"""Exposure read from the store: an asset over a window, a day per asset, a truck trip, a crate.

A crate's journey comes from its scans (floor's `crate_scans`): each scan puts it in a cold room
or truck compartment until the next scan, and a `delivered` scan ends it. Each leg is judged
against the crate's own band (its class narrowed by the bands of the SKUs inside), using the
telemetry of the asset it was in; legs in no known asset count as unmonitored time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from dataclasses import dataclass
from typing import Any

from edge.domain.coldchain.bands import Band, BandConflict, class_band, effective_band
from edge.domain.coldchain.exposure import Exposure, Held, excursions, hold, summarize
from edge.domain.coldchain.mkt import delta_h_over_r
from edge.services.coldchain_assets import AssetInfo, assets
from edge.services.telemetry import temperatures
from edge.store import Store
from edge.store.db import parse_utc, utc_text

DEFAULT_DH_OVER_R = delta_h_over_r()


@dataclass(frozen=True)
class SensorHeld:
    sensor_id: str
    held: list[Held]


def _held_by_sensor(store: Store, asset: AssetInfo, start: dt.datetime, end: dt.datetime) -> list[SensorHeld]:
    max_hold = asset.rule.heartbeat_s
    ids = [r[0] for r in store.conn.execute(
        "SELECT sensor_id FROM cold_sensors WHERE asset_id = ? AND active = 1 ORDER BY sensor_id", (asset.asset_id,))]
    lookback = start - dt.timedelta(seconds=max_hold)
    return [SensorHeld(s, hold(temperatures(store, [s], lookback, end), start, end, max_hold)) for s in ids]


def asset_exposure(store: Store, asset_id: str, start: dt.datetime, end: dt.datetime, *, band: Band | None = None,
                   dh_over_r: float = DEFAULT_DH_OVER_R) -> dict[str, Any]:
    """The asset's exposure in `[start, end)`: its worst sensor (most degree-minutes) and each sensor's."""
    asset = assets(store).get(asset_id)
    if asset is None:
        raise LookupError(f"no active cold asset {asset_id!r}")
    judged = band or asset.rule.band
    per_sensor = {h.sensor_id: summarize(((x, judged) for x in h.held), dh_over_r)
                  for h in _held_by_sensor(store, asset, start, end)}
    worst = max(per_sensor.values(), key=lambda e: (e.degree_minutes, e.out_of_range_s, e.covered_s), default=None)
    return {"asset_id": asset_id, "kind": asset.kind, "name": asset.name, "band": _band(judged),
            "from": utc_text(start), "to": utc_text(end),
            **(worst or summarize(())).as_dict(),
            "sensors": {sid: e.as_dict() for sid, e in per_sensor.items()}}


def _band(band: Band) -> dict[str, float | None]:
    return {"low_c": band.low_c, "high_c": band.high_c}


def local_day(day: dt.date, zone: Any) -> tuple[dt.datetime, dt.datetime]:
    """The UTC bounds of a local calendar day."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def daily(store: Store, day: dt.date, zone: Any, *, dh_over_r: float = DEFAULT_DH_OVER_R) -> list[dict[str, Any]]:
    """Per asset for one local day: min, max, mean, MKT, time out of band, degree-minutes, alarms raised."""
    start, end = local_day(day, zone)
    out = []
    for asset_id in assets(store):
        row = asset_exposure(store, asset_id, start, end, dh_over_r=dh_over_r)
        row["alarms"] = store.scalar("SELECT count(*) FROM cold_alarms WHERE asset_id = ? AND raised_at >= ?"
                                     " AND raised_at < ?", (asset_id, utc_text(start), utc_text(end)))
        out.append(row)
    return out


def asset_record(store: Store, asset_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """What the temperature record (GB 31605) adds to the day's numbers: the recording interval,
    each excursion per sensor (start, end, duration, peak, K·min), and every alarm of the window with
    its acknowledgement and corrective action."""
    asset = assets(store)[asset_id]
    found = []
    intervals = []
    for sensor in _held_by_sensor(store, asset, start, end):
        found += [{"sensor_id": sensor.sensor_id, "start": utc_text(e.start), "end": utc_text(e.end), "side": e.side,
                   "duration_s": e.duration_s, "peak_c": e.peak_c, "degree_minutes": e.degree_minutes}
                  for e in excursions(sensor.held, asset.rule.band)]
        times = [t for t, _ in temperatures(store, [sensor.sensor_id], start, end)]
        intervals += [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    alarm_rows = store.query(
        "SELECT alarm_id, sensor_id, kind, severity, state, started_at, raised_at, cleared_at, peak_c, degree_minutes,"
        " acknowledged_at, acknowledged_by, ack_reason FROM cold_alarms WHERE asset_id = ? AND raised_at < ?"
        " AND (cleared_at IS NULL OR cleared_at >= ?) ORDER BY raised_at, alarm_id",
        (asset_id, utc_text(end), utc_text(start)))
    return {"recording_interval_s": statistics.median(intervals) if intervals else None,
            "excursions": sorted(found, key=lambda e: (e["start"], e["sensor_id"])), "alarm_log": alarm_rows}


def trip_exposure(store: Store, route_id: str, now: dt.datetime, *,
                  dh_over_r: float = DEFAULT_DH_OVER_R) -> dict[str, Any]:
    """A truck trip: from departure (or first loading scan) to the last confirmed stop, or `now` while under way;
    each compartment of the route's vehicle against its own band."""
    route = store.conn.execute("SELECT vehicle_id, departed_at FROM routes WHERE route_id = ?", (route_id,)).fetchone()
    if route is None:
        raise LookupError(f"no route {route_id!r}")
    vehicle_id, departed = route
    departed = departed or store.scalar("SELECT min(scanned_at) FROM crate_scans WHERE route_id = ?", (route_id,))
    if departed is None:
        raise LookupError(f"route {route_id} has not started")
    arrived = store.scalar("SELECT max(confirmed_at) FROM route_stops WHERE route_id = ? AND NOT EXISTS ("
                           " SELECT 1 FROM route_stops WHERE route_id = ? AND status != 'delivered')",
                           (route_id, route_id))
    start, end = parse_utc(departed), parse_utc(arrived) if arrived else now
    compartments = [a.asset_id for a in assets(store).values() if a.kind == "truck_compartment"
                    and (a.vehicle_id == vehicle_id or store.scalar(
                        "SELECT 1 FROM vehicle_compartments WHERE compartment_id = ? AND vehicle_id = ?",
                        (a.asset_id, vehicle_id)))]
    return {"route_id": route_id, "vehicle_id": vehicle_id, "from": utc_text(start), "to": utc_text(end),
            "finished": arrived is not None,
            "compartments": [asset_exposure(store, c, start, end, dh_over_r=dh_over_r) for c in compartments]}


def crate_band(store: Store, sscc: str, temp_class: str) -> tuple[Band, str | None]:
    """The crate's class band narrowed by its SKUs' bands; on a conflict the class band and a warning."""
    rows = store.conn.execute("SELECT b.low_c, b.high_c FROM crate_lines l JOIN cold_sku_bands b USING (sku_id)"
                              " WHERE l.sscc = ?", (sscc,))
    base = class_band(temp_class)
    try:
        return effective_band(base, [Band(lo, hi) for lo, hi in rows]), None
    except BandConflict as exc:
        return base, f"mixed crate: {exc}; judged against its class band"


def crate_exposure(store: Store, sscc: str, *, now: dt.datetime | None = None,
                   dh_over_r: float = DEFAULT_DH_OVER_R) -> dict[str, Any]:
    """The temperature history of one crate, for the handoff screen and the proof of delivery.

    Returns the crate's band, one leg per scan (asset, from, to, min/max/mean/MKT, time out of band),
    the whole journey's summary with unmonitored time, and the alarms on those assets during its legs.
    """
    crate = store.conn.execute("SELECT temp_class, status FROM crates WHERE sscc = ?", (sscc,)).fetchone()
    if crate is None:
        raise LookupError(f"no crate {sscc}")
    band, warning = crate_band(store, sscc, crate[0])
    scans = store.query("SELECT kind, coalesce(asset_id, compartment_id) AS asset, scanned_at FROM crate_scans"
                        " WHERE sscc = ? ORDER BY scanned_at, crate_scan_id", (sscc,))
    known = assets(store)
    end_of_journey = now or dt.datetime.now(dt.UTC)
    legs: list[dict[str, Any]] = []
    parts: list[tuple[Held, Band]] = []
    alarms: list[int] = []
    unmonitored = 0.0
    for i, scan in enumerate(scans):
        if scan["kind"] == "delivered":
            break
        start = parse_utc(scan["scanned_at"])
        end = parse_utc(scans[i + 1]["scanned_at"]) if i + 1 < len(scans) else end_of_journey
        if end <= start:
            continue
        asset = known.get(scan["asset"] or "")
        if asset is None:
            unmonitored += (end - start).total_seconds()
            legs.append({"asset_id": scan["asset"], "scan": scan["kind"], "from": utc_text(start), "to": utc_text(end),
                         "monitored": False})
            continue
        held = _held_by_sensor(store, asset, start, end)
        chosen = max(held, key=lambda h: summarize((x, band) for x in h.held).degree_minutes, default=None)
        leg_parts = [(x, band) for x in (chosen.held if chosen else [])]
        parts += leg_parts
        unmonitored += (end - start).total_seconds() - sum(x.seconds for x, _ in leg_parts)
        alarms += [r[0] for r in store.conn.execute(
            "SELECT alarm_id FROM cold_alarms WHERE asset_id = ? AND raised_at < ? AND coalesce(cleared_at, ?) > ?",
            (asset.asset_id, utc_text(end), utc_text(end), utc_text(start)))]
        legs.append({"asset_id": asset.asset_id, "kind": asset.kind, "scan": scan["kind"], "from": utc_text(start),
                     "to": utc_text(end), "monitored": True, **summarize(leg_parts, dh_over_r).as_dict()})
    summary: Exposure = summarize(parts, dh_over_r)
    return {"sscc": sscc, "status": crate[1], "temp_class": crate[0], "band": _band(band), "warning": warning,
            "legs": legs, **summary.as_dict(), "unmonitored_s": round(max(unmonitored, 0.0), 3),
            "alarms": sorted(set(alarms))}


#: What the handoff screen and the proof of delivery carry of a crate's exposure (no legs).
SUMMARY_KEYS = ("band", "warning", "samples", "covered_s", "unmonitored_s", "min_c", "max_c", "mean_c", "mkt_c",
                "above_s", "below_s", "out_of_range_s", "degree_minutes", "alarms")


def crate_summary(store: Store, sscc: str, *, now: dt.datetime,
                  dh_over_r: float = DEFAULT_DH_OVER_R) -> dict[str, Any]:
    """`crate_exposure` without its legs, up to `now` for a crate not yet delivered."""
    full = crate_exposure(store, sscc, now=now, dh_over_r=dh_over_r)
    return {key: full[key] for key in SUMMARY_KEYS}
