"""The demo's morning from the orchards' side: POs out, one orchard short, one lot rejected at the dock,
the short supply shared before the wave, and a daily report with a loss rate to show."""

from __future__ import annotations

import json

from edge.demo import DemoSize, load_demo
from edge.demo_purchasing import SHORT_SUPPLIER, start_day_from_purchase_orders
from edge.services import daily_report
from edge.settings import Settings
from edge.store import Store
from tests.fixtures.edge import DEMO_NOW

MORNING_DEMO = DemoSize(pickers=2, sorters=2, drivers=2, trucks=4)  # the whole night: 5,000 orders


def test_the_demo_day_starts_from_purchase_orders(edge_settings: Settings, edge_store: Store) -> None:
    day = load_demo(edge_store, edge_settings, DEMO_NOW, MORNING_DEMO).delivery_date
    morning = start_day_from_purchase_orders(edge_store, day, DEMO_NOW)
    assert morning is not None and morning.purchase_orders >= 5
    short = morning.short_sku
    assert short is not None and edge_store.scalar("SELECT supplier_id FROM skus WHERE sku_id = ?",
                                                   (short,)) == SHORT_SUPPLIER
    assert [s["sku_id"] for s in morning.allocation["short_skus"]] == [short]
    cut = [json.loads(r["payload"])["payload"] for r in edge_store.query(
        "SELECT payload FROM outbox WHERE kind = 'order.line_allocated'")]
    assert len(cut) == morning.allocation["lines_short"] > 0
    assert all(c["sku_id"] == short and c["allocated_qty"] < c["ordered_qty"] for c in cut)
    report = daily_report.figures(edge_store, day, edge_settings.zone).as_json()
    assert report["losses_by_reason"]["qc_reject"] > 0 and report["loss_rate"] is not None
    assert morning.rejected_lot is not None and morning.rejected_lot.split()[1] in {
        lot["lot"] for lot in report["lots"] if lot["discarded"]}
    # Started again (a second `haolin-edge demo`): the day's POs exist, nothing is redone.
    assert start_day_from_purchase_orders(edge_store, day, DEMO_NOW) is None
