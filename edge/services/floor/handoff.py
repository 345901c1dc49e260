"""Handoff at the store: the driver scans each crate, the store owner signs with a PIN (and a
photo), missing, damaged and warm crates become exceptions, and the proof of delivery goes to HQ.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from edge.domain.auth import Principal, Role
from edge.domain.floor.codes import classify
from edge.services import auth
from edge.services.coldchain_exposure import crate_summary
from edge.services.floor import owner_approval, ownership, scanlog
from edge.services.floor.crates import crate_scan
from edge.services.floor.errors import FloorError, Forbidden, NotFound
from edge.services.floor.scanlog import ScanIn
from edge.services.photos import keep_photo
from edge.store import Store
from edge.store.db import Write, parse_utc
from hq_sync import protocol as hq

MAX_PHOTO = 5 * 1024 * 1024


class HandoffScan(ScanIn):
    condition: Literal["ok", "damaged", "warm"] = "ok"
    note: str | None = Field(default=None, max_length=200)


class ExceptionIn(BaseModel):
    sscc: str = Field(min_length=18, max_length=18, pattern=r"^\d{18}$")
    kind: Literal["damaged", "warm", "missing"]
    note: str = Field(default="", max_length=200)


class Confirmation(BaseModel):
    """The owner's consent, one of: a signed `approval` (the PIN was checked online and forgotten), the
    day's `handoff_code` from the owner's own sign-in (offline), or the `pin` sent straight from a
    device that is online and keeps nothing."""

    owner_code: str | None = Field(default=None, min_length=1, max_length=64)
    pin: str | None = Field(default=None, min_length=1, max_length=16)
    approval: str | None = Field(default=None, max_length=512, description="from .../owner-approval")
    handoff_code: str | None = Field(default=None, pattern=rf"^\d{{{owner_approval.CODE_DIGITS}}}$")
    photo_id: str | None = Field(default=None, max_length=64, description="the uploaded photo this proof shows")
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _one_consent(self) -> Confirmation:
        given = [name for name in ("pin", "approval", "handoff_code") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pin, approval or handoff_code")
        if given[0] != "approval" and self.owner_code is None:
            raise ValueError(f"owner_code is needed with {given[0]}")
        return self


def _stop(conn: Any, route_id: str, stop_no: int) -> Any:
    row = conn.execute("SELECT s.*, r.status AS route_status, r.delivery_date, r.driver_id FROM route_stops s"
                       " JOIN routes r USING (route_id) WHERE s.route_id = ? AND s.stop_no = ?",
                       (route_id, stop_no)).fetchone()
    if row is None:
        raise NotFound("no_stop", f"route {route_id} has no stop {stop_no}")
    return row


def stop_exists(store: Store, route_id: str, stop_no: int) -> None:
    """NotFound unless the route has this stop."""
    _stop(store.conn, route_id, stop_no)


def _as_of(stop: Any, now: dt.datetime) -> dt.datetime:
    """Exposure runs to the owner's signature once the stop is confirmed, else to now."""
    return parse_utc(stop["confirmed_at"]) if stop["confirmed_at"] else now


def stop_view(store: Store, route_id: str, stop_no: int, *, now: dt.datetime) -> dict[str, Any]:
    """The stop, its crates (each with its temperature history so far) and its exceptions."""
    stop = dict(_stop(store.conn, route_id, stop_no))
    stop["crates"] = store.query(
        "SELECT sscc, temp_class, crate_no, status, delivered_at IS NOT NULL AS scanned FROM crates"
        " WHERE route_id = ? AND stop_no = ? ORDER BY temp_class, crate_no", (route_id, stop_no))
    as_of = _as_of(stop, now)
    for c in stop["crates"]:
        c["scanned"] = bool(c["scanned"])
        c["exposure"] = crate_summary(store, c["sscc"], now=as_of)
    stop["exceptions"] = store.query(
        "SELECT * FROM floor_exceptions WHERE subject IN (SELECT sscc FROM crates WHERE route_id = ? AND stop_no = ?)"
        " AND kind IN ('missing', 'damaged', 'warm') ORDER BY exception_id", (route_id, stop_no))
    return stop


def _exception(w: Write, day: str, kind: str, sscc: str, detail: str) -> None:
    w.conn.execute("INSERT INTO floor_exceptions (delivery_date, kind, subject, detail, actor, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?)", (day, kind, sscc, detail, w.actor, w.now_text))
    w.emit(hq.FloorExceptionPayload(kind=kind, detail=detail), sscc)


def handoff_scan(store: Store, route_id: str, stop_no: int, scan: HandoffScan, *, driver: Principal,
                 now: dt.datetime) -> dict[str, Any]:
    device = scan.device_id or driver.device_id
    with store.write(driver.actor, now, device) as w:
        previous = scanlog.replay(w, scan)
        if previous is not None:
            return previous
        stop = _stop(w.conn, route_id, stop_no)
        code = classify(scan.code)
        crate = w.conn.execute("SELECT * FROM crates WHERE sscc = ?", (code.sscc,)).fetchone() if code.sscc else None
        at = scanlog.scanned_time(scan, now)
        if not ownership.drives(stop, driver):
            answer = scanlog.outcome(scan, "not_your_route", {"driver_id": stop["driver_id"]})
        elif stop["route_status"] not in ("departed", "done"):
            answer = scanlog.outcome(scan, "not_departed", {})
        elif stop["status"] == "delivered":
            answer = scanlog.outcome(scan, "stop_confirmed", {})
        elif crate is None:
            answer = scanlog.outcome(scan, "unknown_code",
                                     {"reason_code": code.reason or "not_our_crate", "got": code.text[:40]})
        elif crate["route_id"] != route_id or crate["stop_no"] != stop_no:
            answer = scanlog.outcome(scan, "not_this_stop", {}, sscc=crate["sscc"], store_id=crate["store_id"])
        else:
            if crate["delivered_at"] is None:
                status = "damaged" if scan.condition == "damaged" else "delivered"
                w.conn.execute("UPDATE crates SET status = ?, delivered_at = ? WHERE sscc = ?",
                               (status, w.now_text, crate["sscc"]))
                crate_scan(w, crate["sscc"], "delivered", at=at, route_id=route_id)
                w.emit(hq.CrateDeliveredPayload(route_id=route_id, stop_no=stop_no, store_id=crate["store_id"],
                                                condition=scan.condition), crate["sscc"], occurred_at=at)
                if scan.condition != "ok":
                    _exception(w, stop["delivery_date"], scan.condition, crate["sscc"],
                               scan.note or f"{scan.condition} at handoff to {crate['store_id']}")
            answer = scanlog.outcome(scan, "ok", {}, sscc=crate["sscc"], condition=scan.condition,
                                     left=w.conn.execute("SELECT COUNT(*) FROM crates WHERE route_id = ? AND"
                                                         " stop_no = ? AND delivered_at IS NULL",
                                                         (route_id, stop_no)).fetchone()[0])
        return scanlog.record(w, "handoff", f"{route_id}/{stop_no}", scan, answer)


def save_photo(store: Store, data_dir: Path, route_id: str, stop_no: int, body: bytes, *, driver: Principal,
               now: dt.datetime) -> dict[str, Any]:
    """Keep the store owner's photo under the data dir; the latest one goes with the proof. Only the
    route's own driver, and only while the stop is not yet confirmed."""
    stop = _stop(store.conn, route_id, stop_no)
    _require_driver(stop, driver, route_id)
    if stop["status"] == "delivered":
        raise FloorError("stop_confirmed", f"stop {stop_no} of {route_id} is already confirmed")
    photo = keep_photo(data_dir, route_id, f"stop{stop_no:02d}", body, max_bytes=MAX_PHOTO)
    with store.write(driver.actor, now, driver.device_id) as w:
        w.conn.execute("UPDATE route_stops SET photo_path = ? WHERE route_id = ? AND stop_no = ?",
                       (photo.relative_path, route_id, stop_no))
        w.log("floor.handoff_photo", f"{route_id}/{stop_no}", {"sha256": photo.sha256, "bytes": photo.size})
    return {"photo_id": photo.sha256, "bytes": photo.size}


def _owner(store: Store, route_id: str, stop_no: int, store_id: str, body: Confirmation, driver: Principal,
           now: dt.datetime) -> str:
    """The owner who consented, checked with sign-in's own limits; a PIN is checked and forgotten."""
    if body.approval is not None:
        return owner_approval.verify_approval(store, body.approval, route_id, stop_no, now=now)
    code = body.owner_code or ""
    if body.handoff_code is not None:
        return owner_approval.check_day_code(store, route_id, stop_no, code, body.handoff_code, now=now,
                                             device_id=driver.device_id)
    owner = auth.check_person(store, code, auth.pin_proof(body.pin or ""), now=now, device_id=driver.device_id)
    if owner.role != Role.STORE_OWNER or owner.store_id != store_id:
        raise Forbidden("not_the_owner", f"{code} is not the owner of store {store_id}")
    return owner.subject_id


def _photo_matches(data_dir: Path, stop: Any, photo_id: str) -> bool:
    """The photo this stop holds is exactly the one named (its whole SHA-256), not one that shares a prefix."""
    if not stop["photo_path"]:
        return False
    return hmac.compare_digest(hashlib.sha256((data_dir / stop["photo_path"]).read_bytes()).hexdigest(), photo_id)


def _require_driver(stop: Any, driver: Principal, route_id: str) -> None:
    if not ownership.drives(stop, driver):
        raise Forbidden("not_your_route", f"route {route_id} is not assigned to you")


def confirm(store: Store, data_dir: Path, route_id: str, stop_no: int, body: Confirmation, *, driver: Principal,
            now: dt.datetime) -> dict[str, Any]:
    """The owner signs for the stop: unscanned crates are missing; the proof of delivery goes to HQ."""
    stop = _stop(store.conn, route_id, stop_no)
    _require_driver(stop, driver, route_id)
    if stop["status"] == "delivered":
        return _proof_of(store, data_dir, route_id, stop_no)
    if stop["route_status"] not in ("departed", "done"):
        raise FloorError("not_departed", f"route {route_id} has not left yet")
    if body.photo_id is not None and not _photo_matches(data_dir, stop, body.photo_id):
        raise FloorError("bad_photo", f"photo {body.photo_id} was not uploaded for this stop")
    owner = _owner(store, route_id, stop_no, stop["store_id"], body, driver, now)
    with store.write(driver.actor, now, driver.device_id) as w:
        ours = {r[0]: r[1] for r in w.conn.execute("SELECT sscc, status FROM crates WHERE route_id = ? AND stop_no = ?",
                                                   (route_id, stop_no))}
        for ex in body.exceptions:
            if ex.sscc not in ours:
                raise FloorError("not_this_stop", f"crate {ex.sscc} is not for this stop")
            if ex.kind != "warm":
                w.conn.execute("UPDATE crates SET status = ? WHERE sscc = ?", (ex.kind, ex.sscc))
            _exception(w, stop["delivery_date"], ex.kind, ex.sscc, ex.note or f"{ex.kind}, reported at handoff")
        declared = {ex.sscc for ex in body.exceptions if ex.kind == "missing"}
        for sscc in w.conn.execute("SELECT sscc FROM crates WHERE route_id = ? AND stop_no = ? AND delivered_at IS"
                                   " NULL AND status NOT IN ('missing')", (route_id, stop_no)).fetchall():
            if sscc[0] not in declared:
                w.conn.execute("UPDATE crates SET status = 'missing' WHERE sscc = ?", (sscc[0],))
                _exception(w, stop["delivery_date"], "missing", sscc[0], "not scanned at handoff")
        w.conn.execute("UPDATE route_stops SET status = 'delivered', confirmed_by = ?, confirmed_at = ?"
                       " WHERE route_id = ? AND stop_no = ?", (owner, w.now_text, route_id, stop_no))
        w.conn.execute("UPDATE orders SET status = 'delivered', updated_at = ? WHERE delivery_date = ? AND store_id = ?"
                       " AND status != 'cancelled'", (w.now_text, stop["delivery_date"], stop["store_id"]))
        if not w.conn.execute("SELECT 1 FROM route_stops WHERE route_id = ? AND status = 'pending'",
                              (route_id,)).fetchone():
            w.conn.execute("UPDATE routes SET status = 'done' WHERE route_id = ?", (route_id,))
        proof = _proof_of(store, data_dir, route_id, stop_no)
        w.emit(hq.DeliveryProofPayload.model_validate(proof), f"{route_id}/{stop_no}")
    return proof


def _proof_of(store: Store, data_dir: Path, route_id: str, stop_no: int) -> dict[str, Any]:
    """The proof of delivery (HQ's `DeliveryProofPayload`): each crate with its exposure up to the signature.

    Called inside the confirming transaction (this thread's connection sees its writes), and
    again for a repeated confirm, which gives the same proof: exposure is judged as of
    `confirmed_at`, and a delivered crate's history ends at its own delivered scan.
    """
    conn = store.conn
    stop = _stop(conn, route_id, stop_no)
    crates = [dict(r) for r in conn.execute("SELECT sscc, temp_class, status, delivered_at FROM crates WHERE"
                                            " route_id = ? AND stop_no = ? ORDER BY temp_class, crate_no",
                                            (route_id, stop_no))]
    as_of = parse_utc(stop["confirmed_at"])
    for crate in crates:
        crate["exposure"] = crate_summary(store, crate["sscc"], now=as_of)
    photo = None
    if stop["photo_path"]:
        photo = hashlib.sha256((data_dir / stop["photo_path"]).read_bytes()).hexdigest()
    exceptions = [dict(r) for r in conn.execute(
        "SELECT kind, subject AS sscc, detail FROM floor_exceptions WHERE kind IN ('missing', 'damaged', 'warm')"
        " AND subject IN (SELECT sscc FROM crates WHERE route_id = ? AND stop_no = ?) ORDER BY exception_id",
        (route_id, stop_no))]
    return {"route_id": route_id, "stop_no": stop_no, "store_id": stop["store_id"],
            "delivery_date": stop["delivery_date"], "confirmed_by": stop["confirmed_by"],
            "confirmed_at": stop["confirmed_at"], "photo_sha256": photo,
            "delivered": [c["sscc"] for c in crates if c["status"] in ("delivered", "damaged")],
            "crates": crates, "exceptions": exceptions}
