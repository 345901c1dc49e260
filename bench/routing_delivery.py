"""Delivery routing quality against best-known solutions and the peer engines, same run.

Solomon VRPTW (100 customers), each engine at the same budget: our default (OR-Tools portfolio),
pyvroom, PyVRP. Gap to the distance-minimising BKS (`dist_bks_cost` in bks.csv); every plan is
re-timed and checked feasible in real units, and must serve every customer.
Each plan also reports the CPU seconds of all its solver processes: the budget is wall-clock for
the whole portfolio, as for the peers (pyvroom runs two threads, PyVRP one).
Then a synthetic city: 200 stores, 2-hour windows, 15 trucks: first feasible plan within 2 s,
quality at 10 s and 30 s (pyvroom and PyVRP at 10 s alongside).
Usage: python bench/routing_delivery.py [--quick] [--seconds S] [INSTANCE ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
from pathlib import Path

from routing.bounded import warm_up
from routing.vrp.model import Plan
from routing.vrp.readers import instance_from_dict, read_instance
from routing.vrp.solve import solve_delivery

ROOT = Path(__file__).resolve().parents[2] / "shared" / "vrp_instances"  # ../shared beside the repo
SIX = ["C101", "C201", "R101", "R201", "RC101", "RC201"]
ENGINES = ("ortools", "vroom", "pyvrp")


def _summary(plan: Plan, n: int, bks: float | None) -> dict[str, object]:
    served = sum(len(r.visits) for r in plan.routes)
    ok = not plan.violations and served == n
    out: dict[str, object] = {"distance": round(plan.distance, 2), "vehicles": plan.vehicles,
                              "seconds": round(plan.seconds, 2), "cpu_seconds": round(plan.cpu_seconds, 2),
                              "feasible": ok}
    if bks:
        out["gap_pct"] = round(100 * (plan.distance / bks - 1), 3) if ok else None
    return out


def solomon(names: list[str], seconds: float, engines: tuple[str, ...] = ENGINES) -> None:
    bks = {r["instance"]: r for r in csv.DictReader((ROOT / "bks.csv").open())}
    gaps: dict[str, list[float]] = {e: [] for e in engines}
    dists: dict[str, list[float]] = {e: [] for e in engines}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    for name in names:
        inst = read_instance(ROOT / "solomon" / f"{name}.txt", "solomon")
        ref = float(bks[name]["dist_bks_cost"])
        row: dict[str, object] = {"bench": "routing_delivery", "case": name}
        for engine in engines:
            s = _summary(solve_delivery(inst, seconds, engine), len(inst.stops), ref)
            row[engine] = s
            cpu[engine].append(float(s["cpu_seconds"]))  # type: ignore[arg-type]
            if s["gap_pct"] is not None:
                gaps[engine].append(float(s["gap_pct"]))  # type: ignore[arg-type]
                dists[engine].append(float(s["distance"]))  # type: ignore[arg-type]
        row["reference"] = {"dist_bks_cost": ref, "dist_bks_vehicles": int(bks[name]["dist_bks_vehicles"])}
        print(json.dumps(row), flush=True)
    print(json.dumps({"bench": "routing_delivery", "case": "solomon-summary", "instances": len(names),
                      "seconds_each": seconds,
                      **{f"{e}_mean_gap_pct": round(statistics.mean(gaps[e]), 3) if gaps[e] else None for e in engines},
                      **{f"{e}_mean_distance": round(statistics.mean(dists[e]), 2) if dists[e] else None
                         for e in engines},
                      **{f"{e}_feasible": len(gaps[e]) for e in engines},
                      **{f"{e}_mean_cpu_s": round(statistics.mean(cpu[e]), 2) for e in engines},
                      "reference": "dist_bks_cost (bks.csv)" + (", " + ", ".join(e for e in engines if e != "ortools")
                                                                 + " in the same run" if len(engines) > 1 else "")}),
          flush=True)


def city(seed: int = 11) -> dict[str, object]:
    """200 stores around a city centre, 2-hour windows between 05:00 and 11:00, 15 reefers."""
    rng = random.Random(seed)
    lat0, lon0 = 30.27, 120.16
    stops = []
    for i in range(200):
        r, a = 12000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        start = rng.randrange(5 * 3600, 9 * 3600, 900)
        stops.append({"id": f"S{i + 1:03d}", "lat": lat0 + r * math.sin(a) / 111_000,
                      "lon": lon0 + r * math.cos(a) / (111_000 * math.cos(math.radians(lat0))),
                      "window": [start, start + 7200], "service": 300,
                      "crates": {"chilled": rng.randint(3, 14), "frozen": rng.randint(0, 3)},
                      "kg": rng.randint(40, 200)})
    depot = {"id": "DC", "lat": lat0 + 0.05, "lon": lon0 - 0.04, "window": [14400, 50400]}
    return {"name": "city-200", "depot": depot,
            "speed_kmh": 28, "circuity": 1.35, "max_on_truck": 6 * 3600, "stops": stops,
            "vehicles": [{"type": "reefer-4.2m", "count": 15, "capacity_crates": 220, "capacity_kg": 3000,
                          "compartments": {"chilled": 200, "frozen": 40}, "fixed_cost": 0, "shift": [14400, 50400]}]}


def synthetic() -> None:
    doc = city()
    inst = instance_from_dict(doc, "city-200")
    row: dict[str, object] = {"bench": "routing_delivery", "case": "city-200"}
    for label, seconds in (("first_2s", 2.0), ("at_10s", 10.0), ("at_30s", 30.0)):
        row[label] = _summary(solve_delivery(inst, seconds), 200, None)
    # the peers cannot cap time on the truck; compare them on the same city without that limit
    loose = instance_from_dict({**doc, "max_on_truck": None}, "city-200-loose")
    ref = {"ortools_10s": _summary(solve_delivery(loose, 10.0), 200, None)}
    for engine in ("vroom", "pyvrp"):
        ref[f"{engine}_10s"] = _summary(solve_delivery(loose, 10.0, engine), 200, None)
    row["reference"] = {"without_max_on_truck": ref}
    print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="the six reference instances only")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--no-city", action="store_true")
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                    help="e.g. only ortools (the default portfolio) to check it against the best-known values")
    ap.add_argument("instances", nargs="*")
    args = ap.parse_args()
    names = args.instances or (SIX if args.quick else sorted(p.stem for p in (ROOT / "solomon").glob("*.txt")))
    warm_up()
    solomon(names, args.seconds, tuple(args.engines))
    if not args.no_city:
        synthetic()


if __name__ == "__main__":
    main()
