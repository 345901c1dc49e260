"""HQ's cold-chain tables: every uplink message once, in arrival order, plus what was refused;
and each delivered crate's temperature history (its latest exposure message) by SSCC.

Its own connection and tables (in HQ's database file or another): the consumer writes from
paho's thread, the dashboard reads from the web server's.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS cc_messages (
    arrival    INTEGER PRIMARY KEY AUTOINCREMENT,
    edge       TEXT NOT NULL,
    epoch      TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    topic      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    warehouse  TEXT NOT NULL,
    asset      TEXT NOT NULL,
    sensor     TEXT NOT NULL,
    event_time TEXT NOT NULL,
    body       TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (edge, epoch, seq)
);
CREATE INDEX IF NOT EXISTS cc_messages_series ON cc_messages (warehouse, asset, sensor, kind, event_time);
CREATE TABLE IF NOT EXISTS cc_crate_exposures (
    warehouse      TEXT NOT NULL,
    sscc           TEXT NOT NULL,
    edge           TEXT NOT NULL,
    delivered_at   TEXT NOT NULL,
    store_id       TEXT,
    max_c          REAL,
    mkt_c          REAL,
    out_of_range_s REAL,
    body           TEXT NOT NULL,
    arrival        INTEGER NOT NULL,
    PRIMARY KEY (warehouse, sscc)
);
CREATE INDEX IF NOT EXISTS cc_crate_exposures_by_time ON cc_crate_exposures (delivered_at);
CREATE TABLE IF NOT EXISTS cc_counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cc_refused (
    refused_id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL,
    payload_head BLOB NOT NULL, received_at TEXT NOT NULL);
"""


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: str = Field(min_length=1, max_length=32)
    warehouse: str = Field(min_length=1, max_length=128)
    asset: str = Field(min_length=1, max_length=128)
    sensor: str = Field(min_length=1, max_length=128)
    event_time: dt.datetime
    body: dict[str, Any]


class Envelope(BaseModel):
    """The uplink's wire format (see docs/uplink.md)."""

    model_config = ConfigDict(extra="ignore")
    v: int = Field(ge=1, le=1)
    edge: str = Field(min_length=1, max_length=128)
    epoch: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1)
    msg: _Doc


@dataclass(frozen=True)
class Outcome:
    stored: bool
    duplicate: bool = False
    reason: str | None = None


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class ColdChainDb:
    def __init__(self, path: Path | str):
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA busy_timeout = 10000")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    def _bump(self, key: str) -> None:
        self._conn.execute("INSERT INTO cc_counters VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
                           (key,))

    def record(self, topic: str, payload: bytes, received_at: dt.datetime) -> Outcome:
        """Keep one uplink message; a duplicate (same edge, epoch, seq) or malformed one is counted."""
        try:
            env = Envelope.model_validate_json(payload)
        except ValidationError as error:
            where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in error.errors()[:5])
            return self._refuse(topic, payload, f"not an uplink message: {where}", received_at)
        doc = env.msg
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO cc_messages (edge, epoch, seq, topic, kind, warehouse, asset, sensor,"
                    " event_time, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (env.edge, env.epoch, env.seq, topic, doc.kind, doc.warehouse, doc.asset, doc.sensor,
                     _utc(doc.event_time), json.dumps(doc.body, separators=(",", ":")), _utc(received_at)),
                )
                duplicate = cursor.rowcount == 0
                self._bump("duplicates" if duplicate else "stored")
                if doc.kind == "exposure" and not duplicate:
                    self._keep_exposure(env.edge, doc, int(cursor.lastrowid or 0))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return Outcome(stored=not duplicate, duplicate=duplicate)

    def _keep_exposure(self, edge: str, doc: _Doc, arrival: int) -> None:
        """The crate's newest exposure by delivery time (a re-sent older one does not replace it)."""
        body = doc.body
        self._conn.execute(
            "INSERT INTO cc_crate_exposures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (warehouse, sscc)"
            " DO UPDATE SET edge = excluded.edge, delivered_at = excluded.delivered_at, store_id = excluded.store_id,"
            " max_c = excluded.max_c, mkt_c = excluded.mkt_c, out_of_range_s = excluded.out_of_range_s,"
            " body = excluded.body, arrival = excluded.arrival WHERE excluded.delivered_at >= delivered_at",
            (doc.warehouse, doc.sensor, edge, _utc(doc.event_time), _text(body.get("store_id")),
             _number(body.get("max_c")), _number(body.get("mkt_c")), _number(body.get("out_of_range_s")),
             json.dumps(body, separators=(",", ":")), arrival))

    def crate_exposures(self, *, sscc: str | None = None, warehouse: str | None = None,
                        since: dt.datetime | None = None, out_of_range: bool = False,
                        limit: int = 200) -> list[dict[str, Any]]:
        """Delivered crates' exposures, newest delivery first, with the edge's whole history in `exposure`."""
        where, params = ["1"], []
        for clause, value in (("sscc = ?", sscc), ("warehouse = ?", warehouse),
                              ("delivered_at >= ?", _utc(since) if since else None)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if out_of_range:
            where.append("out_of_range_s > 0")
        rows = self.query(
            "SELECT warehouse, sscc, edge, delivered_at, store_id, max_c, mkt_c, out_of_range_s, body"
            f" FROM cc_crate_exposures WHERE {' AND '.join(where)} ORDER BY delivered_at DESC, sscc LIMIT ?",
            (*params, limit))
        return [{k: v for k, v in r.items() if k != "body"} | {"exposure": json.loads(r["body"])} for r in rows]

    def _refuse(self, topic: str, payload: bytes, reason: str, received_at: dt.datetime) -> Outcome:
        with self._lock:
            self._conn.execute("INSERT INTO cc_refused (topic, reason, payload_head, received_at) VALUES (?, ?, ?, ?)",
                               (topic, reason, payload[:256], _utc(received_at)))
            self._bump("refused")
        return Outcome(stored=False, reason=reason)

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {str(k): int(v) for k, v in self._conn.execute("SELECT key, value FROM cc_counters")}

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def arrivals(self, edge: str) -> list[tuple[str, int]]:
        """(epoch, seq) of one edge's messages in the order HQ received them."""
        rows = self.query("SELECT epoch, seq FROM cc_messages WHERE edge = ? ORDER BY arrival", (edge,))
        return [(str(r["epoch"]), int(r["seq"])) for r in rows]
