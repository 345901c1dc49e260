"""Pick-path quality and speed against the exact optimum, measured in the same run.

Single-block layouts (10-30 aisles, 5-80 picks): our default (`auto`) and plain OR-Tools at an
80 ms budget against the Ratliff-Rosenthal optimum; S-shape and largest-gap excess. Two-block
layouts (a middle cross aisle): our default against OR-Tools given 10 s.
One JSON object per case on stdout, then one summary line per group.
Usage: python bench/routing_picks.py [--quick]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from routing.bounded import warm_up
from routing.layout import Layout, layout_from_dict
from routing.pickpath import solve_pick_path


def _layout(rng: random.Random, aisles: int, middle: bool) -> Layout:
    block = {"aisles": aisles, "bays_per_side": rng.choice([15, 20, 25, 30]), "bay_pitch": 1.3,
             "aisle_width": 3.0, "rack_depth": 1.1, "cross_aisle_width": 3.0}
    if middle:
        block |= {"cross_aisles": ["front", "middle", "back"], "middle_after_bay": block["bays_per_side"] // 2}
    return layout_from_dict({"blocks": [block], "depots": {"start": {"aisle": rng.randint(1, aisles)}}})


def _codes(rng: random.Random, layout: Layout, k: int) -> list[str]:
    b = layout.blocks[0]
    return [f"A{rng.randint(1, b.aisles):02d}-{rng.randint(1, 2 * b.bays_per_side)}" for _ in range(k)]


def _timed(layout: Layout, codes: list[str], method: str, limit: float = 1.0) -> tuple[float, float]:
    t0 = time.perf_counter()
    p = solve_pick_path(layout, codes, method=method, time_limit=limit)
    return p.distance_m, time.perf_counter() - t0


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def single_block(n_cases: int) -> None:
    rng = random.Random(2024)
    rows = []
    for case in range(n_cases):
        aisles = rng.randint(10, 30)
        picks = 60 if case % 5 == 0 else rng.randint(5, 80)
        layout = _layout(rng, aisles, middle=False)
        codes = _codes(rng, layout, picks)
        opt, t_opt = _timed(layout, codes, "exact")
        ours, t_ours = _timed(layout, codes, "auto")
        ort, t_ort = _timed(layout, codes, "ortools", 0.08)
        row = {"bench": "routing_picks", "case": f"single-{case}", "aisles": aisles, "picks": picks,
               "ours_m": round(ours, 2), "ours_gap_pct": round(100 * (ours / opt - 1), 3), "ours_s": round(t_ours, 4),
               "ortools_80ms_gap_pct": round(100 * (ort / opt - 1), 3), "ortools_s": round(t_ort, 4),
               "s_shape_excess_pct": round(100 * (_timed(layout, codes, "s-shape")[0] / opt - 1), 2),
               "largest_gap_excess_pct": round(100 * (_timed(layout, codes, "largest-gap")[0] / opt - 1), 2),
               "reference": {"exact_dp_m": round(opt, 2), "exact_dp_s": round(t_opt, 4)}}
        rows.append(row)
        print(json.dumps(row), flush=True)
    at60 = [r for r in rows if r["picks"] == 60]
    print(json.dumps({
        "bench": "routing_picks", "case": "single-block-summary", "cases": len(rows),
        "ours_gap_avg_pct": round(statistics.mean(r["ours_gap_pct"] for r in rows), 3),
        "ours_gap_max_pct": round(max(r["ours_gap_pct"] for r in rows), 3),
        "ours_p95_s_at_60": round(_p95([r["ours_s"] for r in at60]), 4),
        "ortools_80ms_gap_avg_pct": round(statistics.mean(r["ortools_80ms_gap_pct"] for r in rows), 3),
        "ortools_80ms_gap_max_pct": round(max(r["ortools_80ms_gap_pct"] for r in rows), 3),
        "ortools_80ms_p95_s_at_60": round(_p95([r["ortools_s"] for r in at60]), 4),
        "s_shape_excess_avg_pct": round(statistics.mean(r["s_shape_excess_pct"] for r in rows), 2),
        "largest_gap_excess_avg_pct": round(statistics.mean(r["largest_gap_excess_pct"] for r in rows), 2),
        "reference": "exact Ratliff-Rosenthal DP, same run"}), flush=True)


def two_block(n_cases: int) -> None:
    rng = random.Random(7)
    gaps = []
    for case in range(n_cases):
        aisles, picks = rng.randint(10, 20), rng.randint(10, 60)
        layout = _layout(rng, aisles, middle=True)
        codes = _codes(rng, layout, picks)
        ours, t_ours = _timed(layout, codes, "auto", 1.0)
        ref, t_ref = _timed(layout, codes, "ortools", 10.0)
        gap = 100 * (ours / ref - 1)
        gaps.append(gap)
        print(json.dumps({"bench": "routing_picks", "case": f"two-block-{case}", "aisles": aisles, "picks": picks,
                          "ours_m": round(ours, 2), "ours_s": round(t_ours, 3), "gap_pct": round(gap, 3),
                          "reference": {"ortools_10s_m": round(ref, 2), "seconds": round(t_ref, 2)}}), flush=True)
    print(json.dumps({"bench": "routing_picks", "case": "two-block-summary", "cases": n_cases,
                      "gap_avg_pct": round(statistics.mean(gaps), 3), "gap_max_pct": round(max(gaps), 3),
                      "reference": "OR-Tools given 10 s, same run"}), flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    warm_up()
    single_block(40 if quick else 200)
    two_block(3 if quick else 12)


if __name__ == "__main__":
    main()
