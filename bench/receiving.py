"""Receiving and shortage allocation speed.

Prints one JSON line per case:
- allocation: sharing short supply of 60 SKUs across 200 stores (3 customer lines per store and SKU) with
  the documented rule (`edge.domain.shortage`), in ms for the whole night (target <= 100 ms); the reference,
  measured in the same run, is plain first-come-first-served over the same lines.
- receiving: 500 cases received at the dock by 4 PDAs, each scanning a case label every 0.25 s (a fast
  receiver), through the real app under uvicorn on loopback over the full demo; latency per scan
  (p50/p99) against the same PDAs calling the node's health endpoint at the same pace in the same run.
Run: `.venv/bin/python bench/receiving.py [--skus 60] [--stores 200] [--repeat 5] [--cases 500]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from edge.domain.shortage import OrderedLine, share_shortage

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def night(skus: int, stores: int, rng: random.Random) -> list[tuple[int, int, list[OrderedLine]]]:
    """Per SKU: (pack, supply in units, order lines); supply is 70-95 % of what was ordered."""
    out = []
    for sku in range(skus):
        pack = rng.choice((1, 1, 2, 6))
        lines = [OrderedLine(f"O{sku}-{store}-{k}", 1, f"S{store:03d}",
                             T0 + dt.timedelta(seconds=rng.randrange(4 * 3600)), pack * rng.randint(1, 4))
                 for store in range(stores) for k in range(3)]
        ordered = sum(ln.quantity for ln in lines)
        out.append((pack, int(ordered * rng.uniform(0.70, 0.95)), lines))
    return out


def first_come_first_served(supply: int, lines: list[OrderedLine], pack: int) -> int:
    left = supply // pack * pack
    for line in sorted(lines, key=lambda ln: (ln.ordered_at, ln.hq_order_id, ln.line_no)):
        left -= min(left, line.quantity)
    return left


def best_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


DOCK_PDAS = 4
SCAN_EVERY_S = 0.25


def dock_day(data_dir: Path, cases: int) -> tuple[Any, list[dict[str, Any]]]:
    """The full demo with its POs sent and announced; per dock PDA a signed-in receiver, an open
    receipt and its share of `cases` case labels, each PO's cases in order."""
    from edge.api.app import create_app
    from edge.demo import DEMO_PIN, demo_site_file, load_demo
    from edge.domain.floor.codes import make_sscc
    from edge.services import auth, purchasing, receiving
    from edge.settings import Settings
    from edge.store import Store
    from hq_sync.protocol import AsnLine, ShippingNotice

    settings = Settings(data_dir=data_dir, site_file=demo_site_file())
    store = Store(settings.database_path)
    now = dt.datetime.now(dt.UTC)
    day = load_demo(store, settings, now).delivery_date
    purchasing.issue_purchase_orders(store, day, actor="bench", now=now)
    pos = sorted(purchasing.list_purchase_orders(store, day), key=lambda p: -p["units"])[:DOCK_PDAS]
    gtins = {r["sku_id"]: r["gtin"] for r in store.query("SELECT sku_id, gtin FROM skus")}
    expiry = day + dt.timedelta(days=10)
    pdas = []
    for n, po in enumerate(pos, 1):
        lines = purchasing.purchase_order(store, po["po_id"])["lines"]
        notice = ShippingNotice(asn_id=f"ASN-{n}", po_id=po["po_id"], lines=[
            AsnLine(sscc=make_sscc(0, "6901234", n), sku_id=ln["sku_id"], lot="B1", expiry=expiry,
                    units=ln["quantity"]) for ln in lines])
        receiving.record_asn(store, notice, actor="bench", now=now)
        receipt = receiving.start(store, po["po_id"], actor="bench", now=now)
        labels = [f"(01){gtins[ln['sku_id']]}(10)B1(17){expiry:%y%m%d}" for ln in lines for _ in range(ln["cases"])]
        token = auth.sign_in(store, f"P{n:02d}", DEMO_PIN, now=now, lifetime=dt.timedelta(hours=2),
                             device_id=f"dock-{n}").token
        pdas.append({"token": token, "receipt_id": receipt["receipt_id"], "labels": labels[:cases // DOCK_PDAS]})
    store.close()
    return create_app(settings), pdas


@contextmanager
def serving(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def receive(base: str, pda: dict[str, Any]) -> tuple[list[float], list[float], int]:
    """One receiver: a case scan every SCAN_EVERY_S, a health call between, each timed from when due."""
    scans, health, refused = [], [], 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {pda['token']}"}, timeout=30) as client:
        due = time.perf_counter()
        for n, raw in enumerate(pda["labels"]):
            for kind in ("scan", "health"):
                due += SCAN_EVERY_S / 2
                time.sleep(max(0.0, due - time.perf_counter()))
                if kind == "scan":
                    body = {"scans": [{"scan_id": f"{pda['receipt_id']}-{n}", "raw": raw, "cases": 1}]}
                    answer = client.post(f"/api/v1/receiving/receipts/{pda['receipt_id']}/scans/batch", json=body)
                    refused += not answer.json()["results"][0]["ok"]
                    scans.append(time.perf_counter() - due)
                else:
                    client.get("/api/v1/health")
                    health.append(time.perf_counter() - due)
    return scans, health, refused


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def receiving_case(cases: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, pdas = dock_day(Path(tmp), cases)
        with serving(app) as base, ThreadPoolExecutor(len(pdas)) as pool:
            results = list(pool.map(lambda p: receive(base, p), pdas))
    scans = [v for r in results for v in r[0]]
    health = [v for r in results for v in r[1]]
    emit(case="receiving", pdas=len(pdas), cases=len(scans), refused=sum(r[2] for r in results),
         scan_every_s=SCAN_EVERY_S, p50_ms=pct(scans, 0.5), p99_ms=pct(scans, 0.99), max_ms=pct(scans, 1.0),
         reference="health endpoint, same clients and pace", reference_p50_ms=pct(health, 0.5),
         reference_p99_ms=pct(health, 0.99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", type=int, default=500)
    args = parser.parse_args()
    data = night(args.skus, args.stores, random.Random(15))
    shorted = sum(1 for pack, supply, lines in data for s in share_shortage(supply, lines, pack) if s.short)
    ms = best_ms(lambda: [share_shortage(supply, lines, pack) for pack, supply, lines in data], args.repeat)
    ref = best_ms(lambda: [first_come_first_served(supply, lines, pack) for pack, supply, lines in data], args.repeat)
    emit(case="allocation", skus=args.skus, stores=args.stores, lines=sum(len(d[2]) for d in data),
         shorted_lines=shorted, ms=round(ms, 1), target_ms=100, reference="first_come_first_served",
         reference_ms=round(ref, 1))
    receiving_case(args.cases)


if __name__ == "__main__":
    main()
