"""HQ sync benchmarks: reconciliation against sending everything, and push throughput.

Runs a reference HQ process on loopback and an edge store in a temporary directory, and prints
one JSON object per case:
- reconcile: 100,000 orders for one date with 1 % drift (half HQ-side changes the edge missed,
  half edge-side picks HQ never heard of): digest-tree reconciliation vs the full exchange
  (every HQ order state down, every fulfillment fact up), time and bytes, in the same run;
- push: outbox events/s through the reference HQ, against the HTTP ceiling of the same server.

Usage: .venv/bin/python bench/sync.py [--orders 100000] [--drift 0.01] [--events 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.services.hq_port import StorePort  # noqa: E402
from edge.store import Store  # noqa: E402
from hq_sync.agent import AgentConfig, SyncAgent  # noqa: E402
from hq_sync.client import HqClient  # noqa: E402
from hq_sync.digest import DigestTree, choose_depth  # noqa: E402
from hq_sync.protocol import FulfillmentRepair, LinePickedPayload, OrdersLookup, gtin_check_digit  # noqa: E402

EDGE, SECRET, ADMIN = "edge-bench", "bench-secret-0123456789", "bench-admin"
DATE = dt.date(2030, 7, 2)
NOW = dt.datetime(2030, 7, 1, 20, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_hq(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hq_sync.reference_hq.cli", "serve", "--db", str(workdir / "hq.sqlite3"),
         "--port", str(port), "--edge", f"{EDGE}={SECRET}", "--admin-token", ADMIN],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("reference HQ did not start")


def masters(admin: httpx.Client) -> None:
    stores = [{"store_id": f"S{i:03d}", "name": f"Store {i}"} for i in range(200)]
    skus = []
    for i in range(60):
        body = f"69{i:011d}"
        skus.append({"sku_id": f"K{i:03d}", "gtin": body + str(gtin_check_digit(body)), "name_zh": f"商品{i}",
                     "name_en": f"Item {i}", "unit": "box", "temp_class": "chilled", "shelf_life_days": 5,
                     "case_pack": 12, "supplier_id": "SUP1", "supplier_name": "Supplier", "weight_g": 500})
    admin.put("/admin/stores", json=stores).raise_for_status()
    admin.put("/admin/skus", json=skus).raise_for_status()


def drafts(ids: range, salt: int = 0) -> list[dict[str, Any]]:
    return drafts_of(list(ids), salt)


def drafts_of(ids: list[int], salt: int = 0) -> list[dict[str, Any]]:
    return [{"hq_order_id": f"O{i:07d}", "store_id": f"S{i % 200:03d}", "delivery_date": DATE.isoformat(),
             "lines": [{"line_no": j + 1, "sku_id": f"K{(i * 7 + j) % 60:03d}", "quantity": 1 + (i + j + salt) % 6}
                       for j in range(1 + i % 4)]} for i in ids]


def full_exchange(client: HqClient, port: StorePort) -> dict[str, Any]:
    """The reference: every order's HQ state down and every fulfillment fact up, then compare locally."""
    started = time.perf_counter()
    sent0, received0 = client.bytes_sent, client.bytes_received
    ids = [r.hq_order_id for r in port.digest_rows(DATE)]
    differing = 0
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        found = client.lookup_orders(OrdersLookup(hq_order_ids=chunk))
        facts = port.fulfillment_facts(chunk)
        client.repair_fulfillment(FulfillmentRepair(facts=facts))
        local = {f.hq_order_id: f.version for f in facts}
        differing += sum(1 for s in found.orders if local.get(s.order.hq_order_id) != s.order.version)
    return {"seconds": round(time.perf_counter() - started, 3),
            "bytes": client.bytes_sent - sent0 + client.bytes_received - received0, "version_diffs": differing}


def introduce_drift(
    admin: httpx.Client, store: Store, port: StorePort, rng: random.Random, orders: int, drift: float
) -> list[int]:
    """Half HQ changes the edge never pulled (the cursor skips them), half picks whose events were lost."""
    drifted = rng.sample(range(orders), int(orders * drift))
    hq_side, edge_side = drifted[: len(drifted) // 2], drifted[len(drifted) // 2:]
    admin.post("/admin/orders", json=drafts_of(hq_side, salt=rng.randint(1, 5))).raise_for_status()
    head = admin.get("/admin/stats").json()["feed_head"]
    port.record_sync_state({"feed_cursor": str(head)}, NOW)
    with store.write("bench", NOW) as w:
        w.conn.executemany("UPDATE order_lines SET picked_qty = picked_qty + 1 WHERE hq_order_id = ? AND line_no = 1",
                           [(f"O{i:07d}",) for i in edge_side])
    return drifted


def bench_reconcile(url: str, workdir: Path, orders: int, drift: float) -> dict[str, Any]:
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=600)
    masters(admin)
    for start in range(0, orders, 20_000):
        admin.post("/admin/orders", json=drafts(range(start, min(orders, start + 20_000)))).raise_for_status()
    store = Store(workdir / "edge" / "edge.sqlite3")
    port = StorePort(store)
    client = HqClient(url, EDGE, SECRET, timeout=600)
    agent = SyncAgent(port, client, AgentConfig(page_size=5000))
    started = time.perf_counter()
    agent.pull()
    initial_pull = time.perf_counter() - started

    rng = random.Random(1)
    drifted = introduce_drift(admin, store, port, rng, orders, drift)
    report = agent.reconcile(DATE)
    depth = choose_depth(orders)
    rows = port.digest_rows(DATE)
    edge_root = DigestTree.build(((r.hq_order_id, r.row_hash) for r in rows), depth).root
    hq_root = admin.get(f"/admin/digest/{DATE}?depth={depth}").json()["root"]
    introduce_drift(admin, store, port, rng, orders, drift)  # the same amount again, for the reference
    full = full_exchange(client, port)
    admin.close()
    client.close()
    return {
        "bench": "hq_sync", "case": f"reconcile_{orders}_orders_{drift:.0%}_drift",
        "seconds": report.seconds, "bytes": report.bytes_sent + report.bytes_received,
        "round_trips": report.round_trips, "differing_orders": report.differing_orders,
        "drifted_orders": len(drifted), "repaired_from_hq": report.repaired_from_hq, "facts_sent": report.facts_sent,
        "roots_equal_after": edge_root == hq_root,
        "initial_pull_orders_per_s": round(orders / initial_pull),
        "reference": {"what": "full exchange: all HQ order states down, all fulfillment facts up", **full},
        "bytes_ratio": round((report.bytes_sent + report.bytes_received) / full["bytes"], 4),
    }


def bench_push(url: str, workdir: Path, events: int) -> dict[str, Any]:
    store = Store(workdir / "push" / "edge.sqlite3")
    with store.write("bench", NOW) as w:
        for i in range(events):
            w.emit(LinePickedPayload(hq_order_id=f"P{i:07d}", line_no=1, sku_id="K001", picked_qty=1, ordered_qty=2),
                   f"P{i:07d}")
    client = HqClient(url, EDGE, SECRET, timeout=600)
    agent = SyncAgent(StorePort(store), client, AgentConfig(push_batch=500))
    started = time.perf_counter()
    pushed = agent.push()
    seconds = time.perf_counter() - started
    client.close()
    with httpx.Client(base_url=url) as raw:
        n = 2000
        started = time.perf_counter()
        for _ in range(n):
            raw.get("/health")
        ceiling = n / (time.perf_counter() - started)
    return {"bench": "hq_sync", "case": "push_batch_500_loopback", "events": pushed,
            "events_per_s": round(pushed / seconds), "requests_per_s": round(pushed / 500 / seconds, 1),
            "reference": {"what": "same server, unsigned GET /health", "requests_per_s": round(ceiling)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        proc, url = start_hq(workdir)
        try:
            print(json.dumps(bench_push(url, workdir, args.events)), flush=True)
            print(json.dumps(bench_reconcile(url, workdir, args.orders, args.drift)), flush=True)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
