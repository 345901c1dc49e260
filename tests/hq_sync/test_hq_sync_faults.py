"""Jepsen-style faults against real processes over real sockets; after healing, both sides agree.

Each test checks: equal digests, every outbox event applied at HQ exactly once, no order change lost.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hq_sync.reference_hq.link import TcpProxy
from tests.hq_sync.hq_sync_harness import (
    ROOT,
    AgentProcess,
    Edge,
    Hq,
    assert_converged,
    drafts,
    record_checks,
    running,
)

pytestmark = pytest.mark.slow
PICK_TIME = dt.datetime(2030, 7, 1, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Hq]:
    server = Hq(tmp_path)
    yield server
    server.close()


def picker_round(edge: Edge, rng: random.Random, n: int, at: dt.datetime, avoid: set[str] = frozenset()) -> int:
    """Pickers scan `n` lines of orders the edge has (and HQ is not changing)."""
    candidates = [oid for oid, (_v, status) in edge.orders().items() if status != "cancelled" and oid not in avoid]
    for _ in range(n):
        hq_id = rng.choice(candidates)
        lines = edge.store.conn.execute(
            "SELECT line_no, quantity FROM order_lines WHERE hq_order_id = ?", (hq_id,)).fetchall()
        line_no, ordered = rng.choice(lines)
        edge.pick(hq_id, line_no, rng.randint(0, ordered), at)
    return n


def phase_at_kill(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if "hq_sync.agent" in ln]
    if not lines:
        return "other"
    return "pull" if " pulled " in lines[-1] else "push" if " push " in lines[-1] else "other"


def agent_working(proc: AgentProcess, log: Path) -> bool:
    return proc.poll() is not None or (log.exists() and "hq_sync.agent" in log.read_text(errors="replace"))


@pytest.mark.parametrize(("focus", "seed"), [("pull", 1), ("push", 2), ("pull", 3), ("push", 4)])
def test_kill9_during_pull_and_push(
    hq: Hq, tmp_path: Path, focus: str, seed: int, fault_ledger: Counter[str]
) -> None:
    """13 kills at random points; between kills HQ takes new orders and pickers keep scanning."""
    rng = random.Random(seed)
    new_orders, picks = (60, 4) if focus == "pull" else (4, 50)
    hq.seed(200)
    hq.faults(delay_seconds=0.015)  # HQ a little slow, so that a kill lands mid-exchange
    edge = Edge(tmp_path / "edge", hq.url)
    next_id = 200
    for _ in range(13):
        if edge.orders():
            picker_round(edge, rng, picks, PICK_TIME, avoid=set())
        hq.call("POST", "/admin/orders", drafts(range(next_id, next_id + new_orders)))
        next_id += new_orders
        proc, log = edge.start_agent("--page-size", "8", "--push-batch", "5", "--no-reconcile")
        _wait(lambda p=proc, lg=log: agent_working(p, lg), "agent start")
        time.sleep(rng.uniform(0.0, 0.3))  # a random point of the push-then-pull cycle
        proc.kill()
        assert proc.wait(10) == -signal.SIGKILL, "the agent ended before it could be killed"
        fault_ledger[f"kill9_{phase_at_kill(log)}"] += 1
    fault_ledger["hq_slow"] += hq.stats()["faults_injected"]["delay"]
    hq.faults()
    edge.sync_until_idle("--no-reconcile")
    fault_ledger["hq_changes"] += next_id
    record_checks(fault_ledger, assert_converged(hq, edge))


def test_hq_errors_timeouts_and_slowness(hq: Hq, tmp_path: Path, fault_ledger: Counter[str]) -> None:
    hq.seed(200)
    edge = Edge(tmp_path / "edge", hq.url)
    edge.sync_until_idle("--no-reconcile")
    rng = random.Random(7)
    picker_round(edge, rng, 100, PICK_TIME, avoid={f"O{i:06d}" for i in range(60)})
    hq.call("POST", "/admin/orders", drafts(range(50), salt=1))
    for i in range(50, 60):
        hq.call("POST", f"/admin/orders/O{i:06d}/cancel")
    hq.faults(error_rate=0.25, hang_rate=0.08, hang_seconds=1.5, delay_seconds=0.02, seed=3)
    log = edge.sync_until_idle("--no-reconcile", "--timeout", "0.6", "--push-batch", "6", "--page-size", "6")
    injected = hq.stats()["faults_injected"]
    assert injected["error_before"] + injected["error_after"] >= 2 and injected["hang"] >= 1
    assert "HQ answered 500" in log and "no answer in time" in log
    fault_ledger["hq_500"] += injected["error_before"] + injected["error_after"]
    fault_ledger["hq_hang"] += injected["hang"]
    fault_ledger["hq_slow"] += injected["delay"]
    hq.faults()
    edge.sync_until_idle("--no-reconcile")
    fault_ledger["hq_changes"] += 260
    record_checks(fault_ledger, assert_converged(hq, edge))


def test_partition_for_a_simulated_hour_while_pickers_work(
    hq: Hq, tmp_path: Path, fault_ledger: Counter[str]
) -> None:
    hq.seed(150)
    proxy = TcpProxy(hq.port)
    edge = Edge(tmp_path / "edge", proxy.url)
    rng = random.Random(11)
    proc, _log = edge.start_agent("--timeout", "0.5")
    with running(proc):
        _wait(lambda: len(edge.orders()) == 150, "first sync")
        started = time.monotonic()
        changed = {f"O{i:06d}" for i in [*range(20), *range(100, 106)]}
        for minute in range(60):  # the simulated hour: a minute of picking per step
            if minute == 0:
                proxy.set("drop")
            elif minute == 30:
                proxy.set("stall")
            picker_round(edge, rng, 2, PICK_TIME + dt.timedelta(minutes=minute), avoid=changed)
            if minute % 10 == 0:
                hq.call("POST", "/admin/orders", drafts(range(minute // 10 * 3, minute // 10 * 3 + 3), salt=minute))
                hq.call("POST", f"/admin/orders/O{100 + minute // 10:06d}/cancel")
            time.sleep(0.03)
        from edge.services.hq_port import sync_status

        status = sync_status(edge.store, dt.datetime.now(dt.UTC))
        assert status["queue_depth"] > 0 and status["last_error"], status
        fault_ledger["partition_s"] += time.monotonic() - started
        fault_ledger["partition_sim_minutes"] += 60
        proxy.set("pass")
        _wait(lambda: edge.unacked() == 0 and _caught_up(edge, hq), "healing")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, "the agent did not stop gracefully on SIGTERM"
    fault_ledger["cut_connections"] += proxy.cut_connections
    proxy.close()
    fault_ledger["hq_changes"] += 150 + 36 + 6
    record_checks(fault_ledger, assert_converged(hq, edge))


def test_duplicated_and_reordered_feed_deliveries(hq: Hq, tmp_path: Path, fault_ledger: Counter[str]) -> None:
    hq.seed(120)
    for salt in (1, 2, 3):  # three versions of the same orders in the feed
        hq.call("POST", "/admin/orders", drafts(range(0, 120, 2), salt=salt))
    for i in range(1, 40, 4):
        hq.call("POST", f"/admin/orders/O{i:06d}/cancel")
    hq.faults(duplicate_feed=True, shuffle_feed=True, error_rate=0.2, seed=5)
    edge = Edge(tmp_path / "edge", hq.url)
    edge.sync_until_idle("--no-reconcile", "--page-size", "25")
    injected = hq.stats()["faults_injected"]
    assert injected["feed_dup"] > 0
    fault_ledger["feed_dups"] += injected["feed_dup"]
    fault_ledger["shuffled_pages"] += hq.stats()["feed_head"] // 25
    fault_ledger["hq_500"] += injected["error_before"] + injected["error_after"]
    hq.faults()
    fault_ledger["hq_changes"] += 120 + 180 + 10
    record_checks(fault_ledger, assert_converged(hq, edge))


@pytest.mark.parametrize("skew", [-600, 600])
def test_clock_skew_of_ten_minutes(tmp_path: Path, skew: int, fault_ledger: Counter[str]) -> None:
    server = Hq(tmp_path, clock_skew=skew)
    try:
        server.seed(60)
        edge = Edge(tmp_path / "edge", server.url)
        edge.sync_until_idle("--no-reconcile")
        picker_round(edge, random.Random(1), 20, PICK_TIME)
        edge.sync_until_idle("--no-reconcile")
        fault_ledger["skew_runs"] += 1
        fault_ledger["hq_changes"] += 60
        record_checks(fault_ledger, assert_converged(server, edge))
    finally:
        server.close()


def test_clock_beyond_the_correction_bound_is_refused_and_reported(tmp_path: Path) -> None:
    server = Hq(tmp_path, clock_skew=-2 * 3600)
    try:
        server.seed(5)
        edge = Edge(tmp_path / "edge", server.url)
        proc, _log = edge.start_agent("--no-reconcile")
        with running(proc):
            _wait(lambda: "stale_timestamp" in _status(edge).get("last_pull_error", ""), "refusal")
        status = _status(edge)
        assert "HQ's clock is -7200 s from ours" in status["last_pull_error"]
        assert abs(float(status["hq_clock_skew_s"]) + 7200) < 5
        assert edge.orders() == {} and server.stats()["events"] == 0
    finally:
        server.close()


def _status(edge: Edge) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "edge.sync_cli", "status"], cwd=ROOT, env=edge.env(),
                         capture_output=True, text=True, check=True).stdout
    return {k: str(v) for k, v in json.loads(out).items()}


def _caught_up(edge: Edge, hq: Hq) -> bool:
    from edge.services.hq_port import StorePort

    return StorePort(edge.store).cursor() == hq.stats()["feed_head"]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
