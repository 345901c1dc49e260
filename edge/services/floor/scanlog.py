"""The scan channel every floor page shares: idempotent by the page's scan id, in device order.

A page that lost Wi-Fi re-sends what it queued; a scan it already sent (the answer was lost)
must not count twice, so the first answer is stored with the scan and handed back again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

from edge.store.db import Write, utc_text


class ScanIn(BaseModel):
    """One scan or action as a page sends it."""

    scan_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    seq: int = Field(ge=0, description="per-device sequence number")
    device_id: str | None = Field(default=None, max_length=64)
    scanned_at: dt.datetime | None = Field(default=None, description="when the page saw it (aware)")
    code: str = Field(default="", max_length=512, description="the raw scanner payload")


def scanned_time(scan: ScanIn, now: dt.datetime) -> dt.datetime:
    """The page's own time of the scan when it gave a sane one, else the time of receipt."""
    if scan.scanned_at is None or scan.scanned_at.tzinfo is None:
        return now
    return scan.scanned_at


def content_hash(w: Write, scan: ScanIn) -> str:
    """What a scan id stands for: everything the page sent with it, and who sent it."""
    body = json.dumps({"actor": w.actor, **scan.model_dump(mode="json")}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def replay(w: Write, scan: ScanIn) -> dict[str, Any] | None:
    """The stored answer to a scan already processed, marked as a duplicate; a refusal (not stored)
    when the id comes back with other content or from someone else."""
    row = w.conn.execute("SELECT response, content_sha256 FROM floor_scans WHERE scan_id = ?",
                         (scan.scan_id,)).fetchone()
    if row is None:
        return None
    if row["content_sha256"] is not None and row["content_sha256"] != content_hash(w, scan):
        return outcome(scan, "scan_id_reused", {})
    answer: dict[str, Any] = json.loads(row["response"])
    answer["duplicate"] = True
    return answer


def outcome(scan: ScanIn, code: str, params: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A scan's answer: ok or a refusal code with its parameters, plus the channel's own fields."""
    return {"scan_id": scan.scan_id, "ok": code == "ok", "code": code, "params": params or {},
            "duplicate": False, **fields}


def record(w: Write, channel: str, subject: str, scan: ScanIn, answer: dict[str, Any]) -> dict[str, Any]:
    """Store the scan with its answer; a refusal also goes to the event log (not to HQ)."""
    w.conn.execute(
        "INSERT INTO floor_scans (scan_id, channel, subject, actor, device_id, device_seq, code, outcome,"
        " scanned_at, received_at, response, content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (scan.scan_id, channel, subject, w.actor, w.device_id, scan.seq, scan.code, answer["code"],
         utc_text(scanned_time(scan, w.now)), w.now_text, json.dumps(answer, ensure_ascii=False),
         content_hash(w, scan)),
    )
    if not answer["ok"]:
        w.log("floor.scan_refused", subject,
              {"channel": channel, "scan_id": scan.scan_id, "seq": scan.seq, "code": scan.code,
               "refusal": answer["code"], "params": answer["params"]},
              occurred_at=scanned_time(scan, w.now))
    return answer
