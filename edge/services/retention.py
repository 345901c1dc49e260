"""Retention of what only grows: outbox rows HQ acknowledged long ago, floor scans past any replay,
and handoff photos past their keeping time. The event log itself is append-only and stays.

Each pass is one short transaction per table, oldest first, so a first pass over a year of data
does not hold the write lock long; files go only after their row no longer names them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from edge.store import Store
from edge.store.db import utc_text

_BATCH = 5000


@dataclass(frozen=True)
class Keep:
    """How long each kind of record stays on the node."""

    acked_outbox: dt.timedelta = dt.timedelta(days=14)  # HQ has them; the event log keeps the fact
    scans: dt.timedelta = dt.timedelta(days=90)  # a PDA replays a scan within minutes, not months
    photos: dt.timedelta = dt.timedelta(days=180)  # HQ has the proof and the photo's hash


def prune(store: Store, data_dir: Path, now: dt.datetime, keep: Keep = Keep()) -> dict[str, int]:
    """Delete what is past its keeping time; returns how many of each went."""
    gone = {
        "outbox": _delete(store, now, "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE acked_at < ?"
                          " AND seq NOT IN (SELECT outbox_seq FROM sync_dead_letters) ORDER BY seq LIMIT ?)",
                          now - keep.acked_outbox),
        "scans": _delete(store, now, "DELETE FROM floor_scans WHERE rowid IN (SELECT rowid FROM floor_scans"
                         " WHERE received_at < ? LIMIT ?)", now - keep.scans),
        "photos": 0,
    }
    cutoff = (now - keep.photos).date().isoformat()
    while True:
        with store.write("system:retention", now) as w:
            rows = w.conn.execute(
                "SELECT s.route_id, s.stop_no, s.photo_path FROM route_stops s JOIN routes r USING (route_id)"
                " WHERE s.photo_path IS NOT NULL AND r.delivery_date < ? LIMIT ?", (cutoff, _BATCH)).fetchall()
            w.conn.executemany("UPDATE route_stops SET photo_path = NULL WHERE route_id = ? AND stop_no = ?",
                               [(r[0], r[1]) for r in rows])
        for row in rows:
            (data_dir / row[2]).unlink(missing_ok=True)
        gone["photos"] += len(rows)
        if len(rows) < _BATCH:
            return gone


def _delete(store: Store, now: dt.datetime, sql: str, before: dt.datetime) -> int:
    total = 0
    while True:
        with store.write("system:retention", now) as w:
            count = w.conn.execute(sql, (utc_text(before), _BATCH)).rowcount
        total += count
        if count < _BATCH:
            return total
