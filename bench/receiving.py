"""Receiving and shortage allocation speed.

Prints one JSON line per case:
- allocation: sharing short supply of 60 SKUs across 200 stores (3 customer lines per store and SKU) with
  the documented rule (`edge.domain.shortage`), in ms for the whole night (target <= 100 ms); the reference,
  measured in the same run, is plain first-come-first-served over the same lines.
Run: `.venv/bin/python bench/receiving.py [--skus 60] [--stores 200] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from collections.abc import Callable

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = night(args.skus, args.stores, random.Random(15))
    shorted = sum(1 for pack, supply, lines in data for s in share_shortage(supply, lines, pack) if s.short)
    ms = best_ms(lambda: [share_shortage(supply, lines, pack) for pack, supply, lines in data], args.repeat)
    ref = best_ms(lambda: [first_come_first_served(supply, lines, pack) for pack, supply, lines in data], args.repeat)
    emit(case="allocation", skus=args.skus, stores=args.stores, lines=sum(len(d[2]) for d in data),
         shorted_lines=shorted, ms=round(ms, 1), target_ms=100, reference="first_come_first_served",
         reference_ms=round(ref, 1))


if __name__ == "__main__":
    main()
