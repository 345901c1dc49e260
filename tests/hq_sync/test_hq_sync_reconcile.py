"""Reconciliation end to end: HQ wins order content, the edge wins picks, the rest is an exception."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.services.hq_port import StorePort
from edge.sync_cli import app
from tests.hq_sync.hq_sync_harness import DELIVERY, ROOT, Edge, Hq, drafts

PICK_TIME = dt.datetime(2030, 7, 1, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Hq]:
    server = Hq(tmp_path)
    yield server
    server.close()


def reconcile(edge: Edge) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "edge.sync_cli", "reconcile", "--date", DELIVERY.isoformat()],
        cwd=ROOT, env=edge.env(), capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout))


def test_reconcile_repairs_drift_and_reports_what_no_rule_settles(hq: Hq, tmp_path: Path) -> None:
    hq.seed(300)
    edge = Edge(tmp_path / "edge", hq.url)
    edge.sync_until_idle("--no-reconcile")
    edge.pick("O000030", 1, 1, PICK_TIME)
    edge.sync_until_idle("--no-reconcile")

    # Drift the feed cannot fix: changes the edge never pulled, a lost order, a pick HQ never heard of.
    hq.call("POST", "/admin/orders", drafts(range(10, 11), salt=5))
    hq.call("POST", "/admin/orders/O000011/cancel")  # before picking: HQ wins
    hq.call("POST", "/admin/orders/O000030/cancel")  # after picking: nobody wins alone
    StorePort(edge.store).record_sync_state({"feed_cursor": str(hq.stats()["feed_head"])}, PICK_TIME)
    with edge.store.write("restore", PICK_TIME) as w:
        w.conn.execute("DELETE FROM orders WHERE hq_order_id = 'O000005'")
        w.conn.execute("UPDATE order_lines SET picked_qty = 1 WHERE hq_order_id = 'O000020' AND line_no = 1")

    report = reconcile(edge)
    assert report["differing_orders"] == 5
    assert report["repaired_from_hq"] == 3 and report["exceptions"] == ["O000030"]
    assert report["facts_sent"] >= 1
    assert edge.orders()["O000005"] == (1, "open")
    assert edge.orders()["O000010"][0] == 2 and edge.orders()["O000011"][1] == "cancelled"
    assert edge.orders()["O000030"] == (1, "picking")  # picked work is never overwritten
    found = hq.call("GET", "/admin/exceptions")
    assert {(e["hq_order_id"], e["payload"].get("reason")) for e in found} >= {
        ("O000030", "cancelled_after_picking")}

    again = reconcile(edge)  # only the exception still differs, and it is not reported twice
    assert again["differing_orders"] == 1 and again["repaired_from_hq"] == 0
    assert again["bytes_sent"] < report["bytes_sent"]
    kinds = sorted(e["kind"] for e in hq.call("GET", "/admin/exceptions") if e["hq_order_id"] == "O000030")
    assert kinds == ["order.conflict", "sync.exception"]

    runner = CliRunner()
    listed = runner.invoke(app, ["exceptions"], env={"HAOLIN_DATA_DIR": str(edge.data_dir)})
    assert listed.exit_code == 0
    [row] = json.loads(listed.stdout)
    assert (row["hq_order_id"], row["reason"]) == ("O000030", "cancelled_after_picking")
    status = runner.invoke(app, ["status"], env={"HAOLIN_DATA_DIR": str(edge.data_dir)})
    shown = json.loads(status.stdout)
    assert shown["queue_depth"] == 0 and shown["open_exceptions"] == 1
    assert shown["last_reconcile"]["differing_orders"] == 1


def test_equal_sides_settle_in_one_round_trip(hq: Hq, tmp_path: Path) -> None:
    hq.seed(120)
    edge = Edge(tmp_path / "edge", hq.url)
    edge.sync_until_idle("--no-reconcile")
    report = reconcile(edge)
    assert (report["round_trips"], report["differing_orders"], report["hq_orders"]) == (1, 0, 120)


def test_reconcile_refuses_a_bad_date() -> None:
    result = CliRunner().invoke(app, ["reconcile", "--date", "02/07/2030"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
