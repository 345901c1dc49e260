"""Retention prunes what only grows: acknowledged outbox rows, old scans, old handoff photos."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from edge.services.hq_port import StorePort
from edge.services.retention import Keep, prune
from edge.store import Store
from edge.store.db import utc_text
from hq_sync.port import Refusal
from hq_sync.protocol import TourDonePayload

NOW = dt.datetime(2030, 7, 1, 12, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=200)


def test_prune_keeps_the_recent_the_unacknowledged_and_the_log(tmp_path: Path) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    with store.write("person:P01", OLD) as w:
        for i in range(4):
            w.emit(TourDonePayload(), f"T{i}")
    port = StorePort(store)
    old = port.unacked_events(4)
    port.mark_acked([e.idempotency_key for e in old[:2]], OLD)  # long acknowledged: pruned
    port.dead_letter([Refusal(old[2].idempotency_key, "refused", "x")], OLD)  # a dead letter stays
    with store.write("person:P01", NOW) as w:
        w.emit(TourDonePayload(), "T9")
    port.mark_acked([port.unacked_events(10)[-1].idempotency_key], NOW)  # recently acknowledged: kept
    for scan_id, at in (("old", OLD), ("new", NOW)):
        store.conn.execute("INSERT INTO floor_scans (scan_id, channel, subject, actor, outcome, scanned_at,"
                           " received_at, response) VALUES (?, 'pick', 'T1', 'P01', 'ok', ?, ?, '{}')",
                           (scan_id, utc_text(at), utc_text(at)))
    photos = []
    store.conn.execute("PRAGMA foreign_keys = OFF")
    for n, day in ((1, OLD), (2, NOW)):
        photo = tmp_path / "photos" / f"R{n}" / "1.jpg"
        photo.parent.mkdir(parents=True)
        photo.write_bytes(b"jpeg")
        photos.append(photo)
        store.conn.execute("INSERT INTO routes (route_id, delivery_date, route_no, vehicle_id, distance_m, duration_s,"
                           " planned_at) VALUES (?, ?, 1, 'V1', 1, 1, ?)", (f"R{n}", day.date().isoformat(),
                                                                             utc_text(day)))
        store.conn.execute("INSERT INTO route_stops (route_id, stop_no, store_id, arrival, photo_path)"
                           " VALUES (?, 1, 'S1', ?, ?)", (f"R{n}", utc_text(day), f"photos/R{n}/1.jpg"))
    store.conn.execute("PRAGMA foreign_keys = ON")

    assert prune(store, tmp_path, NOW, Keep()) == {"outbox": 2, "scans": 1, "photos": 1}
    assert store.scalar("SELECT COUNT(*) FROM outbox") == 3  # one unacknowledged, one dead letter, one recent
    assert store.scalar("SELECT COUNT(*) FROM events") == 5  # the log keeps every fact
    assert [r[0] for r in store.conn.execute("SELECT scan_id FROM floor_scans")] == ["new"]
    assert not photos[0].exists() and photos[1].exists()
    assert prune(store, tmp_path, NOW, Keep()) == {"outbox": 0, "scans": 0, "photos": 0}
