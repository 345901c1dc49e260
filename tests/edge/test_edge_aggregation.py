"""Aggregation: purchase lists in whole cases, FEFO lot allocation with shortfalls, the sort plan."""

from __future__ import annotations

import csv
import datetime as dt
import io

from typer.testing import CliRunner

from edge.cli import app as cli
from edge.domain.aggregation import Demand, SkuInfo, StockLot, allocate_fefo, purchase_lists, sort_plan
from edge.domain.auth import Role
from tests.fixtures.edge import EdgeNode

D = dt.date(2026, 7, 2)
BERRY = SkuInfo("BLU", "蓝莓", "blueberries", "盒", "SUP-A", 24, "chilled")
MELON = SkuInfo("MEL", "蜜瓜", "melon", "个", "SUP-B", 6, "ambient")


def test_purchase_lists_round_up_to_cases_and_name_the_stores() -> None:
    demand = [Demand("BLU", "S1", 20), Demand("BLU", "S2", 5), Demand("MEL", "S1", 6)]
    lists = purchase_lists(demand, {"BLU": BERRY, "MEL": MELON})
    assert [s.supplier_id for s in lists] == ["SUP-A", "SUP-B"]
    berries = lists[0].lines[0]
    assert (berries.quantity, berries.cases, berries.stores) == (25, 2, {"S1": 20, "S2": 5})
    assert lists[1].lines[0].cases == 1


def test_fefo_takes_the_earliest_expiry_first_and_skips_lots_expired_by_delivery() -> None:
    stock = [
        StockLot(1, "A01-01-1", "BLU", "late", D + dt.timedelta(days=9), 50),
        StockLot(2, "A01-02-1", "BLU", "soon", D + dt.timedelta(days=1), 10),
        StockLot(3, "A01-03-1", "BLU", "expired", D - dt.timedelta(days=1), 99),
    ]
    plan = allocate_fefo({"BLU": 30}, stock, D)
    assert [(p.lot, p.quantity) for p in plan.lines] == [("soon", 10), ("late", 20)]
    assert plan.shortfalls == []


def test_a_shortfall_is_reported_with_what_is_missing() -> None:
    plan = allocate_fefo({"BLU": 30, "MEL": 4}, [StockLot(1, "A01-01-1", "BLU", "x", D, 12)], D)
    assert [(s.sku_id, s.ordered, s.available, s.missing) for s in plan.shortfalls] == [
        ("BLU", 30, 12, 18), ("MEL", 4, 0, 4)]
    assert sum(p.quantity for p in plan.lines) == 12


def test_sort_plan_sums_each_store() -> None:
    plan = sort_plan([Demand("BLU", "S2", 1), Demand("BLU", "S1", 2), Demand("BLU", "S2", 3)])
    assert plan == {"BLU": {"S1": 2, "S2": 4}}


def _ordered_units(node: EdgeNode) -> dict[str, int]:
    rows = node.store.query(
        "SELECT sku_id, SUM(quantity) AS q FROM order_lines JOIN orders USING (hq_order_id)"
        " WHERE delivery_date = ? AND status != 'cancelled' GROUP BY sku_id", (node.delivery_date.isoformat(),))
    return {r["sku_id"]: r["q"] for r in rows}


def test_api_lists_match_the_orders_and_csv_matches_json(edge_node: EdgeNode) -> None:
    headers = edge_node.headers(Role.SUPERVISOR)
    date = edge_node.delivery_date.isoformat()
    body = edge_node.client.get(f"/api/v1/aggregation/purchase?date={date}", headers=headers).json()
    totals = {line["sku_id"]: line["quantity"] for s in body["suppliers"] for line in s["lines"]}
    assert totals == _ordered_units(edge_node)
    text = edge_node.client.get(f"/api/v1/aggregation/purchase?date={date}&format=csv", headers=headers).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["sku_id"]: int(r["quantity"]) for r in rows} == totals
    picking = edge_node.client.get(f"/api/v1/aggregation/picking?date={date}", headers=headers).json()
    picked = {}
    for line in picking["pick_lines"]:
        picked[line["sku_id"]] = picked.get(line["sku_id"], 0) + line["quantity"]
    for short in picking["shortfalls"]:
        picked[short["sku_id"]] = picked.get(short["sku_id"], 0) + short["missing"]
    assert picked == totals
    assert {s["sku_id"]: sum(s["stores"].values()) for s in picking["sort_plan"]} == totals


def test_cancelled_orders_are_not_bought_or_picked(edge_node: EdgeNode) -> None:
    before = _ordered_units(edge_node)
    victim = edge_node.store.query("SELECT hq_order_id FROM orders LIMIT 1")[0]["hq_order_id"]
    lines = edge_node.store.query("SELECT sku_id, quantity FROM order_lines WHERE hq_order_id = ?", (victim,))
    edge_node.store.conn.execute("UPDATE orders SET status = 'cancelled' WHERE hq_order_id = ?", (victim,))
    after = _ordered_units(edge_node)
    for line in lines:
        assert after.get(line["sku_id"], 0) == before[line["sku_id"]] - line["quantity"]


def test_cli_prints_purchase_csv_and_picking_json(edge_node: EdgeNode) -> None:
    args = ["--data-dir", str(edge_node.settings.data_dir), "aggregate"]
    date = edge_node.delivery_date.isoformat()
    purchase = CliRunner().invoke(cli, [*args, "purchase", "--date", date, "--format", "csv"])
    assert purchase.exit_code == 0, purchase.output
    assert purchase.output.startswith("supplier_id,sku_id,")
    picking = CliRunner().invoke(cli, [*args, "picking", "--date", date])
    assert picking.exit_code == 0 and '"sort_plan"' in picking.output
