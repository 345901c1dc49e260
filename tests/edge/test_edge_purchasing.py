"""Purchase orders from the night's orders, versions when orders change, conflicts once receiving
has started, supplier confirmations, and shortage allocation that HQ hears about line by line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from edge.cli import app as cli
from edge.demo import load_demo
from edge.domain.auth import Role
from edge.services import aggregation, intake, purchasing
from edge.services.floor.errors import FloorError
from edge.services.hq_port import StorePort
from edge.settings import Settings
from edge.store import Store
from hq_sync.protocol import AsnLine, Order, OrderLine, ShippingNotice, SupplierConfirmation
from hq_sync.reference_hq.db import HqDb
from tests.fixtures.edge import DEMO_NOW, SMALL_DEMO, EdgeNode

ACTOR = "person:SUP01"


@pytest.fixture
def day(edge_settings: Settings, edge_store: Store) -> dt.date:
    return load_demo(edge_store, edge_settings, DEMO_NOW, SMALL_DEMO).delivery_date


def outbox(store: Store, kind: str) -> list[dict[str, Any]]:
    return [json.loads(r["payload"]) for r in store.query(
        "SELECT payload FROM outbox WHERE kind = ? ORDER BY seq", (kind,))]


def late_order(store: Store, day: dt.date, sku_id: str, quantity: int, order_id: str = "LATE-1") -> None:
    shop = store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    order = Order(hq_order_id=order_id, version=1, store_id=shop, delivery_date=day,
                  lines=[OrderLine(line_no=1, sku_id=sku_id, quantity=quantity)])
    intake.apply_orders(store, [order], source="test", actor="hq", now=DEMO_NOW + dt.timedelta(hours=1))


def test_one_po_per_supplier_in_whole_cases_sent_to_hq(edge_store: Store, day: dt.date) -> None:
    summary = purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    suppliers = {p.supplier_id for p in aggregation.purchase(edge_store, day)}
    assert len(summary["created"]) == len(suppliers)
    events = outbox(edge_store, "purchase.order")
    assert {e["payload"]["supplier_id"] for e in events} == suppliers
    for po in purchasing.list_purchase_orders(edge_store, day):
        lines = purchasing.purchase_order(edge_store, po["po_id"])["lines"]
        assert all(ln["quantity"] % ln["case_pack"] == 0 for ln in lines)
    # Again with nothing changed: no new version, nothing sent.
    again = purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    assert again["created"] == [] and again["revised"] == []
    assert len(outbox(edge_store, "purchase.order")) == len(events)


def test_a_late_order_makes_a_new_version_that_says_what_changed(edge_store: Store, day: dt.date) -> None:
    purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    sku = edge_store.query("SELECT sku_id, case_pack, supplier_id FROM skus ORDER BY sku_id LIMIT 1")[0]
    po_id = f"PO-{day:%Y%m%d}-{sku['supplier_id']}"
    before = {ln["sku_id"]: ln["quantity"] for ln in purchasing.purchase_order(edge_store, po_id)["lines"]}
    late_order(edge_store, day, sku["sku_id"], sku["case_pack"] * 3)
    summary = purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW + dt.timedelta(hours=2))
    assert summary["revised"] == [po_id]
    po = purchasing.purchase_order(edge_store, po_id)
    assert po["version"] == 2 and po["state"] == "sent"
    (change,) = po["versions"][1]["changes"]
    assert change["sku_id"] == sku["sku_id"] and change["before"] == before.get(sku["sku_id"], 0)
    assert change["after"] > change["before"]
    sent = outbox(edge_store, "purchase.order")[-1]["payload"]
    assert sent["version"] == 2 and sent["changes"] == [change]


def test_a_change_after_receiving_started_is_a_conflict_not_an_overwrite(edge_store: Store, day: dt.date) -> None:
    purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    sku = edge_store.query("SELECT sku_id, case_pack, supplier_id FROM skus ORDER BY sku_id LIMIT 1")[0]
    po_id = f"PO-{day:%Y%m%d}-{sku['supplier_id']}"
    with edge_store.write(ACTOR, DEMO_NOW) as w:
        w.conn.execute("UPDATE purchase_orders SET state = 'receiving' WHERE po_id = ?", (po_id,))
    lines_before = purchasing.purchase_order(edge_store, po_id)["lines"]
    late_order(edge_store, day, sku["sku_id"], sku["case_pack"] * 2)
    for _ in range(2):  # the same change twice is one conflict
        summary = purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
        assert summary["conflicts"] == [po_id]
    po = purchasing.purchase_order(edge_store, po_id)
    assert po["version"] == 1 and po["lines"] == lines_before and len(po["open_conflicts"]) == 1
    assert [e["payload"]["po_id"] for e in outbox(edge_store, "purchase.order_conflict")] == [po_id]


def test_confirmation_must_be_for_the_current_version_and_within_the_po(edge_store: Store, day: dt.date) -> None:
    purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    po = purchasing.list_purchase_orders(edge_store, day)[0]
    line = purchasing.purchase_order(edge_store, po["po_id"])["lines"][0]
    with pytest.raises(FloorError, match="version 1; the confirmation is for version 2"):
        purchasing.confirm(edge_store, po["po_id"], 2, {line["sku_id"]: 1}, actor="hq", now=DEMO_NOW)
    with pytest.raises(FloorError, match=r"outside 0\.\.ordered"):
        purchasing.confirm(edge_store, po["po_id"], 1, {line["sku_id"]: line["quantity"] + 1}, actor="hq",
                           now=DEMO_NOW)
    with pytest.raises(FloorError, match="no line for NOPE"):
        purchasing.confirm(edge_store, po["po_id"], 1, {"NOPE": 1}, actor="hq", now=DEMO_NOW)
    done = purchasing.confirm(edge_store, po["po_id"], 1, {line["sku_id"]: line["quantity"] - line["case_pack"]},
                              actor="hq", now=DEMO_NOW)
    assert done["state"] == "confirmed"


def test_short_supply_is_shared_by_the_rule_and_hq_hears_each_short_line(edge_store: Store, day: dt.date) -> None:
    demand = aggregation.demand_for(edge_store, day)
    totals = aggregation.totals_by_sku(demand)
    sku = max(totals, key=lambda s: (len([d for d in demand if d.sku_id == s]), s))  # the most widely ordered
    supply = dict(totals)
    supply[sku] = totals[sku] * 3 // 4
    result = purchasing.allocate_shortages(edge_store, day, actor=ACTOR, now=DEMO_NOW, supply=supply)
    assert result["short_skus"] == [{"sku_id": sku, "ordered": totals[sku], "supply": supply[sku]}]
    allocated = edge_store.query(
        "SELECT o.store_id, SUM(COALESCE(l.allocated_qty, l.quantity)) AS a, SUM(l.quantity) AS q"
        " FROM order_lines l JOIN orders o USING (hq_order_id) WHERE l.sku_id = ? AND o.delivery_date = ?"
        " GROUP BY o.store_id", (sku, day.isoformat()))
    assert sum(r["a"] for r in allocated) == supply[sku]
    for r in allocated:  # every store within one unit of its proportional share
        assert abs(r["a"] - supply[sku] * r["q"] / totals[sku]) < 1
    events = outbox(edge_store, "order.line_allocated")
    assert events and all(e["payload"]["sku_id"] == sku for e in events)
    assert all(e["payload"]["allocated_qty"] < e["payload"]["ordered_qty"] for e in events)
    assert all("supplier short" in e["payload"]["reason"] for e in events)
    assert len(events) == result["lines_short"]
    # The pick list plans the allocated units, not the ordered ones.
    _, sort = aggregation.picking(edge_store, day)
    assert sum(sort[sku].values()) == supply[sku]
    # Late supply tops the lines up; HQ hears that nothing is to be refunded after all.
    topped = purchasing.allocate_shortages(edge_store, day, actor=ACTOR, now=DEMO_NOW, supply=totals)
    assert topped["short_skus"] == [] and topped["lines_short"] == 0
    refill = outbox(edge_store, "order.line_allocated")[len(events):]
    assert len(refill) == len(events)
    assert all(e["payload"]["allocated_qty"] == e["payload"]["ordered_qty"] for e in refill)


def test_allocation_after_the_wave_is_refused(edge_store: Store, day: dt.date) -> None:
    with edge_store.write(ACTOR, DEMO_NOW) as w:
        w.conn.execute("INSERT INTO waves (wave_id, delivery_date, created_at, created_by, layout_name,"
                       " cart_volume_ml) VALUES ('W1', ?, ?, ?, 'demo', 1)", (day.isoformat(), w.now_text, ACTOR))
    with pytest.raises(FloorError, match="allocate before building it"):
        purchasing.allocate_shortages(edge_store, day, actor=ACTOR, now=DEMO_NOW, supply={})


def test_purchasing_through_the_api_and_the_cli(edge_node: EdgeNode) -> None:
    client, day = edge_node.client, edge_node.delivery_date.isoformat()
    sup, hq = edge_node.headers(Role.SUPERVISOR), edge_node.headers(Role.HQ)
    assert client.post("/api/v1/purchasing/orders/issue", json={"delivery_date": day},
                       headers=edge_node.headers(Role.PICKER)).status_code == 403
    issued = client.post("/api/v1/purchasing/orders/issue", json={"delivery_date": day}, headers=sup).json()
    po_id = issued["created"][0]
    po = client.get(f"/api/v1/purchasing/orders/{po_id}", headers=hq).json()
    sku = po["lines"][0]["sku_id"]
    stale = client.post(f"/api/v1/purchasing/orders/{po_id}/confirmation",
                        json={"version": 2, "lines": {sku: 0}}, headers=hq | {"Accept-Language": "zh-CN"})
    assert stale.status_code == 409 and "第 1 版" in stale.json()["detail"]["message"]
    confirmed = client.post(f"/api/v1/purchasing/orders/{po_id}/confirmation",
                            json={"version": 1, "lines": {sku: 0}}, headers=hq)
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    listed = client.get("/api/v1/purchasing/orders", params={"date": day}, headers=sup).json()
    assert {row["po_id"]: row["state"] for row in listed}[po_id] == "confirmed"

    runner, data_dir = CliRunner(), str(edge_node.settings.data_dir)
    shown = runner.invoke(cli, ["--data-dir", data_dir, "purchase", "show", po_id])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["state"] == "confirmed"
    bad = runner.invoke(cli, ["--data-dir", data_dir, "purchase", "confirm", po_id, "--version", "1",
                              "--line", f"{sku}=lots"])
    assert bad.exit_code == 2 and "expected SKU=units" in bad.stderr
    over = runner.invoke(cli, ["--data-dir", data_dir, "purchase", "confirm", po_id, "--version", "1",
                               "--line", f"{sku}=999999"])
    assert over.exit_code == 2 and "po_confirm_over" in over.stderr


def test_supplier_answers_come_through_hqs_feed_and_a_bad_one_never_jams_it(edge_store: Store, day: dt.date,
                                                                            tmp_path: Path) -> None:
    purchasing.issue_purchase_orders(edge_store, day, actor=ACTOR, now=DEMO_NOW)
    po = purchasing.list_purchase_orders(edge_store, day)[0]
    line = purchasing.purchase_order(edge_store, po["po_id"])["lines"][0]
    hq = HqDb(tmp_path / "hq.sqlite3")
    hq.put_confirmation(SupplierConfirmation(po_id=po["po_id"], version=7, lines={line["sku_id"]: 1}))  # stale
    hq.put_confirmation(SupplierConfirmation(po_id=po["po_id"], version=1, lines={line["sku_id"]: line["case_pack"]}))
    hq.put_shipping_notice(ShippingNotice(asn_id="ASN-FEED", po_id=po["po_id"], lines=[
        AsnLine(sscc="069012340000000016", sku_id=line["sku_id"], lot="F1", expiry=day, units=line["case_pack"])]))
    page = hq.feed_page(0, 100)
    assert [c.kind for c in page.changes] == ["po_confirmation", "po_confirmation", "asn"]
    applied = StorePort(edge_store).apply_feed_page(page, DEMO_NOW)
    assert applied.cursor == page.next_cursor  # the stale one did not hold the page up
    shown = purchasing.purchase_order(edge_store, po["po_id"])
    assert shown["state"] == "shipped"
    assert {ln["sku_id"]: ln["confirmed_qty"] for ln in shown["lines"]}[line["sku_id"]] == line["case_pack"]
    assert edge_store.scalar("SELECT po_id FROM asns WHERE asn_id = 'ASN-FEED'") == po["po_id"]
    (exception,) = edge_store.query("SELECT hq_order_id, reason, detail FROM sync_exceptions")
    assert exception["hq_order_id"] == po["po_id"] and exception["reason"] == "invalid_confirmation"
    assert "version 1" in exception["detail"]
