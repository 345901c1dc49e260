"""OR-Tools routing on an `IntModel`: matrices registered in C++, insertion start or a given
initial plan, then guided local search. Runs in a child process (see routing.bounded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.vrp.intmodel import IntModel

FSS = routing_enums_pb2.FirstSolutionStrategy


@dataclass(frozen=True)
class OrToolsTask:
    model: IntModel
    until: float  # wall-clock time (time.time()) by which the answer must be back
    initial: list[list[int]] | None = None  # routes per vehicle (node ids) to start from
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"


def _build(m: IntModel) -> tuple[Any, Any]:
    manager = pywrapcp.RoutingIndexManager(m.n, m.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitMatrix(m.dist)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    for v, f in enumerate(m.fixed):
        if f:
            routing.SetFixedCostOfVehicle(f, v)
    for name, dem, cap in zip(m.dims, m.demand, m.capacity, strict=True):
        idx = routing.RegisterUnaryTransitVector(dem)
        routing.AddDimensionWithVehicleCapacity(idx, 0, cap, True, name)
    timed = [[m.service[i] + m.travel[i][j] for j in range(m.n)] for i in range(m.n)]
    horizon = max(w[1] for w in m.start_window)
    t_idx = routing.RegisterTransitMatrix(timed)
    routing.AddDimension(t_idx, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, m.n):
        index = manager.NodeToIndex(node)
        time_dim.CumulVar(index).SetRange(*m.windows[node])
        routing.AddDisjunction([index], m.penalty)
    for v in range(m.vehicles):
        lo, hi = m.start_window[v]
        time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)
        if m.max_span[v] is not None:
            time_dim.SetSpanUpperBoundForVehicle(m.max_span[v], v)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    solver = routing.solver()
    if m.max_on_truck is not None:
        # same clock as Time, but the drive home does not count: cold-chain time on the truck
        ride = [[m.service[i] if j == 0 else timed[i][j] for j in range(m.n)] for i in range(m.n)]
        r_idx = routing.RegisterTransitMatrix(ride)
        routing.AddDimension(r_idx, horizon, horizon, False, "Ride")
        ride_dim = routing.GetDimensionOrDie("Ride")
        for index in range(routing.Size()):
            if not routing.IsEnd(index):
                solver.Add(ride_dim.SlackVar(index) == time_dim.SlackVar(index))
        for v in range(m.vehicles):
            ride_dim.SetSpanUpperBoundForVehicle(m.max_on_truck, v)
    if m.brk is not None:
        visit = [m.service[manager.IndexToNode(i)] for i in range(routing.Size())]
        for v in range(m.vehicles):
            iv = solver.FixedDurationIntervalVar(m.brk[0], m.brk[1], m.brk[2], False, f"break{v}")
            time_dim.SetBreakIntervalsOfVehicle([iv], v, visit)
    return manager, routing


def _routes(manager: Any, routing: Any, value: Callable[[Any], int], vehicles: int) -> list[list[int]]:
    out = []
    for v in range(vehicles):
        r, i = [], value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(i):
            r.append(manager.IndexToNode(i))
            i = value(routing.NextVar(i))
        out.append(r)
    return out


def solve_ortools(task: OrToolsTask, report: Callable[[Any], None]) -> tuple[int, list[list[int]]] | None:
    """Best (cost, routes per vehicle) found; each improvement is reported as it is found."""
    m = task.model
    manager, routing = _build(m)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(FSS, task.first_solution)
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    # the model is built by now; keep 0.15 s to hand the answer back
    params.time_limit.FromMilliseconds(max(10, int((task.until - time.time() - 0.15) * 1000)))
    best: list[Any] = [None]

    def on_solution() -> None:
        cost = int(routing.CostVar().Value())
        if best[0] is None or cost < best[0][0]:
            best[0] = (cost, _routes(manager, routing, lambda v: v.Value(), m.vehicles))
            report(best[0])

    routing.AddAtSolutionCallback(on_solution)
    start = None
    if task.initial is not None:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(n) for n in r] for r in task.initial], True)
    if start is not None:
        routing.SolveFromAssignmentWithParameters(start, params)
    else:
        routing.SolveWithParameters(params)
    return best[0]
