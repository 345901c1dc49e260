"""Receiving a pallet on a PDA against its shipping notice: the pallet label shows what is on it, cases
are counted with a keyed number (one while the Wi-Fi is down), a lot not on the notice is refused in
zh-CN naming the expected lot, one lot passes its Brix sample and is accepted, the other is too sour
and rejected with a remark, and completing the receipt lists what is short or rejected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from tests.fixtures.browser import LiveEdge, Pda

pytestmark = pytest.mark.browser

PALLET = "069012340000000016"


def berry_po(edge: LiveEdge) -> tuple[str, list[dict[str, Any]]]:
    """HQ's late order makes the berry orchard's PO hold two SKUs of three cases each; the PO goes out
    and the orchard's shipping notice announces one pallet: all of the first, two cases of the second."""
    day = edge.delivery_date
    skus = edge.store.query("SELECT sku_id, case_pack, gtin FROM skus WHERE supplier_id = 'SUP-YN-BERRY'"
                            " ORDER BY sku_id LIMIT 2")
    shop = edge.store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    with edge.api("SUP01") as sup:
        order = {"hq_order_id": "BIG-BERRY", "version": 1, "store_id": shop, "delivery_date": day.isoformat(),
                 "lines": [{"line_no": n, "sku_id": s["sku_id"], "quantity": 3 * s["case_pack"]}
                           for n, s in enumerate(skus, 1)]}
        batch = {"batch_id": "late-berries", "warehouse_id": edge.settings.warehouse_id,
                 "created_at": edge.clock().isoformat(), "orders": [order]}
        assert sup.post("/api/v1/orders/batches", json=batch).status_code in (200, 201)
        assert sup.post("/api/v1/purchasing/orders/issue", json={"delivery_date": day.isoformat()}).status_code == 200
        po_id = f"PO-{day:%Y%m%d}-SUP-YN-BERRY"
        lines = {ln["sku_id"]: ln for ln in sup.get(f"/api/v1/purchasing/orders/{po_id}").json()["lines"]}
        expiry = (day + dt.timedelta(days=8)).isoformat()
        a, b = skus
        asn = {"asn_id": "ASN-BERRY-1", "po_id": po_id, "lines": [
            {"sscc": PALLET, "sku_id": a["sku_id"], "lot": "LA", "expiry": expiry,
             "units": lines[a["sku_id"]]["quantity"]},
            {"sscc": PALLET, "sku_id": b["sku_id"], "lot": "LB", "expiry": expiry, "units": 2 * b["case_pack"]}]}
        assert sup.post("/api/v1/receiving/asns", json=asn).status_code == 200
    return po_id, [{**s, "cases": lines[s["sku_id"]]["cases"], "name": lines[s["sku_id"]]["name_zh"]} for s in skus]


def label(sku: dict[str, Any], lot: str, day: dt.date) -> str:
    return f"(01){sku['gtin']}(10){lot}(17){day + dt.timedelta(days=8):%y%m%d}"


def decide(page: Any, sku_id: str, lot: str, button: str, *, brix: str = "", remark: str = "") -> None:
    page.locator(f"#lots li[data-sku='{sku_id}'][data-lot='{lot}']").click()
    if brix:
        page.fill("#lot-brix", brix)
    if remark:
        page.fill("#lot-remark", remark)
    page.click(button)


def test_floor_browser_receive_a_pallet_with_a_short_case_and_a_qc_reject(pda: Pda, second_pda: Pda,
                                                                          live_edge: LiveEdge) -> None:
    day = live_edge.delivery_date
    po_id, (a, b) = berry_po(live_edge)
    page = pda.sign_in("P01", DEMO_PIN, "/floor/receive")
    page.on("dialog", lambda d: d.accept())
    page.locator(f"#pos li[data-po='{po_id}']").click()
    expect(page.locator("#po-id")).to_have_text(po_id)

    pda.scan(PALLET)
    expect(page.locator("#pallet")).to_contain_text("LA")
    page.fill("#cases", str(a["cases"]))
    page.press("#cases", "Enter")
    pda.scan(label(a, "LA", day))
    expect(page.locator("#message")).to_contain_text(f"已收 {a['name']} 批次 LA")

    pda.scan(label(b, "LX", day))  # a lot the orchard never announced
    expect(page.locator("#message")).to_contain_text("批次 LX 不在发货通知里，应为：LB")

    pda.scan(label(b, "LB", day))
    expect(page.locator(f"#lines li[data-sku='{b['sku_id']}']")).to_contain_text(f"已收 {b['case_pack']} ")
    pda.wifi(False)  # the dock door: no Wi-Fi; the second case waits on the PDA
    pda.scan(label(b, "LB", day))
    expect(page.locator("#message")).to_contain_text("已离线保存")
    pda.wait_stored(1)
    pda.wifi(True)
    expect(page.locator(f"#lines li[data-sku='{b['sku_id']}']")).to_contain_text(f"已收 {2 * b['case_pack']} ")
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0")

    spec = {r["sku_id"]: r for r in live_edge.store.query("SELECT sku_id, brix_min FROM skus WHERE sku_id IN (?, ?)",
                                                           (a["sku_id"], b["sku_id"]))}
    sweet, sour = spec[a["sku_id"]]["brix_min"] + 2, spec[b["sku_id"]]["brix_min"] - 3
    decide(page, a["sku_id"], "LA", "#lot-qc-save", brix=f"{sweet} {sweet + 0.2} {sweet - 0.1}")
    expect(page.locator("#message")).to_contain_text("批次 LA 糖度合格")
    decide(page, a["sku_id"], "LA", "#lot-accept")
    expect(page.locator("#lots li[data-lot='LA']")).to_contain_text("接收")
    decide(page, b["sku_id"], "LB", "#lot-qc-save", brix=f"{sour} {sour + 0.1} {sour - 0.2}")
    expect(page.locator("#message")).to_contain_text("批次 LB 糖度不合格")
    decide(page, b["sku_id"], "LB", "#lot-reject")  # no remark: refused where the receiver looks
    expect(page.locator("#message")).to_contain_text("必须写明原因")
    decide(page, b["sku_id"], "LB", "#lot-reject", remark="太酸，糖度不达标")
    expect(page.locator("#lots li[data-lot='LB']")).to_contain_text("拒收")

    page.click("#close-final")
    expect(page.locator("#closed")).to_be_visible()
    rejected = f"{b['name']}：应到 {b['cases'] * b['case_pack']}，接收 0（质检拒收）"
    expect(page.locator("#discrepancies")).to_contain_text(rejected)

    store = live_edge.store
    assert store.query("SELECT sku_id, lot, units, reason FROM loss_entries") == [
        {"sku_id": b["sku_id"], "lot": "LB", "units": 2 * b["case_pack"], "reason": "qc_reject"}]
    assert store.scalar("SELECT SUM(quantity) FROM stock WHERE sku_id = ? AND lot = 'LA'", (a["sku_id"],)) == (
        a["cases"] * a["case_pack"])
    (event,) = [json.loads(r["payload"]) for r in store.query(
        "SELECT payload FROM outbox WHERE kind = 'receiving.receipt_closed'")]
    assert {lot["lot"]: lot["decision"] for lot in event["payload"]["lots"]} == {"LA": "accepted", "LB": "rejected"}
    assert store.scalar("SELECT state FROM purchase_orders WHERE po_id = ?", (po_id,)) == "received"

    # The supervisor's report: the PO received, the loss rate of the day with the QC reject as its reason.
    lost, received = 2 * b["case_pack"], a["cases"] * a["case_pack"] + 2 * b["case_pack"]
    report = second_pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/report")
    expect(report.locator(f"#pos li[data-po='{po_id}']")).to_contain_text("已收货")
    expect(report.locator("#figures tr[data-key='loss_rate']")).to_contain_text(f"{lost / received:.2%}")
    expect(report.locator("#losses tr[data-reason='qc_reject']")).to_contain_text(str(lost))
