"""Make a plan that breaks a constraint feasible instead of throwing it away.

A peer that solved a relaxed problem (the time on the truck left to the checker, a driver break
it cannot model) often has a plan that is short and nearly right. Its offending routes give up
stops until they check feasible, and each stop given up moves to the cheapest place where it
fits: another route, or a truck left unused (the route is split). A stop with no such place is
left out, for OR-Tools to insert when it continues from the repaired plan.
"""

from __future__ import annotations

import itertools
import math
import time

from routing.vrp.model import Instance, VehicleType
from routing.vrp.schedule import schedule_route

Routes = list[list[int]]


def _fits(inst: Instance, vehicle: int, nodes: list[int]) -> bool:
    return not schedule_route(inst, vehicle, nodes)[1]


def _length(inst: Instance, nodes: list[int]) -> float:
    seq = [0, *nodes, 0]
    return float(sum(inst.distance[a, b] for a, b in itertools.pairwise(seq)))


def _shed(inst: Instance, vehicle: int, route: list[int]) -> list[int]:
    """Stops taken off `route` (in place) until it checks feasible: each time the one whose
    removal leaves the fewest violations, then saves the most distance."""
    shed = []
    while route:
        viol = len(schedule_route(inst, vehicle, route)[1])
        if not viol:
            break
        k = min(range(len(route)), key=lambda k: (len(schedule_route(inst, vehicle, route[:k] + route[k + 1:])[1]),
                                                 _length(inst, route[:k] + route[k + 1:])))
        shed.append(route.pop(k))
    return shed


def _room(inst: Instance, vehicle: VehicleType, route: list[int], node: int) -> bool:
    """Whether the truck has room for `node` too (cheap: checked before any timing)."""
    stops = [inst.stops[n - 1] for n in [*route, node]]
    if sum(s.total_crates for s in stops) > vehicle.capacity_crates:
        return False
    if vehicle.capacity_kg is not None and sum(s.kg for s in stops) > vehicle.capacity_kg:
        return False
    return all(sum(s.crates.get(c, 0) for s in stops) <= vehicle.class_capacity(c) for c in stops[-1].crates)


def _insert(inst: Instance, routes: Routes, node: int) -> bool:
    """Put `node` where it adds the least distance and every route still checks feasible."""
    d, fleet = inst.distance, inst.vehicles()
    options, empty = [], set()
    for v, r in enumerate(routes):
        if not _room(inst, fleet[v], r, node):
            continue
        if not r:
            if fleet[v].name in empty:
                continue  # one unused truck of each kind is enough to try
            empty.add(fleet[v].name)
        seq = [0, *r, 0]
        for pos in range(len(seq) - 1):
            a, b = seq[pos], seq[pos + 1]
            options.append((float(d[a, node] + d[node, b] - d[a, b]), v, pos))
    for _, v, pos in sorted(options):
        candidate = [*routes[v][:pos], node, *routes[v][pos:]]
        if _fits(inst, v, candidate):
            routes[v] = candidate
            return True
    return False


def repair(inst: Instance, routes: Routes, until: float = math.inf) -> Routes:
    """A feasible plan close to `routes`; stops that fit nowhere, or not by `until` (time.monotonic()),
    are left out."""
    out = [list(r) for r in routes]
    shed = [n for v, r in enumerate(out) for n in _shed(inst, v, r)]
    for node in sorted(shed, key=lambda n: inst.stops[n - 1].window[1]):
        if time.monotonic() >= until:
            break
        _insert(inst, out, node)
    return out
