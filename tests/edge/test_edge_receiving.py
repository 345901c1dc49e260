"""Receiving a pallet against an ASN: case labels counted once against the PO, refusals that name what
was expected, the Brix QC gate on each lot, and a receipt that closes into stock, losses and HQ."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from drivers.readings import WeightReading
from drivers.supervisor import DeviceStatus
from edge.cli import app as cli
from edge.demo import load_demo
from edge.domain.auth import Role
from edge.domain.receiving import LotDecision
from edge.services import daily_report, intake, purchasing, qc, receiving
from edge.services.device_status import save_statuses
from edge.services.floor.errors import FloorError
from edge.settings import Settings
from edge.store import Store
from hq_sync.protocol import AsnLine, Order, OrderLine, ShippingNotice
from tests.fixtures.edge import DEMO_NOW, SMALL_DEMO, EdgeNode

ACTOR = "person:R01"
PALLET = "069012340000000016"  # SSCC with a valid check digit


@dataclass
class Dock:
    store: Store
    day: dt.date
    po_id: str
    lines: list[dict[str, Any]]  # the PO's first two lines
    receipt_id: int

    def label(self, line: dict[str, Any], lot: str, expiry: dt.date | None = None) -> str:
        gtin = self.store.scalar("SELECT gtin FROM skus WHERE sku_id = ?", (line["sku_id"],))
        return f"(01){gtin}(10){lot}(17){(expiry or self.day + dt.timedelta(days=10)):%y%m%d}"

    def scan(self, scan_id: str, raw: str, cases: int = 1, **extra: Any) -> dict[str, Any]:
        return receiving.scan(self.store, self.receipt_id, scan_id=scan_id, raw=raw, cases=cases, actor=ACTOR,
                              device_id="pda-dock", now=DEMO_NOW, **extra)


@pytest.fixture
def dock(edge_settings: Settings, edge_store: Store) -> Dock:
    day = load_demo(edge_store, edge_settings, DEMO_NOW, SMALL_DEMO).delivery_date
    shop = edge_store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    berries = [OrderLine(line_no=n, sku_id=sku, quantity=3 * pack) for n, (sku, pack) in enumerate(
        edge_store.conn.execute("SELECT sku_id, case_pack FROM skus WHERE supplier_id = 'SUP-YN-BERRY'"
                                " ORDER BY sku_id LIMIT 2"), 1)]
    intake.apply_orders(edge_store, [Order(hq_order_id="BIG-BERRY", version=1, store_id=shop, delivery_date=day,
                                           lines=berries)], source="test", actor="hq", now=DEMO_NOW)
    purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    po_id = f"PO-{day:%Y%m%d}-SUP-YN-BERRY"
    wanted = {ln.sku_id for ln in berries}
    lines = [ln for ln in purchasing.purchase_order(edge_store, po_id)["lines"] if ln["sku_id"] in wanted]
    a, b = lines
    expiry = day + dt.timedelta(days=10)
    receiving.record_asn(edge_store, ShippingNotice(asn_id="ASN-1", po_id=po_id, lines=[
        AsnLine(sscc=PALLET, sku_id=a["sku_id"], lot="LA", expiry=expiry, units=a["quantity"]),
        AsnLine(sscc=PALLET, sku_id=b["sku_id"], lot="LB", expiry=expiry, units=b["quantity"] - b["case_pack"])]),
        actor="hq", now=DEMO_NOW)
    receipt = receiving.start(edge_store, po_id, asn_id="ASN-1", actor=ACTOR, now=DEMO_NOW)
    return Dock(edge_store, day, po_id, lines, receipt["receipt_id"])


def scale_reads(store: Store, *, weight_kg: float, stable: bool) -> None:
    """The dock scale as its driver reports it (the device runtime writes this snapshot every tick)."""
    status = DeviceStatus("dock-scale", "scale", "mettler-toledo-sics", "pty", "online", None, DEMO_NOW,
                          last_reading=WeightReading(weight_kg=weight_kg, stable=stable), last_reading_at=DEMO_NOW)
    save_statuses(store, [status], DEMO_NOW)


def passing_check(store: Store, sku_id: str, lot: str, brix: float) -> None:
    qc_id = qc.open_check(store, sku_id=sku_id, lot=lot, device_id=None, actor=ACTOR, now=DEMO_NOW)
    for value in (brix, brix + 0.1, brix - 0.1):
        qc.add_manual_reading(store, qc_id, brix=value, temperature_c=20.0, actor=ACTOR, now=DEMO_NOW)
    qc.close_check(store, qc_id, actor=ACTOR, now=DEMO_NOW)


def test_pallet_scan_shows_what_the_asn_says(dock: Dock) -> None:
    answer = dock.scan("s0", PALLET)
    assert answer["ok"] and {ln["lot"] for ln in answer["lines"]} == {"LA", "LB"}
    assert dock.scan("s0b", "069012340000000023")["code"] == "pallet_not_announced"


def test_refusals_name_what_was_expected_and_change_nothing(dock: Dock) -> None:
    a, _ = dock.lines
    wrong_item = dock.scan("r1", "(01)06901234009996(10)LA(17)301231")
    assert wrong_item["code"] == "unknown_item" and a["name_zh"] in wrong_item["values"]["expected_zh"]
    wrong_lot = dock.scan("r2", dock.label(a, "LX"))
    assert wrong_lot["code"] == "lot_not_announced" and wrong_lot["values"]["expected"] == "LA"
    expired = dock.scan("r3", dock.label(a, "LA", dock.day - dt.timedelta(days=1)))
    assert expired["code"] == "expired"
    over = dock.scan("r4", dock.label(a, "LA"), cases=a["cases"] + 1)
    assert over["code"] == "over_po" and over["values"]["remaining"] == a["quantity"]
    assert dock.scan("r5", dock.label(a, "LA"), scale_id="dock-scale")["code"] == "scale_no_reading"
    scale_reads(dock.store, weight_kg=12.0, stable=False)
    assert dock.scan("r5", dock.label(a, "LA"), scale_id="dock-scale")["code"] == "weight_unstable"
    assert dock.scan("r6", "hello")["code"] == "not_a_case_label"
    assert receiving.receipt(dock.store, dock.receipt_id)["lots"] == []


def test_a_scan_sent_twice_counts_once_and_a_reused_id_is_refused(dock: Dock) -> None:
    a, _ = dock.lines
    first = dock.scan("c1", dock.label(a, "LA"))
    again = dock.scan("c1", dock.label(a, "LA"))
    assert first["ok"] and again["replayed"] and again["units"] == first["units"] == a["case_pack"]
    with pytest.raises(FloorError, match="already used for another code"):
        dock.scan("c1", dock.label(a, "LA"), cases=2)
    assert receiving.receipt(dock.store, dock.receipt_id)["lines"][0]["received_units"] == a["case_pack"]


def test_a_short_case_and_a_qc_reject_close_into_stock_losses_and_one_event(dock: Dock) -> None:
    a, b = dock.lines
    assert dock.scan("a", dock.label(a, "LA"), cases=a["cases"])["ok"]
    assert dock.scan("b", dock.label(b, "LB"), cases=b["cases"] - 1)["ok"]  # one case short
    spec_a, spec_b = qc.sku_spec(dock.store, a["sku_id"]), qc.sku_spec(dock.store, b["sku_id"])
    assert spec_a.defined and spec_b.defined  # berries: every lot is Brix-checked
    passing_check(dock.store, a["sku_id"], "LA", (spec_a.brix_min or 0) + 1.5)
    passing_check(dock.store, b["sku_id"], "LB", (spec_b.brix_min or 0) - 3)  # too sour: fails
    with pytest.raises(FloorError, match="decide these lots first"):
        receiving.close(dock.store, dock.receipt_id, final=True, actor=ACTOR, now=DEMO_NOW)
    no_remark = receiving.decide_lot(dock.store, dock.receipt_id, sku_id=b["sku_id"], lot="LB",
                                     decision=LotDecision.REJECTED, actor=ACTOR, now=DEMO_NOW)
    assert no_remark["code"] == "remark_needed"
    undecided = receiving.decide_lot(dock.store, dock.receipt_id, sku_id=b["sku_id"], lot="LB", decision=None,
                                     actor=ACTOR, now=DEMO_NOW)
    assert undecided["code"] == "qc_failed_choose"
    assert receiving.decide_lot(dock.store, dock.receipt_id, sku_id=b["sku_id"], lot="LB",
                                decision=LotDecision.REJECTED, remark="Brix 8, too sour", actor=ACTOR,
                                now=DEMO_NOW)["ok"]
    stock_before = dock.store.scalar("SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE sku_id = ? AND lot = 'LA'",
                                     (a["sku_id"],))
    closed = receiving.close(dock.store, dock.receipt_id, final=True, actor=ACTOR, now=DEMO_NOW)
    assert closed["closed"]
    assert dock.store.scalar("SELECT SUM(quantity) FROM stock WHERE sku_id = ? AND lot = 'LA'",
                             (a["sku_id"],)) == stock_before + a["quantity"]
    assert dock.store.scalar("SELECT expiry FROM stock WHERE sku_id = ? AND lot = 'LA'", (a["sku_id"],)) == (
        dock.day + dt.timedelta(days=10)).isoformat()
    assert not dock.store.scalar("SELECT 1 FROM stock WHERE sku_id = ? AND lot = 'LB'", (b["sku_id"],))
    losses = dock.store.query("SELECT sku_id, lot, units, reason FROM loss_entries")
    assert losses == [{"sku_id": b["sku_id"], "lot": "LB", "units": b["quantity"] - b["case_pack"],
                       "reason": "qc_reject"}]
    (event,) = [json.loads(r["payload"]) for r in dock.store.query(
        "SELECT payload FROM outbox WHERE kind = 'receiving.receipt_closed'")]
    found = {d["sku_id"]: d for d in event["payload"]["discrepancies"]}
    assert found[b["sku_id"]] == {"sku_id": b["sku_id"], "expected_units": b["quantity"], "accepted_units": 0,
                                  "kind": "rejected"}
    assert a["sku_id"] not in found  # received in full
    others = {ln["sku_id"] for ln in purchasing.purchase_order(dock.store, dock.po_id)["lines"]} - {
        a["sku_id"], b["sku_id"]}
    assert {sku: (d["kind"], d["accepted_units"]) for sku, d in found.items() if sku in others} == {
        sku: ("short", 0) for sku in others}  # the final receipt: what never came is short
    assert purchasing.purchase_order(dock.store, dock.po_id)["state"] == "received"
    with pytest.raises(FloorError, match="closed"):
        dock.scan("late", dock.label(a, "LA"))


def test_the_dock_api_answers_each_scan_in_the_callers_language(edge_node: EdgeNode) -> None:
    client, day = edge_node.client, edge_node.delivery_date
    sup, hq, picker = (edge_node.headers(r) for r in (Role.SUPERVISOR, Role.HQ, Role.PICKER))
    client.post("/api/v1/purchasing/orders/issue", json={"delivery_date": day.isoformat()}, headers=sup)
    po = client.get("/api/v1/receiving/purchase-orders", params={"date": day.isoformat()}, headers=picker).json()[0]
    line = client.get(f"/api/v1/purchasing/orders/{po['po_id']}", headers=sup).json()["lines"][0]
    expiry = day + dt.timedelta(days=5)
    pallet = {"sscc": PALLET, "sku_id": line["sku_id"], "lot": "L1", "expiry": expiry.isoformat(),
              "units": line["quantity"]}
    asn = client.post("/api/v1/receiving/asns", headers=hq,
                      json={"asn_id": "ASN-API", "po_id": po["po_id"], "lines": [pallet]})
    assert asn.status_code == 200
    assert client.post("/api/v1/receiving/asns", headers=picker, json={}).status_code == 403
    bad = client.post("/api/v1/receiving/asns", headers=hq, json={
        "asn_id": "ASN-BAD", "po_id": po["po_id"], "lines": [pallet | {"sscc": PALLET[:-1] + "9"}]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["path"] == "lines[0].sscc" and "check digit" in bad.text
    receipt = client.post("/api/v1/receiving/receipts", json={"po_id": po["po_id"]}, headers=picker).json()
    assert receipt["asn_id"] == "ASN-API"  # the PO's latest notice by default
    gtin = edge_node.store.scalar("SELECT gtin FROM skus WHERE sku_id = ?", (line["sku_id"],))
    scans = [{"scan_id": "k1", "raw": f"(01){gtin}(10)L1(17){expiry:%y%m%d}", "cases": 1, "seq": 1},
             {"scan_id": "k2", "raw": f"(01){gtin}(10)L9(17){expiry:%y%m%d}", "seq": 2}]
    answer = client.post(f"/api/v1/receiving/receipts/{receipt['receipt_id']}/scans/batch", json={"scans": scans},
                         headers=picker | {"Accept-Language": "zh-CN"}).json()
    ok, wrong_lot = answer["results"]
    assert ok["ok"] and ok["units"] == line["case_pack"]
    assert not wrong_lot["ok"] and wrong_lot["message"] == (
        f"{line['name_zh']} 的批次 L9 不在发货通知里，应为：L1")
    english = client.post(f"/api/v1/receiving/receipts/{receipt['receipt_id']}/scans/batch",
                          json={"scans": [{"scan_id": "k3", "raw": "hello"}]},
                          headers=picker | {"Accept-Language": "en"}).json()["results"][0]
    assert english["message"] == "Not a case label: scanned hello. Scan the GS1 label on the case"
    closed = client.post(f"/api/v1/receiving/receipts/{receipt['receipt_id']}/close", json={"final": False},
                         headers=picker)
    if closed.status_code == 409:  # a Brix SKU: its lot needs a decision first, said in the caller's words
        assert closed.json()["detail"]["code"] == "lots_undecided" and "L1" in closed.json()["detail"]["message"]
    else:
        assert closed.json()["closed"]


def test_the_days_report_counts_the_loss_rate_and_hq_hears_it(dock: Dock, edge_settings: Settings) -> None:
    a, b = dock.lines
    dock.scan("a", dock.label(a, "LA"), cases=a["cases"])
    dock.scan("b", dock.label(b, "LB"), cases=b["cases"] - 1)
    passing_check(dock.store, a["sku_id"], "LA", (qc.sku_spec(dock.store, a["sku_id"]).brix_min or 0) + 1.5)
    passing_check(dock.store, b["sku_id"], "LB", (qc.sku_spec(dock.store, b["sku_id"]).brix_min or 0) + 1.5)
    receiving.decide_lot(dock.store, dock.receipt_id, sku_id=b["sku_id"], lot="LB", decision=LotDecision.ACCEPTED,
                         damaged_units=2, remark="two punnets crushed", actor=ACTOR, now=DEMO_NOW)
    receiving.close(dock.store, dock.receipt_id, final=True, actor=ACTOR, now=DEMO_NOW)
    later = DEMO_NOW + dt.timedelta(hours=20)  # the delivery day: one punnet of LA spoiled on the shelf
    daily_report.record_loss(dock.store, sku_id=a["sku_id"], lot="LA", units=1, reason="spoilage", note="mould",
                             actor=ACTOR, now=later)
    with pytest.raises(FloorError, match="cannot write off"):
        daily_report.record_loss(dock.store, sku_id=a["sku_id"], lot="LA", units=10_000, reason="spoilage",
                                 note="", actor=ACTOR, now=later)

    report = daily_report.figures(dock.store, dock.day, edge_settings.zone).as_json()
    received = a["quantity"] + b["quantity"] - b["case_pack"]
    assert report["received_units"] == received
    assert report["losses_by_reason"]["damage"] == 2 and report["losses_by_reason"]["spoilage"] == 1
    assert report["lost_units"] == 3 and report["loss_rate"] == round(3 / received, 4)
    lot_a = next(lot for lot in report["lots"] if lot["lot"] == "LA")
    assert lot_a["balance"] == a["quantity"] - 1
    assert daily_report.render_pdf(report, "WH-SH-01").startswith(b"%PDF")

    near = daily_report.lots_near_expiry(dock.store, dock.day + dt.timedelta(days=8))
    assert {(n["sku_id"], n["lot"]) for n in near} >= {(a["sku_id"], "LA")}
    daily_report.send(dock.store, dock.day, edge_settings.zone, actor=ACTOR, now=later)
    kinds = {r["kind"] for r in dock.store.query("SELECT kind FROM outbox")}
    assert {"report.daily", "stock.near_expiry"} <= kinds
    code = CliRunner().invoke(cli, ["--data-dir", str(edge_settings.data_dir), "receiving", "report", "--date",
                                    dock.day.isoformat()])
    assert code.exit_code == 0 and json.loads(code.stdout)["lost_units"] == 3
