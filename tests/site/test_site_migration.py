"""Migration 0008 lets a store's service time be unknown (the site's default then applies), keeping
every store's minutes and every reference to it."""

from __future__ import annotations

import sqlite3

import pytest

from edge.store.migrate import bundled_migrations, migrate


def test_stores_keep_their_minutes_and_references_and_may_have_none() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    before = [m for m in bundled_migrations() if m.version < 8]
    migrate(conn, before)
    conn.execute("INSERT INTO stores (store_id, name, service_minutes) VALUES ('S1', 'one', 6), ('S2', 'two', 10)")
    order = ("INSERT INTO orders (hq_order_id, version, store_id, delivery_date, status, content_sha256, received_at,"
             " updated_at) VALUES (?, 1, ?, '2026-07-02', 'open', '', '2026-07-01T00:00:00Z', '2026-07-01T00:00:00Z')")
    conn.execute(order, ("O1", "S1"))

    assert 8 in migrate(conn)

    assert conn.execute("SELECT store_id, service_minutes FROM stores ORDER BY 1").fetchall() == [("S1", 6), ("S2", 10)]
    conn.execute("INSERT INTO stores (store_id, name) VALUES ('S3', 'from HQ')")
    assert conn.execute("SELECT service_minutes FROM stores WHERE store_id = 'S3'").fetchone() == (None,)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(order, ("O2", "S9"))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM stores WHERE store_id = 'S1'")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE stores SET service_minutes = -1 WHERE store_id = 'S2'")
