"""Device status snapshots: the running node writes them, any process (CLI, pages) reads them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from drivers.supervisor import DeviceStatus
from edge.store import Store
from edge.store.db import parse_utc, utc_text

#: A snapshot older than this means the node that wrote it is not running (it writes every tick).
STALE_AFTER = dt.timedelta(seconds=30)


def save_statuses(store: Store, statuses: Iterable[DeviceStatus], now: dt.datetime) -> None:
    """Replace the snapshot of every device in one statement batch (not an event: it is not a fact)."""
    rows = [(s.device_id, s.kind, s.profile, s.link, s.state, s.reason, utc_text(s.since), s.frames, s.errors,
             s.reconnects, s.last_error, json.dumps(s.last_reading.to_json(), default=str) if s.last_reading else None,
             utc_text(s.last_reading_at) if s.last_reading_at else None, utc_text(now)) for s in statuses]
    with store.write("system:devices", now) as w:
        w.conn.executemany(
            "INSERT OR REPLACE INTO device_status VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def load_statuses(store: Store, now: dt.datetime) -> list[dict[str, Any]]:
    """The snapshot, with `stale` set where the node has not refreshed it lately, and `degraded` (with
    the reason) instead of `online` for a device whose data the cold chain no longer trusts."""
    rows = store.query("SELECT * FROM device_status ORDER BY device_id")
    degraded = {r["device_id"]: r["detail"] for r in store.query(
        "SELECT s.device_id, a.detail FROM cold_alarms a JOIN cold_sensors s USING (sensor_id)"
        " WHERE a.kind = 'sensor_degraded' AND a.state = 'active'")}
    for row in rows:
        if row["device_id"] in degraded and row["state"] == "online":  # data arrives, but not trustworthy
            row["state"], row["reason"] = "degraded", degraded[row["device_id"]]
        row["last_reading"] = json.loads(row["last_reading"]) if row["last_reading"] else None
        row["stale"] = now - parse_utc(row["updated_at"]) > STALE_AFTER
    return rows
