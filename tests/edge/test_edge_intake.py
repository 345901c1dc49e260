"""Order intake: whole-batch refusal with every problem, idempotent re-sends, versions and conflicts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from edge.cli import app as cli
from edge.domain.auth import Role
from tests.fixtures.edge import EdgeNode


def order(hq_id: str, date: dt.date, version: int = 1, store: str = "S0001", status: str = "confirmed",
          lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"hq_order_id": hq_id, "version": version, "store_id": store, "campaign_id": "LIVE-1",
            "delivery_date": date.isoformat(), "status": status,
            "lines": lines or [{"line_no": 1, "sku_id": "BLU-125", "quantity": 2}]}


def batch(node: EdgeNode, batch_id: str, *orders: dict[str, Any]) -> dict[str, Any]:
    return {"batch_id": batch_id, "warehouse_id": node.settings.warehouse_id,
            "created_at": node.clock().isoformat(), "orders": list(orders)}


def post(node: EdgeNode, body: dict[str, Any] | bytes, role: Role = Role.HQ) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return node.client.post("/api/v1/orders/batches", content=content, headers=node.headers(role))


def counts(node: EdgeNode) -> tuple[int, int, int]:
    return (node.store.scalar("SELECT COUNT(*) FROM orders"), node.store.scalar("SELECT COUNT(*) FROM order_lines"),
            node.store.scalar("SELECT COUNT(*) FROM outbox"))


def test_a_good_batch_is_applied_and_a_resend_changes_nothing(edge_node: EdgeNode) -> None:
    body = batch(edge_node, "b-1", order("X1", edge_node.delivery_date), order("X2", edge_node.delivery_date))
    first = post(edge_node, body)
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 2
    before = counts(edge_node)
    again = post(edge_node, body)
    assert again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["inserted"] == 0
    assert counts(edge_node) == before


def test_the_same_orders_under_a_new_batch_id_change_nothing(edge_node: EdgeNode) -> None:
    post(edge_node, batch(edge_node, "b-1", order("X1", edge_node.delivery_date)))
    before = counts(edge_node)
    result = post(edge_node, batch(edge_node, "b-2", order("X1", edge_node.delivery_date))).json()
    assert (result["inserted"], result["unchanged"]) == (0, 1)
    assert counts(edge_node) == before


def test_a_bad_batch_is_refused_whole_with_every_problem_and_its_path(edge_node: EdgeNode) -> None:
    yesterday = edge_node.delivery_date - dt.timedelta(days=2)
    body = batch(
        edge_node, "bad",
        order("OK1", edge_node.delivery_date),
        order("B1", edge_node.delivery_date, store="S9999"),
        order("B2", yesterday),
        order("B3", edge_node.delivery_date, lines=[
            {"line_no": 1, "sku_id": "NOPE", "quantity": 1},
            {"line_no": 1, "sku_id": "BLU-125", "quantity": 1},
            {"line_no": 2, "sku_id": "BLU-125", "quantity": 1},
            {"line_no": 3, "sku_id": "MEL-HAMI", "quantity": 1, "gtin": "06901234001006"},
        ]),
        order("OK1", edge_node.delivery_date),
    )
    before = counts(edge_node)
    response = post(edge_node, body)
    assert response.status_code == 422
    problems = {(p["path"], p["message"].split(" ")[0]) for p in response.json()["problems"]}
    assert ("orders[1].store_id", "unknown") in problems
    assert ("orders[2].delivery_date", "delivery") in problems
    assert ("orders[3].lines[0].sku_id", "unknown") in problems
    assert ("orders[3].lines[1].line_no", "line") in problems
    assert ("orders[3].lines[2].sku_id", "SKU") in problems
    assert ("orders[3].lines[3].gtin", "GTIN") in problems
    assert ("orders[4].hq_order_id", "order") in problems
    assert len(problems) == 7
    assert counts(edge_node) == before


def test_structural_problems_are_listed_together(edge_node: EdgeNode) -> None:
    body = batch(edge_node, "bad", order("B1", edge_node.delivery_date, lines=[
        {"line_no": 1, "sku_id": "BLU-125", "quantity": 0},
        {"line_no": 2, "sku_id": "BLU-250", "quantity": 1_000_000},
        {"line_no": 3, "sku_id": "BLU-500", "quantity": 1, "gtin": "06901234001007"},
    ]))
    response = post(edge_node, body)
    assert response.status_code == 422
    paths = {p["path"] for p in response.json()["problems"]}
    assert paths == {"orders[0].lines[0].quantity", "orders[0].lines[1].quantity", "orders[0].lines[2].gtin"}
    assert "check digit" in str(response.json()["problems"])


def test_broken_json_says_where(edge_node: EdgeNode) -> None:
    response = post(edge_node, b'{"batch_id": "x",\n "orders": [}')
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "line 2 column 13"


def test_a_reused_batch_id_with_other_content_is_refused(edge_node: EdgeNode) -> None:
    post(edge_node, batch(edge_node, "b-1", order("X1", edge_node.delivery_date)))
    response = post(edge_node, batch(edge_node, "b-1", order("X2", edge_node.delivery_date)))
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "batch_id"


def test_a_newer_version_replaces_an_order_not_yet_picked(edge_node: EdgeNode) -> None:
    post(edge_node, batch(edge_node, "b-1", order("X1", edge_node.delivery_date)))
    changed = order("X1", edge_node.delivery_date, version=2, lines=[
        {"line_no": 1, "sku_id": "MEL-HAMI", "quantity": 1}, {"line_no": 2, "sku_id": "YOG-PLAIN", "quantity": 4}])
    assert post(edge_node, batch(edge_node, "b-2", changed)).json()["replaced"] == 1
    lines = edge_node.store.query("SELECT sku_id, quantity FROM order_lines WHERE hq_order_id = 'X1' ORDER BY line_no")
    assert lines == [{"sku_id": "MEL-HAMI", "quantity": 1}, {"sku_id": "YOG-PLAIN", "quantity": 4}]
    stale = order("X1", edge_node.delivery_date, version=1)
    assert post(edge_node, batch(edge_node, "b-3", stale)).json()["stale"] == 1
    cancel = order("X1", edge_node.delivery_date, version=3, status="cancelled")
    assert post(edge_node, batch(edge_node, "b-4", cancel)).json()["replaced"] == 1
    assert edge_node.store.scalar("SELECT status FROM orders WHERE hq_order_id = 'X1'") == "cancelled"


def test_a_change_to_a_picked_order_becomes_a_visible_conflict_once(edge_node: EdgeNode) -> None:
    post(edge_node, batch(edge_node, "b-1", order("X1", edge_node.delivery_date)))
    edge_node.store.conn.execute("UPDATE order_lines SET picked_qty = 1 WHERE hq_order_id = 'X1'")
    edge_node.store.conn.execute("UPDATE orders SET status = 'picking' WHERE hq_order_id = 'X1'")
    changed = order("X1", edge_node.delivery_date, version=2,
                    lines=[{"line_no": 1, "sku_id": "BLU-125", "quantity": 5}])
    for batch_id in ("b-2", "b-3"):
        result = post(edge_node, batch(edge_node, batch_id, changed)).json()
    assert result["conflicts"] == 0  # the second send finds the conflict already recorded
    assert edge_node.store.scalar("SELECT quantity FROM order_lines WHERE hq_order_id = 'X1'") == 2
    conflicts = edge_node.client.get("/api/v1/conflicts", headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert [(c["hq_order_id"], c["incoming_version"]) for c in conflicts] == [("X1", 2)]
    assert "after picking started" in conflicts[0]["detail"]
    to_hq = edge_node.store.query("SELECT kind, payload FROM outbox WHERE kind = 'order.conflict'")
    assert len(to_hq) == 1 and json.loads(to_hq[0]["payload"])["payload"]["incoming_version"] == 2
    resolved = edge_node.client.post(f"/api/v1/conflicts/{conflicts[0]['conflict_id']}/resolve",
                                     json={"decision": "keep_edge", "note": "already on the truck"},
                                     headers=edge_node.headers(Role.SUPERVISOR))
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "person:SUP01"
    assert edge_node.client.get("/api/v1/conflicts", headers=edge_node.headers(Role.HQ)).json() == []


def test_cli_import_refuses_a_bad_file_with_exit_2_and_lists_problems(edge_node: EdgeNode, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(batch(edge_node, "cli-bad", order("C1", edge_node.delivery_date, store="S9999"),
                                    order("C2", edge_node.delivery_date, lines=[
                                        {"line_no": 1, "sku_id": "NOPE", "quantity": 1}]))))
    runner = CliRunner()
    data_dir = ["--data-dir", str(edge_node.settings.data_dir)]
    refused = runner.invoke(cli, [*data_dir, "orders", "import", str(bad)])
    assert refused.exit_code == 2
    assert "orders[0].store_id: unknown store 'S9999'" in refused.output
    assert "orders[1].lines[0].sku_id: unknown SKU 'NOPE'" in refused.output
    assert edge_node.store.scalar("SELECT COUNT(*) FROM orders WHERE hq_order_id IN ('C1', 'C2')") == 0
    good = tmp_path / "good.json"
    good.write_text(json.dumps(batch(edge_node, "cli-good", order("C3", dt.date.today() + dt.timedelta(days=1)))))
    accepted = runner.invoke(cli, [*data_dir, "orders", "import", str(good)])
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["inserted"] == 1


def test_the_documented_schema_is_the_models_schema() -> None:
    documented = Path(__file__).parents[2] / "docs" / "schemas" / "order_batch.schema.json"
    printed = CliRunner().invoke(cli, ["orders", "schema"])
    assert json.loads(documented.read_text()) == json.loads(printed.output), "regenerate: haolin-edge orders schema"
