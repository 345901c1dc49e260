"""The uplink's store-and-forward spool: a table in the edge's own SQLite.

Messages are added inside the writer's transaction (a rollup and its uplink message commit
together), read in seq order by the publisher, and deleted only when the broker acknowledged
them. The spool is bounded by a disk budget for every kind: over it, the oldest messages of the
lowest priority (1-minute rollups, then 1-hour rollups) are evicted and counted, and only when
none is left, the oldest alarms, exposures and QC results (logged: the alarm itself stays on the
node). A link down for weeks cannot fill the disk the node's own work needs.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge.services.uplink_topics import KINDS, UplinkMessage
from edge.store import Store

log = logging.getLogger(__name__)

#: Priority of the kinds evicted only when no rollup is left (alarms, exposures, QC results).
KEPT_LONGEST = max(priority for _suffix, priority in KINDS.values())

#: Rows examined per eviction round: enough to catch up quickly, small enough to keep a write short.
_EVICT_BATCH = 512


@dataclass(frozen=True)
class Spooled:
    seq: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class SpoolStatus:
    """What an operator needs to see: how much waits, since when, and what was given up."""

    depth: int
    bytes: int
    budget_bytes: int
    oldest_seq: int | None
    oldest_created_at: str | None
    acked: int
    evicted: int
    evicted_bytes: int
    epoch: str
    connected: bool | None
    last_ack_at: str | None
    last_error: str | None

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def _state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM uplink_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _add(conn: sqlite3.Connection, key: str, amount: int) -> None:
    conn.execute("UPDATE uplink_state SET value = CAST(value AS INTEGER) + ? WHERE key = ?", (amount, key))


def set_state(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM uplink_state WHERE key = ?", (key,))
    else:
        conn.execute("INSERT INTO uplink_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (key, value))


def enqueue(conn: sqlite3.Connection, messages: Iterable[UplinkMessage], *, budget_bytes: int,
            created_at: str) -> list[int]:
    """Add messages in order inside the caller's open transaction; returns their seqs.

    Call it with `Write.conn` so the message commits with the change it reports.
    """
    seqs = []
    for message in messages:
        payload = message.encode()
        cursor = conn.execute(
            "INSERT INTO uplink_spool (topic, kind, priority, payload, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (message.topic, message.kind, message.priority, payload, len(payload) + len(message.topic), created_at),
        )
        seqs.append(int(cursor.lastrowid or 0))
    enforce_budget(conn, budget_bytes)
    return seqs


def enforce_budget(conn: sqlite3.Connection, budget_bytes: int) -> int:
    """Evict the oldest evictable messages until the spool fits; returns how many went."""
    evicted = 0
    while int(_state(conn, "bytes") or 0) > budget_bytes:
        over = int(_state(conn, "bytes") or 0) - budget_bytes
        rows = conn.execute(
            "SELECT seq, bytes, priority FROM uplink_spool ORDER BY priority, seq LIMIT ?", (_EVICT_BATCH,)
        ).fetchall()
        if not rows:
            break
        chosen, freed = [], 0
        for seq, size, priority in rows:
            if priority >= KEPT_LONGEST:
                log.warning("uplink spool over its budget with no rollup left: evicting message %d", seq)
            chosen.append(seq)
            freed += size
            if freed >= over:
                break
        conn.executemany("DELETE FROM uplink_spool WHERE seq = ?", [(s,) for s in chosen])
        _add(conn, "evicted", len(chosen))
        _add(conn, "evicted_bytes", freed)
        evicted += len(chosen)
    return evicted


def pending(store: Store, after_seq: int, limit: int) -> list[Spooled]:
    """The next messages after `after_seq`, in seq order (what the publisher hands the broker)."""
    rows = store.conn.execute(
        "SELECT seq, topic, payload FROM uplink_spool WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
    ).fetchall()
    return [Spooled(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]


def acknowledge(store: Store, seqs: Sequence[int], acked_at: str) -> None:
    """Forget messages the broker acknowledged (a seq already evicted or deleted is ignored)."""
    if not seqs:
        return
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("DELETE FROM uplink_spool WHERE seq = ?", [(s,) for s in seqs])
        _add(conn, "acked", len(seqs))
        set_state(conn, "last_ack_at", acked_at)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def record_link(store: Store, *, connected: bool, error: str | None) -> None:
    """The publisher's view of the link, for status readers in other processes."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        set_state(conn, "connected", "1" if connected else "0")
        if error is not None or connected:
            set_state(conn, "last_error", error)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def epoch(store: Store) -> str:
    value = _state(store.conn, "epoch")
    if value is None:
        raise RuntimeError("uplink_state has no epoch: migration 0005 did not run")
    return value


def status(store: Store, budget_bytes: int) -> SpoolStatus:
    conn = store.conn
    state = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM uplink_state")}
    oldest = conn.execute("SELECT seq, created_at FROM uplink_spool ORDER BY seq LIMIT 1").fetchone()
    connected = state.get("connected")
    return SpoolStatus(
        depth=int(state.get("depth", 0)), bytes=int(state.get("bytes", 0)), budget_bytes=budget_bytes,
        oldest_seq=None if oldest is None else int(oldest[0]),
        oldest_created_at=None if oldest is None else str(oldest[1]),
        acked=int(state.get("acked", 0)), evicted=int(state.get("evicted", 0)),
        evicted_bytes=int(state.get("evicted_bytes", 0)), epoch=state.get("epoch", ""),
        connected=None if connected is None else connected == "1",
        last_ack_at=state.get("last_ack_at"), last_error=state.get("last_error"),
    )

