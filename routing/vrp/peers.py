"""The peer engines, pyvroom (VROOM) and PyVRP (hybrid genetic search), on the same `IntModel`.

Optional: each raises EngineUnavailable when its package is missing or the instance uses a
feature the engine cannot express (a driver break or cold-chain limit for PyVRP, for example).
Both run inside `routing.bounded` children like OR-Tools.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from routing.errors import EngineUnavailable
from routing.vrp.intmodel import IntModel

UINT32 = 2**32 - 1
# PyVRP adapts its penalties (load over a compartment, time warp) every this many solutions; its
# default of 500 suits long runs, but within our 10 s it runs only 10-20 thousand iterations on a
# city of 150-300 stores, so penalties would move some 30 times and lag the search behind.
PENALTY_UPDATES = 100


@dataclass(frozen=True)
class PeerTask:
    model: IntModel
    until: float  # wall-clock time (time.time()) by which the engine must have answered
    exploration: int = 5  # VROOM's exploration level (0-5): more heuristics tried in construction
    threads: int = 2  # VROOM's threads
    cap: bool = True  # PyVRP: model the time on the truck (False: solve without it, the plan checked after)
    seed: int = 1  # PyVRP's random stream
    history: int = 300  # PyVRP's late-acceptance history: shorter is greedier, converging sooner
    neighbours: int = 50  # PyVRP: the nearest stops each stop's moves look at
    kicks: int = 25  # PyVRP: at most this many stops perturbed per iteration

    def left(self) -> float:
        """Seconds of search left once the model is built, keeping 0.15 s to hand the answer back."""
        return max(0.05, self.until - time.time() - 0.15)


def available(engine: str) -> bool:
    return importlib.util.find_spec({"vroom": "vroom", "pyvrp": "pyvrp"}[engine]) is not None


def supports(engine: str, m: IntModel, relaxed: bool = False) -> str:
    """Why this engine cannot take the model ('' when it can); `relaxed`: PyVRP may drop a driver
    break it cannot model, because the portfolio checks and repairs its plans."""
    if not available(engine):
        return f"{engine} is not installed (pip install haolin-edge[peers])"
    if engine == "vroom" and m.max_on_truck is not None:
        return "vroom cannot limit the time goods spend on the truck"
    if engine == "pyvrp" and m.brk is not None and not relaxed:
        return "pyvrp cannot model a driver break"
    if engine == "vroom" and any(s is not None and s < w[1] - w[0] for s, w in zip(m.max_span, m.start_window,
                                                                                   strict=True)):
        return "vroom cannot cap the shift length below the shift window"
    if max(max(r) for r in m.dist) > UINT32 or max(w[1] for w in m.start_window) > UINT32:
        return f"{engine} needs values below 2^32"
    return ""


def _check(engine: str, m: IntModel, relaxed: bool = False) -> None:
    why = supports(engine, m, relaxed)
    if why:
        raise EngineUnavailable(why)


def solve_vroom(task: PeerTask, report: Callable[[Any], None]) -> tuple[int, list[list[int]]]:
    import vroom

    m = task.model
    _check("vroom", m)
    problem = vroom.Input()
    problem.set_durations_matrix("car", m.travel)
    problem.set_costs_matrix("car", m.dist)
    for v in range(m.vehicles):
        lo, hi = m.start_window[v]
        brk = () if m.brk is None else (vroom.Break(1, [vroom.TimeWindow(m.brk[0], m.brk[1])], m.brk[2]),)
        problem.add_vehicle(vroom.Vehicle(v, start=0, end=0, capacity=[m.capacity[d][v] for d in range(len(m.dims))],
                                          time_window=vroom.TimeWindow(lo, hi), breaks=brk,
                                          costs=vroom.VehicleCosts(fixed=m.fixed[v])))
    for node in range(1, m.n):
        problem.add_job(vroom.Job(node, node, default_service=m.service[node],
                                  delivery=[m.demand[d][node] for d in range(len(m.dims))],
                                  time_windows=[vroom.TimeWindow(*m.windows[node])]))
    solution = problem.solve(exploration_level=task.exploration, nb_threads=task.threads,
                             timeout=timedelta(seconds=task.left()))
    routes: list[list[int]] = [[] for _ in range(m.vehicles)]
    for r in solution.to_dict()["routes"]:
        routes[r["vehicle"]] = [s["id"] for s in r["steps"] if s["type"] == "job"]
    return m.route_cost(routes), routes


def pyvrp_shape(m: IntModel, cap: bool) -> tuple[list[list[int]], list[int], list[int | None], bool]:
    """(durations, latest service start per node, shift bound per vehicle, exact) for PyVRP.

    PyVRP bounds a route's duration (`shift_duration`), departure to return. Time on the truck
    ends with the last delivery, so when every truck must be back by the same hour and no shift
    is capped, the drive home is given no duration (the route's duration is then exactly the time
    on the truck, waiting included) and each store's window closes early enough to get home from
    it: an exact model. Otherwise the whole route is bounded by the cap, a conservative model.
    Without `cap` the time on the truck is left to the checker."""
    travel, late = m.travel, [w[1] for w in m.windows]
    spans = list(m.max_span)
    if not cap or m.max_on_truck is None:
        return travel, late, spans, m.max_on_truck is None
    back = {w[1] for w in m.start_window}
    if len(back) == 1 and all(s is None for s in spans):
        home = back.pop()
        travel = [[0 if j == 0 and i else t for j, t in enumerate(row)] for i, row in enumerate(travel)]
        late = [late[0]] + [max(m.windows[i][0], min(late[i], home - m.service[i] - m.travel[i][0]))
                            for i in range(1, m.n)]
        return travel, late, [m.max_on_truck] * m.vehicles, True
    return travel, late, [m.max_on_truck if s is None else min(s, m.max_on_truck) for s in spans], False


def pyvrp_model(m: IntModel, cap: bool) -> tuple[Any, Callable[[Any], list[list[int]]]]:
    """PyVRP's model of `m` (the cap as `pyvrp_shape` says), and the routes per vehicle of its solutions."""
    import pyvrp

    travel, late, spans, _ = pyvrp_shape(m, cap)
    model = pyvrp.Model()
    locs = [model.add_location(x=0, y=0) for _ in range(m.n)]
    depot = model.add_depot(locs[0], tw_early=m.windows[0][0], tw_late=m.windows[0][1])
    short = bool(m.shortfall())  # the fleet cannot take everything: stops become optional, worth the penalty
    for node in range(1, m.n):
        model.add_client(locs[node], delivery=[m.demand[d][node] for d in range(len(m.dims))],
                         service_duration=m.service[node], tw_early=m.windows[node][0], tw_late=late[node],
                         required=not short, prize=m.penalty if short else 0)
    types: dict[tuple[Any, ...], list[int]] = {}
    for v in range(m.vehicles):
        key = (tuple(m.capacity[d][v] for d in range(len(m.dims))), m.fixed[v], m.start_window[v], spans[v])
        types.setdefault(key, []).append(v)
    for (capacity, fixed, (lo, hi), span), group in types.items():
        model.add_vehicle_type(len(group), capacity=list(capacity), start_depot=depot, end_depot=depot,
                               fixed_cost=fixed, tw_early=lo, tw_late=hi,
                               **({} if span is None else {"shift_duration": span}))
    for i in range(m.n):
        for j in range(m.n):
            if i != j:
                model.add_edge(locs[i], locs[j], distance=m.dist[i][j], duration=travel[i][j])
    members = list(types.values())

    def routes_of(solution: Any) -> list[list[int]]:
        used = [0] * len(members)
        routes: list[list[int]] = [[] for _ in range(m.vehicles)]
        for r in solution.routes():
            t = r.vehicle_type()
            routes[members[t][used[t]]] = [a.idx + 1 for a in r.schedule() if a.is_client()]
            used[t] += 1
        return routes

    return model, routes_of


def solve_pyvrp(task: PeerTask, report: Callable[[Any], None]) -> tuple[int, list[list[int]]]:
    from pyvrp import SolveParams
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchCallbacks, IteratedLocalSearchParams
    from pyvrp.PenaltyManager import PenaltyParams
    from pyvrp.search import NeighbourhoodParams, PerturbationParams
    from pyvrp.stop import MaxRuntime

    m = task.model
    _check("pyvrp", m, relaxed=True)
    model, routes_of = pyvrp_model(m, task.cap)

    feasible: list[tuple[int, list[list[int]]]] = []

    class Progress(IteratedLocalSearchCallbacks):
        def on_best(self, best: Any) -> None:
            if best.is_feasible():
                routes = routes_of(best)
                feasible[:] = [(m.route_cost(routes), routes)]
                report(feasible[0])
            elif not feasible:  # until a feasible plan exists, the best so far is worth repairing
                routes = routes_of(best)
                report((m.route_cost(routes), routes))

    params = SolveParams(ils=IteratedLocalSearchParams(history_length=task.history, callbacks=Progress()),
                         penalty=PenaltyParams(solutions_between_updates=PENALTY_UPDATES),
                         neighbourhood=NeighbourhoodParams(num_neighbours=task.neighbours),
                         perturbation=PerturbationParams(max_perturbations=task.kicks))
    result = model.solve(stop=MaxRuntime(task.left()), seed=task.seed, display=False, collect_stats=False,
                         params=params)
    if result.best.is_feasible() or not feasible:
        routes = routes_of(result.best)
        return m.route_cost(routes), routes
    return feasible[0]
