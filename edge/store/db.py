"""SQLite store with one write API: a state change and its events commit together or not at all.

Each thread gets its own connection (FastAPI runs sync routes in a pool); writers serialise on
SQLite's own lock (`BEGIN IMMEDIATE` plus a busy timeout), readers never block under WAL.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from edge.store.migrate import migrate

BUSY_TIMEOUT_MS = 10_000


def utc_text(moment: dt.datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z: sorts as text, parses everywhere."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC time")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class Write:
    """An open write transaction: change rows through `conn`/`db`, record what happened with `emit`."""

    def __init__(self, conn: sqlite3.Connection, actor: str, device_id: str | None, now: dt.datetime):
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.actor = actor
        self.device_id = device_id
        self.now = now
        self.now_text = utc_text(now)

    def emit(
        self,
        kind: str,
        subject: str,
        payload: dict[str, Any],
        *,
        to_hq: bool = True,
        occurred_at: dt.datetime | None = None,
    ) -> int:
        """Append an event to the log and, for HQ, to the outbox with a fresh idempotency key."""
        occurred = utc_text(occurred_at) if occurred_at else self.now_text
        body = _json(payload)
        cursor = self.conn.execute(
            "INSERT INTO events (kind, subject, actor, device_id, occurred_at, recorded_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, subject, self.actor, self.device_id, occurred, self.now_text, body),
        )
        event_id = int(cursor.lastrowid or 0)
        if to_hq:
            message = {
                "kind": kind,
                "subject": subject,
                "actor": self.actor,
                "device_id": self.device_id,
                "occurred_at": occurred,
                "payload": payload,
            }
            self.conn.execute(
                "INSERT INTO outbox (event_id, idempotency_key, kind, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (event_id, str(uuid.uuid4()), kind, _json(message), self.now_text),
            )
        return event_id


class Store:
    """The node's database file: WAL, foreign keys on, migrated on open."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Writers of this process queue here rather than in SQLite's busy handler, which sleeps
        # in steps of up to 100 ms: under a burst of scans that sleep, not the work, was the latency.
        self._write_lock = threading.Lock()
        migrate(self.conn)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.conn)

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.conn.execute(sql, params)]

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def write(self, actor: str, now: dt.datetime, device_id: str | None = None) -> Iterator[Write]:
        """One transaction: commit when the block ends, roll back everything if it raises."""
        conn = self.conn
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Write(conn, actor, device_id, now)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
