"""Order intake and aggregation speed, against raw sqlite executemany of the same rows.

Prints one JSON line per case:
- intake: order lines/s through the real intake (parse, validate, apply) vs the raw ceiling;
- aggregation: purchase lists and the FEFO pick plan + sort plan of a 50,000-line night.
Run: `.venv/bin/python bench/orders.py [--lines 50000]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from edge.demo import DemoSize, demo_orders, demo_skus, load_demo
from edge.services import aggregation, intake
from edge.settings import Settings
from edge.store import Store
from hq_sync.protocol import OrderBatch

NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def night(store: Store, settings: Settings, target_lines: int) -> OrderBatch:
    """Demo-shaped orders for tomorrow, cut off once they hold `target_lines` lines."""
    rng = random.Random(7)
    stores = store.query("SELECT store_id FROM stores")
    orders, lines = [], 0
    for order in demo_orders(rng, stores, demo_skus(), NOW.date() + dt.timedelta(days=1), target_lines):
        if lines >= target_lines:
            break
        orders.append(order.model_copy(update={"hq_order_id": f"BENCH-{len(orders):07d}"}))
        lines += len(order.lines)
    return OrderBatch(batch_id="bench", warehouse_id=settings.warehouse_id, created_at=NOW, orders=orders)


def raw_ceiling(path: Path, batch: OrderBatch) -> float:
    """The same order and line rows written with bare executemany in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE o (id TEXT PRIMARY KEY, v INT, s TEXT, c TEXT, d TEXT, st TEXT, h TEXT, r TEXT, u TEXT)")
    conn.execute("CREATE TABLE l (id TEXT, n INT, sku TEXT, q INT, p INT, PRIMARY KEY (id, n))")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO o VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(o.hq_order_id, o.version, o.store_id, o.campaign_id, str(o.delivery_date), "open", "h", "r", "u")
                      for o in batch.orders])
    conn.executemany("INSERT INTO l VALUES (?, ?, ?, ?, ?)",
                     [(o.hq_order_id, x.line_no, x.sku_id, x.quantity, x.unit_price_fen)
                      for o in batch.orders for x in o.lines])
    conn.execute("COMMIT")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "edge")
        store = Store(settings.database_path)
        load_demo(store, settings, NOW, DemoSize(orders=1, pickers=1, sorters=1, drivers=1))
        batch = night(store, settings, args.lines)
        lines = sum(len(o.lines) for o in batch.orders)
        payload = batch.model_dump_json().encode()

        started = time.perf_counter()
        parsed = intake.parse_batch(payload)
        result = intake.ingest_batch(store, parsed, warehouse_id=settings.warehouse_id, source="bench",
                                     actor="bench", now=NOW, zone=settings.zone)
        ours = time.perf_counter() - started
        assert result.inserted == len(batch.orders), result
        ceiling = raw_ceiling(Path(tmp) / "raw.sqlite3", batch)
        emit(bench="orders", case=f"intake_{lines}_lines", lines=lines, orders=len(batch.orders),
             seconds=round(ours, 3), lines_per_s=round(lines / ours), target_lines_per_s=5000,
             reference={"what": "raw sqlite executemany, same rows", "seconds": round(ceiling, 3),
                        "lines_per_s": round(lines / ceiling)},
             ratio_to_ceiling=round(ours / ceiling, 1))

        delivery = batch.orders[0].delivery_date
        for case, run in (("purchase", lambda: aggregation.purchase(store, delivery)),
                          ("picking", lambda: aggregation.picking(store, delivery))):
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                run()
                timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.conn.execute("SELECT l.sku_id, o.store_id, SUM(l.quantity) FROM order_lines l JOIN orders o"
                               " USING (hq_order_id) WHERE o.delivery_date = ? GROUP BY 1, 2",
                               (delivery.isoformat(),)).fetchall()
            bare = time.perf_counter() - started
            emit(bench="orders", case=f"aggregate_{case}_{lines}_lines", seconds_best=round(min(timings), 3),
                 seconds_median=round(sorted(timings)[2], 3), target_seconds=1.0,
                 reference={"what": "the bare GROUP BY query alone", "seconds": round(bare, 3)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
