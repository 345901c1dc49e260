"""Delivery routes on our own problem: generated cold-chain cities (bench/citygen.py).

Per city (120-300 stores, 1-3 h windows, crates per temperature class with compartments, one or
two truck types, a cap of 4.5-6 h on the truck): our default engine at the node's budget (10 s),
against a reference solved longer in the same run: the best feasible plan of PyVRP given 60 s on
the conservative cap model (a route's whole duration, drive home included, bounded by the cap;
built here, not by our engine) and of our default engine given 120 s. Every plan is checked by
the checker below, written apart from the library's: windows, return time, compartments, kg and
the time goods spend on the truck with the latest departure the windows allow. Gap = distance
over the reference's, minus one; CPU = seconds of all solver processes.
Usage: python bench/routing_city.py [--seeds 1 2 3 4 5 6] [--seconds 10] [--ref-pyvrp 60] [--ref-ours 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from citygen import city

from routing.bounded import warm_up
from routing.vrp.intmodel import int_model
from routing.vrp.model import Instance
from routing.vrp.readers import instance_from_dict
from routing.vrp.solve import solve_delivery

Routes = list[tuple[int, list[int]]]  # (vehicle index, stop nodes 1..n)


def _times(inst: Instance, nodes: list[int], depart: float) -> tuple[list[float], float]:
    """Service starts along the route and the return time, leaving the depot at `depart`."""
    t, prev, starts = depart, 0, []
    for n in nodes:
        s = inst.stops[n - 1]
        t = max(t + float(inst.travel[prev, n]), s.window[0])
        starts.append(t)
        t, prev = t + s.service, n
    return starts, t + float(inst.travel[prev, 0])


def check(inst: Instance, routes: Routes) -> list[str]:
    """What the plan breaks (empty when feasible): each stop once, windows, return, loads, cap."""
    out, seen, fleet = [], [], inst.vehicles()
    for v, nodes in routes:
        vt, seen = fleet[v], seen + nodes
        for cls in {c for n in nodes for c in inst.stops[n - 1].crates}:
            if sum(inst.stops[n - 1].crates.get(cls, 0) for n in nodes) > vt.class_capacity(cls):
                out.append(f"truck {v}: {cls} compartment over")
        if sum(inst.stops[n - 1].total_crates for n in nodes) > vt.capacity_crates:
            out.append(f"truck {v}: crates over")
        if vt.capacity_kg is not None and sum(inst.stops[n - 1].kg for n in nodes) > vt.capacity_kg:
            out.append(f"truck {v}: kg over")
        lo, latest = max(vt.shift[0], inst.depot_window[0]), min(vt.shift[1], inst.depot_window[1])

        def ok(depart: float, nodes: list[int] = nodes, latest: float = latest) -> bool:
            starts, back = _times(inst, nodes, depart)
            return back <= latest + 1e-6 and all(t <= inst.stops[n - 1].window[1] + 1e-6
                                                 for t, n in zip(starts, nodes, strict=True))

        if not ok(lo):
            out.append(f"truck {v}: a window or the return is missed")
            continue
        hi = latest
        for _ in range(60):  # latest feasible departure: the time on the truck only shrinks with it
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        starts, _ = _times(inst, nodes, lo)
        on_truck = starts[-1] + inst.stops[nodes[-1] - 1].service - lo
        if inst.max_on_truck is not None and on_truck > inst.max_on_truck + 1e-3:
            out.append(f"truck {v}: {on_truck / 3600:.2f} h on the truck")
    if sorted(seen) != list(range(1, len(inst.stops) + 1)):
        out.append(f"{len(set(seen))} of {len(inst.stops)} stores served once")
    return out


def _distance(inst: Instance, routes: Routes) -> float:
    return sum(float(inst.distance[a, b]) for _, r in routes for a, b in zip([0, *r], [*r, 0], strict=True))


def _ours(inst: Instance, seconds: float) -> dict[str, Any]:
    plan = solve_delivery(inst, seconds)
    index = {s.id: k for k, s in enumerate(inst.stops, start=1)}
    routes = [(r.vehicle, [index[s] for s in r.stops]) for r in plan.routes]
    return _row(inst, routes, plan.seconds, plan.cpu_seconds, plan.source)


def _row(inst: Instance, routes: Routes, seconds: float, cpu: float, source: str) -> dict[str, Any]:
    broken = check(inst, routes)
    return {"km": round(_distance(inst, routes) / 1000, 2), "trucks": len([r for _, r in routes if r]),
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "feasible": not broken,
            "broken": broken[:3], "source": source}


def pyvrp_conservative(inst: Instance, seconds: float) -> dict[str, Any]:
    """PyVRP on the conservative model: the whole route, drive home included, within the cap."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    m = int_model(inst)
    model = pyvrp.Model()
    locs = [model.add_location(x=0, y=0) for _ in range(m.n)]
    depot = model.add_depot(locs[0], tw_early=m.windows[0][0], tw_late=m.windows[0][1])
    for node in range(1, m.n):
        model.add_client(locs[node], delivery=[m.demand[d][node] for d in range(len(m.dims))],
                         service_duration=m.service[node], tw_early=m.windows[node][0], tw_late=m.windows[node][1])
    groups: dict[tuple[Any, ...], list[int]] = {}
    for v in range(m.vehicles):
        groups.setdefault((tuple(m.capacity[d][v] for d in range(len(m.dims))), m.start_window[v]), []).append(v)
    cap = m.max_on_truck if m.max_on_truck is not None else 2**40
    for (capacity, (lo, hi)), members in groups.items():
        model.add_vehicle_type(len(members), capacity=list(capacity), start_depot=depot, end_depot=depot,
                               tw_early=lo, tw_late=hi, shift_duration=cap)
    for i in range(m.n):
        for j in range(m.n):
            if i != j:
                model.add_edge(locs[i], locs[j], distance=m.dist[i][j], duration=m.travel[i][j])
    t0, c0 = time.monotonic(), time.process_time()
    result = model.solve(stop=MaxRuntime(seconds), seed=1, display=False)
    order = list(groups.values())
    used = [0] * len(order)
    routes: Routes = []
    for r in result.best.routes():
        t = r.vehicle_type()
        routes.append((order[t][used[t]], [a.idx + 1 for a in r.schedule() if a.is_client()]))
        used[t] += 1
    return _row(inst, routes, time.monotonic() - t0, time.process_time() - c0, "pyvrp, conservative cap model")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--ref-pyvrp", type=float, default=60.0)
    ap.add_argument("--ref-ours", type=float, default=120.0)
    args = ap.parse_args()
    warm_up()
    gaps, cpus, feasible = [], [], 0
    for seed in args.seeds:
        doc = city(seed)
        inst = instance_from_dict(doc, doc["name"])
        ours = _ours(inst, args.seconds)
        refs = {f"pyvrp_{args.ref_pyvrp:g}s": pyvrp_conservative(inst, args.ref_pyvrp),
                f"ours_{args.ref_ours:g}s": _ours(inst, args.ref_ours)}
        best = min((r["km"] for r in refs.values() if r["feasible"]), default=None)
        gap = round(100 * (ours["km"] / best - 1), 2) if best and ours["feasible"] else None
        feasible += ours["feasible"]
        cpus.append(ours["cpu_seconds"])
        if gap is not None:
            gaps.append(gap)
        print(json.dumps({"bench": "routing_city", "case": doc["name"], "stores": len(inst.stops),
                          "truck_types": len(inst.vehicle_types), "cap_h": (inst.max_on_truck or 0) / 3600,
                          f"ours_{args.seconds:g}s": ours, "gap_pct": gap, "reference_km": best,
                          "reference": refs}), flush=True)
    print(json.dumps({"bench": "routing_city", "case": "summary", "instances": len(args.seeds),
                      "seconds_each": args.seconds, "feasible": feasible,
                      "mean_gap_pct": round(statistics.mean(gaps), 2) if gaps else None,
                      "max_gap_pct": max(gaps, default=None), "mean_cpu_s": round(statistics.mean(cpus), 2),
                      "reference": f"best feasible of PyVRP {args.ref_pyvrp:g} s (conservative cap model) and "
                                   f"our default engine at {args.ref_ours:g} s, same run, same checker"}), flush=True)


if __name__ == "__main__":
    main()
