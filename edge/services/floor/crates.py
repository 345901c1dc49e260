"""Store crates: opened with a fresh SSCC-18, closed with a printed label, staged in cold rooms.

Each crate holds one store's goods of one temperature class. Its SSCC (extension digit, GS1
company prefix, serial reference, check digit) is never reused: serials come from a counter in
the same transaction that opens the crate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from pydantic import Field

from drivers.devices.labels import Label, LabelStock
from drivers.errors import LabelError
from edge.domain.auth import Principal
from edge.domain.floor.codes import classify, make_sscc
from edge.services.floor import scanlog
from edge.services.floor.errors import FloorError, NotFound
from edge.services.floor.scanlog import ScanIn
from edge.store import Store
from edge.store.db import Write, utc_text
from hq_sync import protocol as hq

COMPANY_PREFIX = "6901234"  # the chain's GS1 company prefix (demo)
EXTENSION_DIGIT = 0  # crates (reusable totes) use extension digit 0
TEMP_NAMES = {"chilled": "CHILLED 冷藏", "frozen": "FROZEN 冷冻", "ambient": "AMBIENT 常温"}


class LabelOutput(Protocol):
    """Where crate labels go: the drivers' label printer (see `printing.SupervisedPrinter`)."""

    name: str
    stock: LabelStock  # what the printer prints on, for the label's preview

    def print_label(self, label: Label) -> int:
        """Print and wait (a bounded time) for the printer to confirm; returns bytes sent. Raises
        TimeoutError when the printer is not ready in time (the job stays queued), OSError when it
        is unreachable."""
        ...


class StageScan(ScanIn):
    asset_id: str = Field(min_length=1, max_length=64, description="the cold room the crate is in")


def open_crate(w: Write, date: str, store_id: str, temp_class: str) -> dict[str, Any]:
    """The store's open crate of this class, or a new one (crate n+1) with the next SSCC."""
    row = w.conn.execute("SELECT * FROM crates WHERE delivery_date = ? AND store_id = ? AND temp_class = ?"
                         " AND status = 'open' ORDER BY crate_no LIMIT 1", (date, store_id, temp_class)).fetchone()
    if row is not None:
        return dict(row)
    w.conn.execute("INSERT OR IGNORE INTO sscc_serials (extension_digit, next_serial) VALUES (?, 1)",
                   (EXTENSION_DIGIT,))
    serial = w.conn.execute("UPDATE sscc_serials SET next_serial = next_serial + 1 WHERE extension_digit = ?"
                            " RETURNING next_serial - 1", (EXTENSION_DIGIT,)).fetchone()[0]
    sscc = make_sscc(EXTENSION_DIGIT, COMPANY_PREFIX, serial)
    number = w.conn.execute("SELECT COALESCE(MAX(crate_no), 0) + 1 FROM crates WHERE delivery_date = ?"
                            " AND store_id = ? AND temp_class = ?", (date, store_id, temp_class)).fetchone()[0]
    stop = w.conn.execute("SELECT s.route_id, s.stop_no FROM route_stops s JOIN routes r USING (route_id)"
                          " WHERE r.delivery_date = ? AND s.store_id = ?", (date, store_id)).fetchone()
    w.conn.execute(
        "INSERT INTO crates (sscc, delivery_date, store_id, temp_class, crate_no, opened_at, route_id, stop_no)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sscc, date, store_id, temp_class, number, w.now_text, stop[0] if stop else None, stop[1] if stop else None))
    w.emit(hq.CrateOpenedPayload.model_validate(
        {"store_id": store_id, "temp_class": temp_class, "crate_no": number, "delivery_date": date}), sscc)
    return dict(w.conn.execute("SELECT * FROM crates WHERE sscc = ?", (sscc,)).fetchone())


def crate_scan(w: Write, sscc: str, kind: str, *, at: dt.datetime | None = None, asset_id: str | None = None,
               route_id: str | None = None) -> None:
    """Where a crate was seen, for the cold chain's exposure: the truck compartment if it is on one."""
    vehicle = compartment = None
    if route_id is not None:
        found = w.conn.execute(
            "SELECT r.vehicle_id, v.compartment_id FROM routes r JOIN crates c ON c.sscc = ?"
            " LEFT JOIN vehicle_compartments v ON v.vehicle_id = r.vehicle_id AND v.temp_class = c.temp_class"
            " WHERE r.route_id = ?", (sscc, route_id)).fetchone()
        if found is not None:
            vehicle, compartment = found
    w.conn.execute(
        "INSERT INTO crate_scans (sscc, kind, asset_id, route_id, vehicle_id, compartment_id, scanned_at, actor,"
        " device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sscc, kind, asset_id, route_id, vehicle, compartment, utc_text(at or w.now), w.actor,
         w.device_id))


def crate_view(store: Store, sscc: str) -> dict[str, Any]:
    rows = store.query("SELECT c.*, s.name AS store_name, r.route_no FROM crates c JOIN stores s USING (store_id)"
                       " LEFT JOIN routes r USING (route_id) WHERE c.sscc = ?", (sscc,))
    if not rows:
        raise NotFound("no_crate", f"no crate {sscc}")
    crate = rows[0]
    crate["lines"] = store.query("SELECT sku_id, quantity FROM crate_lines WHERE sscc = ? ORDER BY sku_id", (sscc,))
    crate["of"] = store.scalar("SELECT COUNT(*) FROM crates WHERE delivery_date = ? AND store_id = ?"
                               " AND temp_class = ?", (crate["delivery_date"], crate["store_id"], crate["temp_class"]))
    return crate


def list_crates(store: Store, date: dt.date, store_id: str | None = None) -> list[dict[str, Any]]:
    where, params = "delivery_date = ?", [date.isoformat()]
    if store_id:
        where += " AND store_id = ?"
        params.append(store_id)
    return [crate_view(store, r["sscc"]) for r in store.query(
        f"SELECT sscc FROM crates WHERE {where} ORDER BY store_id, temp_class, crate_no", tuple(params))]


def crate_label(crate: dict[str, Any]) -> Label:
    """Store, route and stop, crate n of m, temperature class, date; SSCC as GS1-128 and as QR."""
    route = f"R{crate['route_no']:02d}" if crate["route_no"] else "-"
    stop = f"{crate['stop_no']:02d}" if crate["stop_no"] else "-"
    return Label(
        lines=(f"{crate['store_id']} {crate['store_name']}", f"ROUTE {route}  STOP {stop}",
               f"CRATE {crate['crate_no']}/{crate['of']}  {TEMP_NAMES[crate['temp_class']]}",
               crate["delivery_date"]),
        sscc=crate["sscc"], qr=f"(00){crate['sscc']}",
        tags={"store_id": crate["store_id"], "sscc": crate["sscc"]})


def _print(store: Store, sscc: str, printer: LabelOutput | None, *, who: Principal, now: dt.datetime,
           reprint: bool, reason: str | None) -> dict[str, Any]:
    """Send the label and log the attempt, whatever the printer said."""
    crate = crate_view(store, sscc)
    label = crate_label(crate)
    sent, outcome = 0, "printed"
    if printer is None:
        outcome = "no printer configured"
    else:
        try:
            sent = printer.print_label(label)
        except TimeoutError:
            outcome = "queued: printer not ready"
        except LabelError as error:
            outcome = f"refused: {error}"
        except OSError as error:
            outcome = f"failed: {error}"
    with store.write(who.actor, now, who.device_id) as w:
        print_id = w.conn.execute(
            "INSERT INTO label_prints (sscc, reprint, reason, printer, outcome, bytes, printed_at, actor)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sscc, int(reprint), reason, printer.name if printer else "-", outcome, sent, w.now_text, who.actor),
        ).lastrowid
        w.emit(hq.LabelPrintedPayload(print_id=print_id, reprint=reprint, reason=reason, outcome=outcome[:500],
                                      store_id=crate["store_id"]), sscc)
    return {"crate": crate, "label": {"lines": list(label.lines), "sscc": label.sscc, "qr": label.qr},
            "print": {"print_id": print_id, "outcome": outcome, "bytes": sent, "reprint": reprint}}


def _mark_packed(w: Write, sscc: str) -> None:
    """With no crate of the store left open, its fully sorted orders are packed."""
    day, store_id = w.conn.execute("SELECT delivery_date, store_id FROM crates WHERE sscc = ?", (sscc,)).fetchone()
    if w.conn.execute("SELECT 1 FROM crates WHERE delivery_date = ? AND store_id = ? AND status = 'open'",
                      (day, store_id)).fetchone():
        return
    ids = [r[0] for r in w.conn.execute("SELECT hq_order_id FROM orders WHERE delivery_date = ? AND store_id = ?"
                                        " AND status = 'picked' ORDER BY hq_order_id", (day, store_id))]
    if ids:
        w.conn.executemany("UPDATE orders SET status = 'packed', updated_at = ? WHERE hq_order_id = ?",
                           [(w.now_text, i) for i in ids])
        w.emit(hq.OrdersPackedPayload(delivery_date=day, hq_order_ids=ids), store_id)


def print_opened(store: Store, answer: dict[str, Any], printer: LabelOutput | None, *, who: Principal,
                 now: dt.datetime) -> dict[str, Any]:
    """Print the label of every crate a sort answer put goods into that has never had one: a crate's
    label prints when it opens, so the sorter always has its SSCC to scan. Adds `prints` to the answer."""
    ssccs = [p["sscc"] for p in answer.get("puts", [])] + ([answer["sscc"]] if answer.get("sscc") else [])
    fresh = [s for s in dict.fromkeys(ssccs)
             if not store.scalar("SELECT 1 FROM label_prints WHERE sscc = ?", (s,))]
    if not answer["ok"] or answer["duplicate"] or not fresh:
        return answer
    return answer | {"prints": [_print(store, s, printer, who=who, now=now, reprint=False, reason=None)["print"]
                                | {"sscc": s} for s in fresh]}


def close_crate(store: Store, sscc: str, printer: LabelOutput | None, *, who: Principal,
                now: dt.datetime) -> dict[str, Any]:
    """Close a crate (full, or its store done) and print its label; a closed crate prints again only as a reprint."""
    with store.write(who.actor, now, who.device_id) as w:
        row = w.conn.execute("SELECT status, units, store_id FROM crates WHERE sscc = ?", (sscc,)).fetchone()
        if row is None:
            raise NotFound("no_crate", f"no crate {sscc}")
        if row["status"] != "open":
            raise FloorError("crate_closed", f"crate {sscc} is already closed: reprint its label instead")
        if row["units"] == 0:
            raise FloorError("crate_empty", f"crate {sscc} is empty")
        w.conn.execute("UPDATE crates SET status = 'closed', closed_at = ? WHERE sscc = ?", (w.now_text, sscc))
        crate_scan(w, sscc, "packed")
        w.emit(hq.CrateClosedPayload(store_id=row["store_id"], units=row["units"]), sscc)
        _mark_packed(w, sscc)
    return _print(store, sscc, printer, who=who, now=now, reprint=False, reason=None)


def reprint(store: Store, sscc: str, reason: str, printer: LabelOutput | None, *, who: Principal,
            now: dt.datetime) -> dict[str, Any]:
    status = store.scalar("SELECT status FROM crates WHERE sscc = ?", (sscc,))
    if status is None:
        raise NotFound("no_crate", f"no crate {sscc}")
    if status == "open":
        raise FloorError("crate_not_closed", f"crate {sscc} is still open: close it to print its label")
    return _print(store, sscc, printer, who=who, now=now, reprint=True, reason=reason)


def stage_scan(store: Store, scan: StageScan, *, who: Principal, now: dt.datetime) -> dict[str, Any]:
    """A crate seen in a cold room (staging before loading)."""
    with store.write(who.actor, now, scan.device_id or who.device_id) as w:
        previous = scanlog.replay(w, scan)
        if previous is not None:
            return previous
        code = classify(scan.code)
        status = w.conn.execute("SELECT status FROM crates WHERE sscc = ?", (code.sscc,)).fetchone() \
            if code.sscc else None
        if status is None:
            answer = scanlog.outcome(scan, "unknown_code",
                                     {"reason_code": code.reason or "not_our_crate", "got": code.text[:40]})
        elif status[0] == "open":
            answer = scanlog.outcome(scan, "crate_not_closed", {}, sscc=code.sscc)
        else:
            crate_scan(w, str(code.sscc), "staged", at=scanlog.scanned_time(scan, now), asset_id=scan.asset_id)
            w.emit(hq.CrateStagedPayload(asset_id=scan.asset_id), str(code.sscc),
                   occurred_at=scanlog.scanned_time(scan, now))
            answer = scanlog.outcome(scan, "ok", {}, sscc=code.sscc, asset_id=scan.asset_id)
        return scanlog.record(w, "stage", scan.asset_id, scan, answer)
