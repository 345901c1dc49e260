"""SQLite store with one write API: a state change and its events commit together or not at all.

Each thread gets its own connection (FastAPI runs sync routes in a pool); writers serialise on
SQLite's own lock (`BEGIN IMMEDIATE` plus a busy timeout), readers never block under WAL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from edge.store.migrate import migrate
from hq_sync.protocol import EdgeEvent, EventPayload

BUSY_TIMEOUT_MS = 10_000
#: Below this much free disk a write is refused up front, cleanly, before SQLite fails half-way.
MIN_FREE_BYTES = 64 * 1024 * 1024

log = logging.getLogger(__name__)


class DiskLow(RuntimeError):
    """The node's disk is nearly full: nothing new is accepted until space is freed (retention, an operator)."""

    def __init__(self, free: int, needed: int, where: Path):
        self.free, self.needed = free, needed
        super().__init__(f"only {free // 1_048_576} MiB free under {where}; writes need {needed // 1_048_576} MiB"
                         " free: prune or free space")


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

    def emit(self, payload: EventPayload, subject: str, *, occurred_at: dt.datetime | None = None) -> int:
        """Log an event and queue it for HQ with a fresh idempotency key.

        The whole message is checked against the protocol first (lengths of actor, subject and
        payload fields included), so an event HQ would refuse cannot be committed: the caller's
        transaction fails instead, with the field that is wrong.
        """
        occurred = occurred_at or self.now
        key = str(uuid.uuid4())
        message = EdgeEvent(
            seq=1, idempotency_key=key, kind=payload.KIND, subject=subject, actor=self.actor,
            device_id=self.device_id, occurred_at=occurred, payload=payload.model_dump(mode="json"),
        ).model_dump(mode="json", exclude={"seq", "idempotency_key"})
        message["occurred_at"] = utc_text(occurred)
        event_id = self.log(payload.KIND, subject, message["payload"], occurred_at=occurred)
        self.conn.execute(
            "INSERT INTO outbox (event_id, idempotency_key, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            (event_id, key, payload.KIND, _json(message), self.now_text),
        )
        return event_id

    def log(self, kind: str, subject: str, payload: dict[str, Any], *, occurred_at: dt.datetime | None = None) -> int:
        """Append an event to the node's own log only (sign-ins, readings, photos: not for HQ)."""
        occurred = utc_text(occurred_at) if occurred_at else self.now_text
        cursor = self.conn.execute(
            "INSERT INTO events (kind, subject, actor, device_id, occurred_at, recorded_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, subject, self.actor, self.device_id, occurred, self.now_text, _json(payload)),
        )
        return int(cursor.lastrowid or 0)


class Store:
    """The node's database file: WAL, foreign keys on, migrated on open."""

    def __init__(self, path: Path, *, min_free_bytes: int = MIN_FREE_BYTES):
        self.path = Path(path)
        self.min_free_bytes = min_free_bytes
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
            self._check_disk()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Write(conn, actor, device_id, now)
                conn.execute("COMMIT")
            except BaseException:
                # A COMMIT that failed (disk full, busy) leaves the transaction open, holding the
                # write lock for every other writer: roll it back here, whatever failed.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def free_bytes(self) -> int:
        """Free space on the database's file system, for this node's unprivileged writer."""
        stat = os.statvfs(self.path.parent)
        return stat.f_bavail * stat.f_frsize

    def _check_disk(self) -> None:
        free = self.free_bytes()
        if free < self.min_free_bytes:
            log.critical("disk low: %d bytes free under %s, writes refused", free, self.path.parent)
            raise DiskLow(free, self.min_free_bytes, self.path.parent)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
