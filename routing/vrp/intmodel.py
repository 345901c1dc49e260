"""The integer form of an instance that every engine consumes (picklable, engine-neutral)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from routing.vrp.model import HORIZON, Instance


@dataclass(frozen=True)
class IntModel:
    dist: list[list[int]]
    travel: list[list[int]]  # without service
    service: list[int]  # per node, depot 0
    windows: list[tuple[int, int]]  # per node; depot's is the depot's opening hours
    dims: list[str]  # capacity dimensions actually constraining this instance
    demand: list[list[int]]  # per dim, per node
    capacity: list[list[int]]  # per dim, per vehicle
    start_window: list[tuple[int, int]]  # per vehicle: earliest departure, latest return
    max_span: list[int | None]  # per vehicle
    fixed: list[int]  # per vehicle
    max_on_truck: int | None
    brk: tuple[int, int, int] | None  # window start, window end, duration
    penalty: int  # cost of leaving a stop out

    @property
    def n(self) -> int:
        return len(self.service)

    @property
    def vehicles(self) -> int:
        return len(self.fixed)

    def shortfall(self) -> list[str]:
        """Capacities the whole fleet lacks for the whole demand: then some stops must stay behind."""
        return [f"the fleet carries {sum(cap)} ({dim}) but the stops need {sum(dem)}"
                for dim, dem, cap in zip(self.dims, self.demand, self.capacity, strict=True) if sum(dem) > sum(cap)]

    def route_cost(self, routes: list[list[int]]) -> int:
        cost = 0
        for v, r in enumerate(routes):
            if r:
                seq = [0, *r, 0]
                cost += self.fixed[v] + sum(self.dist[a][b] for a, b in itertools.pairwise(seq))
        served = sum(len(r) for r in routes)
        return cost + (self.n - 1 - served) * self.penalty


def int_model(inst: Instance) -> IntModel:
    vehicles = inst.vehicles()
    dist = inst.int_distance()
    travel = inst.int_travel()
    service = [0] + [round(s.service * inst.scale) for s in inst.stops]
    windows = [(inst.int_time(inst.depot_window[0], True), inst.int_time(inst.depot_window[1], False))]
    windows += [(inst.int_time(s.window[0], True), inst.int_time(s.window[1], False)) for s in inst.stops]
    dims, demand, capacity = [], [], []
    total = [0] + [s.total_crates for s in inst.stops]
    if any(total):
        dims.append("crates")
        demand.append(total)
        capacity.append([v.capacity_crates for v in vehicles])
    for cls in inst.classes:
        caps = [v.class_capacity(cls) for v in vehicles]
        if any(c < v.capacity_crates for c, v in zip(caps, vehicles, strict=True)):
            dims.append(f"crates:{cls}")
            demand.append([0] + [s.crates.get(cls, 0) for s in inst.stops])
            capacity.append(caps)
    if any(s.kg for s in inst.stops) and any(v.capacity_kg is not None for v in vehicles):
        dims.append("kg")
        demand.append([0] + [s.kg for s in inst.stops])
        capacity.append([HORIZON if v.capacity_kg is None else v.capacity_kg for v in vehicles])
    start_window = [(max(inst.int_time(v.shift[0], True), windows[0][0]),
                     min(inst.int_time(v.shift[1], False), windows[0][1])) for v in vehicles]
    max_span = [None if v.max_shift is None else inst.int_time(v.max_shift, False) for v in vehicles]
    fixed = [round(v.fixed_cost * inst.scale) for v in vehicles]
    brk = None
    if inst.driver_break is not None:
        b = inst.driver_break
        brk = (inst.int_time(b.window[0], True), inst.int_time(b.window[1], False), inst.int_time(b.duration, True))
    penalty = int(2 * dist.max() * (len(inst.stops) + 1) + sum(fixed) + 1)
    return IntModel(dist.tolist(), travel.tolist(), service, windows, dims, demand, capacity, start_window,
                    max_span, fixed, None if inst.max_on_truck is None else inst.int_time(inst.max_on_truck, False),
                    brk, penalty)
