"""What the uplink sends: closed rollup buckets, alarm transitions, crate exposures, spooled in order.

`collect` reads the cold chain's tables behind cursors kept in `uplink_state` and adds the new
facts to the spool in one transaction with the cursors, so a crash never sends a fact twice
from here nor skips one. A rollup bucket is sent once it is closed (its end plus a grace for
readings in transit is past); a late reading that changes a closed bucket sends it again as a
revision (same bucket, newer `updated_at`), and HQ keeps the latest. A crate's exposure is sent
once, when its `delivered` scan is older than the same grace (so the truck's last readings are in).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from edge.services import uplink_spool as spool
from edge.services.coldchain_assets import assets
from edge.services.coldchain_exposure import crate_exposure
from edge.services.uplink_topics import CRATES_ASSET, WHOLE_ASSET, UplinkMessage
from edge.store import Store
from edge.store.db import parse_utc

LEVELS = {"1m": dt.timedelta(minutes=1), "1h": dt.timedelta(hours=1)}
ALARM_BATCH = 5000
EXPOSURE_BATCH = 100
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class AssetFacts:
    kind: str
    band_min_c: float | None
    band_max_c: float | None


def _asset_facts(store: Store) -> dict[str, AssetFacts]:
    return {a.asset_id: AssetFacts(a.kind, a.rule.band.low_c, a.rule.band.high_c) for a in assets(store).values()}


def _sensor_assets(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in conn.execute("SELECT sensor_id, asset_id FROM cold_sensors")}


def _rollups(conn: sqlite3.Connection, level: str, closed_before: dt.datetime, warehouse: str,
             where: dict[str, str], facts: dict[str, AssetFacts]) -> list[UplinkMessage]:
    key = f"cursor.rollup.{level}"
    row = conn.execute("SELECT value FROM uplink_state WHERE key = ?", (key,)).fetchone()
    cursor = str(row[0]) if row else ""
    rows = conn.execute(
        f"SELECT sensor_id, bucket, min_c, max_c, mean_c, count, updated_at FROM cold_rollups_{level}"
        " WHERE updated_at >= ? ORDER BY updated_at", (cursor,)).fetchall()
    sent = {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT sensor_id, bucket, updated_at FROM uplink_rollups_sent WHERE level = ? AND updated_at >= ?",
        (level, cursor))}
    width = LEVELS[level]
    fresh: list[sqlite3.Row] = []
    oldest_open: str | None = None
    for r in rows:
        if parse_utc(r["bucket"]) + width > closed_before:
            oldest_open = r["updated_at"] if oldest_open is None else min(oldest_open, r["updated_at"])
        elif sent.get((r["sensor_id"], r["bucket"])) != r["updated_at"]:
            fresh.append(r)
    messages = []
    for r in sorted(fresh, key=lambda r: (r["bucket"], r["sensor_id"])):
        asset = where.get(r["sensor_id"], UNASSIGNED)
        fact = facts.get(asset)
        body: dict[str, Any] = {"bucket": r["bucket"], "min_c": r["min_c"], "max_c": r["max_c"],
                                "mean_c": r["mean_c"], "count": r["count"], "revision": r["updated_at"],
                                "asset_kind": fact.kind if fact else "",
                                "band_min_c": fact.band_min_c if fact else None,
                                "band_max_c": fact.band_max_c if fact else None}
        messages.append(UplinkMessage(f"rollup.{level}", warehouse, asset, r["sensor_id"], parse_utc(r["bucket"]),
                                      body))
        conn.execute("INSERT INTO uplink_rollups_sent VALUES (?, ?, ?, ?) ON CONFLICT (level, sensor_id, bucket)"
                     " DO UPDATE SET updated_at = excluded.updated_at",
                     (level, r["sensor_id"], r["bucket"], r["updated_at"]))
    newest = rows[-1]["updated_at"] if rows else cursor
    spool.set_state(conn, key, oldest_open if oldest_open is not None else newest)
    conn.execute("DELETE FROM uplink_rollups_sent WHERE level = ? AND updated_at < ?",
                 (level, oldest_open if oldest_open is not None else newest))
    return messages


def _alarms(conn: sqlite3.Connection, warehouse: str) -> list[UplinkMessage]:
    row = conn.execute("SELECT value FROM uplink_state WHERE key = 'cursor.alarm_audit'").fetchone()
    cursor = int(row[0]) if row else 0
    rows = conn.execute(
        "SELECT u.audit_id, u.alarm_id, u.transition, u.at, u.actor, u.severity, u.reason, a.asset_id,"
        " a.sensor_id, a.kind, a.started_at, a.raised_at, a.cleared_at, a.limit_c, a.peak_c, a.peak_at,"
        " a.degree_minutes, a.detail, a.acknowledged_at, a.acknowledged_by, (SELECT min(k.audit_id)"
        "  FROM cold_alarm_audit k WHERE k.alarm_id = u.alarm_id AND k.transition = 'acknowledged') AS ack_audit_id"
        " FROM cold_alarm_audit u JOIN cold_alarms a USING (alarm_id) WHERE u.audit_id > ? ORDER BY u.audit_id LIMIT ?",
        (cursor, ALARM_BATCH)).fetchall()
    messages = []
    for r in rows:
        cleared = r["transition"] == "cleared" or (r["cleared_at"] is not None and r["cleared_at"] <= r["at"])
        # As of this line in the append-only trail, not by clock: a raise and an acknowledgement
        # recorded within one millisecond (or across a clock step) keep their order.
        acked = r["ack_audit_id"] is not None and r["ack_audit_id"] <= r["audit_id"]
        body = {"alarm_id": str(r["alarm_id"]), "transition": r["transition"],
                "state": "cleared" if cleared else "active", "severity": r["severity"], "alarm_kind": r["kind"],
                "reason": r["reason"] or r["kind"], "actor": r["actor"], "since": r["started_at"],
                "raised_at": r["raised_at"], "cleared_at": r["cleared_at"], "limit_c": r["limit_c"],
                "value_c": r["peak_c"], "peak_at": r["peak_at"], "degree_minutes": r["degree_minutes"],
                "detail": r["detail"], "acknowledged_at": r["acknowledged_at"] if acked else None,
                "acknowledged_by": r["acknowledged_by"] if acked else None}
        messages.append(UplinkMessage("alarm", warehouse, r["asset_id"], r["sensor_id"] or WHOLE_ASSET,
                                      parse_utc(r["at"]), body))
    if rows:
        spool.set_state(conn, "cursor.alarm_audit", str(rows[-1]["audit_id"]))
    return messages


@dataclass(frozen=True)
class Exposures:
    """Delivered crates' histories read after `after` (a crate scan id), up to `until`."""

    after: int
    until: int
    messages: list[UplinkMessage]


def _exposure_cursor(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM uplink_state WHERE key = 'cursor.crate_delivered'").fetchone()
    return int(row[0]) if row else 0


def _exposures(store: Store, warehouse: str, delivered_before: dt.datetime) -> Exposures:
    """One message per delivered crate, in the order the deliveries were recorded; the cursor stops
    at the first delivery still inside the grace, so none is skipped or sent twice. Reads only:
    histories are computed outside the write transaction, so floor scans never wait for them."""
    after = until = _exposure_cursor(store.conn)
    rows = store.conn.execute(
        "SELECT s.crate_scan_id, s.sscc, s.scanned_at, s.route_id, c.store_id, c.delivery_date FROM crate_scans s"
        " JOIN crates c USING (sscc) WHERE s.kind = 'delivered' AND s.crate_scan_id > ? ORDER BY s.crate_scan_id"
        " LIMIT ?", (after, EXPOSURE_BATCH)).fetchall()
    messages = []
    for r in rows:
        delivered = parse_utc(r["scanned_at"])
        if delivered > delivered_before:
            break
        body = {"store_id": r["store_id"], "route_id": r["route_id"], "delivery_date": r["delivery_date"],
                "delivered_at": r["scanned_at"], **crate_exposure(store, r["sscc"], now=delivered)}
        messages.append(UplinkMessage("exposure", warehouse, CRATES_ASSET, r["sscc"], delivered, body))
        until = r["crate_scan_id"]
    return Exposures(after, until, messages)


def collect(store: Store, *, warehouse: str, now: dt.datetime, budget_bytes: int,
            grace: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """Spool what changed since the last call; returns how many messages were added."""
    facts = _asset_facts(store)
    exposures = _exposures(store, warehouse, now - grace)
    with store.write("system:uplink", now) as w:
        where = _sensor_assets(w.conn)
        messages = [m for level in LEVELS for m in _rollups(w.conn, level, now - grace, warehouse, where, facts)]
        messages += _alarms(w.conn, warehouse)
        if exposures.messages and _exposure_cursor(w.conn) == exposures.after:  # else another collector was first
            messages += exposures.messages
            spool.set_state(w.conn, "cursor.crate_delivered", str(exposures.until))
        if messages:
            spool.enqueue(w.conn, messages, budget_bytes=budget_bytes, created_at=w.now_text)
    return len(messages)
