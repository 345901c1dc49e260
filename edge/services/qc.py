"""Brix readings and receiving QC: readings are kept, checks of a SKU lot take n of them, and the
closed check's mean, standard deviation and pass/fail go to HQ and onto the lot's crate labels.

A check opened for a meter collects every reading that meter sends while it is open; readings
from a meter without data-out are typed in (`source = manual`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from edge.domain.brix import BRIX_RANGE, TEMPERATURE_RANGE, BrixSpec, decide, stats, value_problem
from edge.domain.problems import InputRejected, Problem
from edge.store import Store
from edge.store.db import utc_text
from hq_sync import protocol as hq

DEFAULT_MIN_READINGS = 3


class QcNotFound(LookupError):
    """No such check (or SKU): the caller named something that does not exist."""


@dataclass(frozen=True)
class StoredReading:
    reading_id: int
    device_id: str
    event_time: str
    brix: float
    temperature_c: float | None
    sample_id: str | None
    source: str
    qc_id: int | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class QcResult:
    """A closed check: what the label printer prints and HQ receives."""

    qc_id: int
    sku_id: str
    lot: str
    n: int
    mean_brix: float
    sd_brix: float
    brix_min: float | None
    brix_max: float | None
    passed: bool
    verdict: str
    closed_at: str
    closed_by: str

    @property
    def label_text(self) -> str:
        """The short line for a crate label, e.g. `Brix 12.4±0.3 n=5 PASS`."""
        return f"Brix {self.mean_brix:.1f}±{self.sd_brix:.1f} n={self.n} {'PASS' if self.passed else 'FAIL'}"

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "label_text": self.label_text}


def sku_spec(store: Store, sku_id: str) -> BrixSpec:
    row = store.conn.execute("SELECT brix_min, brix_max FROM skus WHERE sku_id = ?", (sku_id,)).fetchone()
    if row is None:
        raise QcNotFound(f"unknown SKU {sku_id!r}")
    return BrixSpec(row[0], row[1])


def _check_values(brix: float, temperature_c: float | None, where: str = "") -> None:
    problems = []
    if (why := value_problem(brix, BRIX_RANGE, "brix")) is not None:
        problems.append(Problem(f"{where}brix", why))
    if temperature_c is not None and (why := value_problem(temperature_c, TEMPERATURE_RANGE, "temperature")):
        problems.append(Problem(f"{where}temperature_c", why))
    if problems:
        raise InputRejected(problems, "brix reading")


def _insert_reading(conn: sqlite3.Connection, device_id: str, event_time: dt.datetime, received_at: str,
                    brix: float, temperature_c: float | None, sample_id: str | None, source: str,
                    qc_id: int | None) -> int:
    cursor = conn.execute(
        "INSERT INTO brix_readings (device_id, event_time, received_at, brix, temperature_c, sample_id, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (device_id, utc_text(event_time), received_at, brix, temperature_c, sample_id, source))
    reading_id = int(cursor.lastrowid or 0)
    if qc_id is not None:
        conn.execute("INSERT INTO qc_check_readings VALUES (?, ?)", (qc_id, reading_id))
    return reading_id


def record_meter_reading(store: Store, *, device_id: str, brix: float, temperature_c: float | None,
                         event_time: dt.datetime | None, received_at: dt.datetime,
                         sample_id: str | None = None) -> StoredReading:
    """Keep one reading from a meter; attach it to the check open on that meter, if any."""
    _check_values(brix, temperature_c)
    at = event_time or received_at
    with store.write(f"device:{device_id}", received_at, device_id) as w:
        row = w.conn.execute("SELECT qc_id FROM qc_checks WHERE device_id = ? AND closed_at IS NULL",
                             (device_id,)).fetchone()
        qc_id = None if row is None else int(row[0])
        reading_id = _insert_reading(w.conn, device_id, at, w.now_text, brix, temperature_c, sample_id, "meter", qc_id)
        w.log("brix.reading", device_id, {"reading_id": reading_id, "brix": brix, "temperature_c": temperature_c,
                                         "qc_id": qc_id}, occurred_at=at)
    return StoredReading(reading_id, device_id, utc_text(at), brix, temperature_c, sample_id, "meter", qc_id)


def readings_after(store: Store, after_id: int, *, device_id: str | None, limit: int) -> list[StoredReading]:
    """Readings with a larger id (a reconnecting page's replay), oldest first."""
    rows = store.conn.execute(
        "SELECT r.*, c.qc_id FROM brix_readings r LEFT JOIN qc_check_readings c USING (reading_id)"
        " WHERE r.reading_id > ? AND (? IS NULL OR r.device_id = ?) ORDER BY r.reading_id LIMIT ?",
        (after_id, device_id, device_id, limit)).fetchall()
    return [StoredReading(r["reading_id"], r["device_id"], r["event_time"], r["brix"], r["temperature_c"],
                          r["sample_id"], r["source"], r["qc_id"]) for r in rows]


def latest_reading_id(store: Store, device_id: str | None) -> int:
    value = store.scalar("SELECT max(reading_id) FROM brix_readings WHERE ? IS NULL OR device_id = ?",
                         (device_id, device_id))
    return int(value or 0)


def open_check(store: Store, *, sku_id: str, lot: str, device_id: str | None, actor: str, now: dt.datetime,
               min_readings: int = DEFAULT_MIN_READINGS, acting_device: str | None = None) -> int:
    """Start a receiving check of one lot; readings of `device_id` attach to it until it closes."""
    problems = []
    spec = sku_spec(store, sku_id)
    if not spec.defined:
        problems.append(Problem("sku_id", f"SKU {sku_id} has no Brix spec (skus.brix_min/brix_max) to check against"))
    if not lot.strip():
        problems.append(Problem("lot", "the lot is empty"))
    if min_readings < 2:
        problems.append(Problem("min_readings", "a check needs at least 2 readings for a standard deviation"))
    if device_id is not None and store.scalar(
            "SELECT qc_id FROM qc_checks WHERE device_id = ? AND closed_at IS NULL", (device_id,)) is not None:
        problems.append(Problem("device_id", f"meter {device_id} is already taking readings for another open check"))
    if problems:
        raise InputRejected(problems, "QC check")
    with store.write(actor, now, acting_device) as w:
        cursor = w.conn.execute(
            "INSERT INTO qc_checks (sku_id, lot, device_id, min_readings, opened_at, opened_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (sku_id, lot.strip(), device_id, min_readings, w.now_text, actor))
        qc_id = int(cursor.lastrowid or 0)
        w.log("qc.opened", f"{sku_id}/{lot.strip()}", {"qc_id": qc_id, "device_id": device_id,
                                                        "min_readings": min_readings})
    return qc_id


def _open_row(store: Store, qc_id: int) -> sqlite3.Row:
    row = store.conn.execute("SELECT * FROM qc_checks WHERE qc_id = ?", (qc_id,)).fetchone()
    if row is None:
        raise QcNotFound(f"no QC check {qc_id}")
    if row["closed_at"] is not None:
        raise InputRejected([Problem("qc_id", f"check {qc_id} closed at {row['closed_at']}")], "QC change")
    return row


def add_manual_reading(store: Store, qc_id: int, *, brix: float, temperature_c: float | None, actor: str,
                       now: dt.datetime, acting_device: str | None = None) -> StoredReading:
    """A reading typed in from a meter without data-out, attached to the check."""
    _open_row(store, qc_id)
    _check_values(brix, temperature_c)
    device = acting_device or "manual"
    with store.write(actor, now, acting_device) as w:
        reading_id = _insert_reading(w.conn, device, now, w.now_text, brix, temperature_c, None, "manual", qc_id)
        w.log("brix.reading", device, {"reading_id": reading_id, "brix": brix, "temperature_c": temperature_c,
                                      "qc_id": qc_id, "source": "manual"})
    return StoredReading(reading_id, device, utc_text(now), brix, temperature_c, None, "manual", qc_id)


def close_check(store: Store, qc_id: int, *, actor: str, now: dt.datetime,
                acting_device: str | None = None) -> QcResult:
    """Compute n, mean, sd and pass/fail; record them, tell HQ (`qc.result`), and let labels show them."""
    row = _open_row(store, qc_id)
    values = [r[0] for r in store.conn.execute(
        "SELECT b.brix FROM qc_check_readings c JOIN brix_readings b USING (reading_id) WHERE c.qc_id = ?"
        " ORDER BY b.reading_id", (qc_id,))]
    if not values:
        raise InputRejected([Problem("qc_id", f"check {qc_id} has no readings yet")], "QC close")
    spec = sku_spec(store, row["sku_id"])
    result = stats(values)
    passed, found = decide(result, spec, row["min_readings"])
    with store.write(actor, now, acting_device) as w:
        changed = w.conn.execute(
            "UPDATE qc_checks SET closed_at = ?, closed_by = ?, n = ?, mean_brix = ?, sd_brix = ?, brix_min = ?,"
            " brix_max = ?, passed = ?, verdict = ? WHERE qc_id = ? AND closed_at IS NULL",
            (w.now_text, actor, result.n, result.mean, result.sd, spec.brix_min, spec.brix_max, int(passed), found,
             qc_id)).rowcount
        if changed != 1:
            raise InputRejected([Problem("qc_id", f"check {qc_id} was closed meanwhile")], "QC close")
        spec_text = "-".join("" if v is None else f"{v:g}" for v in (spec.brix_min, spec.brix_max))
        w.emit(hq.QcResultPayload(
            sku_id=row["sku_id"], lot=row["lot"], passed=passed, brix=round(result.mean, 3),
            notes=f"n={result.n} mean={result.mean:.2f} sd={result.sd:.2f} spec={spec_text} verdict={found}"),
            f"{row['sku_id']}/{row['lot']}")
    found_result = qc_result_for_lot(store, row["sku_id"], row["lot"])
    assert found_result is not None
    return found_result


def _result(row: sqlite3.Row) -> QcResult:
    return QcResult(row["qc_id"], row["sku_id"], row["lot"], row["n"], row["mean_brix"], row["sd_brix"],
                    row["brix_min"], row["brix_max"], bool(row["passed"]), row["verdict"], row["closed_at"],
                    row["closed_by"])


def qc_result_for_lot(store: Store, sku_id: str, lot: str) -> QcResult | None:
    """The latest closed check of this lot (what its crate labels print), or None if never checked."""
    row = store.conn.execute(
        "SELECT * FROM qc_checks WHERE sku_id = ? AND lot = ? AND closed_at IS NOT NULL"
        " ORDER BY closed_at DESC, qc_id DESC LIMIT 1", (sku_id, lot)).fetchone()
    return None if row is None else _result(row)


def check(store: Store, qc_id: int) -> dict[str, Any]:
    """A check with its readings (open or closed), for the QC page."""
    row = store.conn.execute("SELECT * FROM qc_checks WHERE qc_id = ?", (qc_id,)).fetchone()
    if row is None:
        raise QcNotFound(f"no QC check {qc_id}")
    readings = [r.to_json() for r in readings_after(store, 0, device_id=None, limit=10_000) if r.qc_id == qc_id]
    out = dict(row)
    out["passed"] = None if row["passed"] is None else bool(row["passed"])
    out["readings"] = readings
    if row["closed_at"] is not None:
        out["label_text"] = _result(row).label_text
    return out
