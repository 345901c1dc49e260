"""The store: WAL, foreign keys, recorded migrations, append-only events, all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from edge.store import Store
from edge.store.db import DiskLow
from edge.store.migrate import Migration, bundled_migrations, migrate
from hq_sync.protocol import TourDonePayload

NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def test_database_is_wal_with_foreign_keys_and_records_its_migrations(edge_store: Store) -> None:
    assert edge_store.scalar("PRAGMA journal_mode") == "wal"
    assert edge_store.scalar("PRAGMA foreign_keys") == 1
    assert edge_store.scalar("PRAGMA busy_timeout") > 0
    versions = [row["version"] for row in edge_store.query("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in bundled_migrations()]


def test_opening_twice_applies_nothing_again(edge_store: Store) -> None:
    assert migrate(edge_store.conn) == []
    assert Store(edge_store.path).scalar("SELECT COUNT(*) FROM schema_migrations") == len(bundled_migrations())


def test_a_failing_migration_leaves_no_trace(edge_store: Store) -> None:
    broken = Migration(9999, "broken", "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        migrate(edge_store.conn, [broken])
    assert edge_store.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'") == 0
    assert edge_store.scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = 9999") == 0


def test_foreign_keys_are_enforced(edge_store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), edge_store.write("test", NOW) as w:
        w.conn.execute("INSERT INTO stock (location_code, sku_id, lot, expiry, quantity)"
                       " VALUES ('nowhere', 'nothing', 'L1', '2026-08-01', 1)")


def test_a_change_and_its_outbox_event_commit_together(edge_store: Store) -> None:
    with edge_store.write("person:SUP01", NOW, device_id="pda-7") as w:
        w.conn.execute("INSERT INTO suppliers (supplier_id, name) VALUES ('S1', 'orchard')")
        w.emit(TourDonePayload(), "T1")
    event = edge_store.query("SELECT * FROM events")[0]
    assert (event["actor"], event["device_id"], event["kind"]) == ("person:SUP01", "pda-7", "floor.tour_done")
    outbox = edge_store.query("SELECT * FROM outbox")
    assert len(outbox) == 1 and outbox[0]["event_id"] == event["event_id"]
    assert len(outbox[0]["idempotency_key"]) == 36


def test_a_failed_write_leaves_neither_change_nor_event(edge_store: Store) -> None:
    with pytest.raises(RuntimeError), edge_store.write("test", NOW) as w:
        w.conn.execute("INSERT INTO suppliers (supplier_id, name) VALUES ('S1', 'orchard')")
        w.emit(TourDonePayload(), "T1")
        raise RuntimeError("crash in the middle")
    assert edge_store.scalar("SELECT COUNT(*) FROM suppliers") == 0
    assert edge_store.scalar("SELECT COUNT(*) FROM events") == 0
    assert edge_store.scalar("SELECT COUNT(*) FROM outbox") == 0


def test_events_are_append_only(edge_store: Store) -> None:
    with edge_store.write("test", NOW) as w:
        w.log("x", "y", {})
    for statement in ("UPDATE events SET kind = 'z'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            edge_store.conn.execute(statement)


def test_naive_times_are_refused(edge_store: Store) -> None:
    with pytest.raises(ValueError, match="naive"), edge_store.write("test", dt.datetime(2026, 7, 1)):
        pass


def test_a_commit_that_fails_rolls_back_and_frees_the_write_lock(edge_store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), edge_store.write("test", NOW) as w:
        w.conn.execute("PRAGMA defer_foreign_keys = ON")  # the violation surfaces only at COMMIT
        w.conn.execute("INSERT INTO stock (location_code, sku_id, lot, expiry, quantity)"
                       " VALUES ('nowhere', 'nothing', 'L1', '2026-08-01', 1)")
    assert not edge_store.conn.in_transaction
    with edge_store.write("test", NOW) as w:  # the next writer is not locked out
        w.conn.execute("INSERT INTO suppliers (supplier_id, name) VALUES ('S1', 'orchard')")
    assert edge_store.scalar("SELECT COUNT(*) FROM stock") == 0
    assert edge_store.scalar("SELECT COUNT(*) FROM suppliers") == 1


def test_writes_are_refused_cleanly_when_the_disk_is_nearly_full(tmp_path: Path) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    store.min_free_bytes = store.free_bytes() + 2**40  # as if a terabyte more were needed
    with pytest.raises(DiskLow, match="MiB free under"), store.write("test", NOW) as w:
        w.conn.execute("INSERT INTO suppliers (supplier_id, name) VALUES ('S1', 'orchard')")
    assert store.scalar("SELECT COUNT(*) FROM suppliers") == 0 and not store.conn.in_transaction
