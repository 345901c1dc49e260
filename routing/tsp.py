"""Open or closed shortest visiting order on an integer matrix with OR-Tools routing.

PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH: the search path is deterministic, only the point
where the time limit stops it depends on the machine. Meant to run inside `run_bounded`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2


@dataclass(frozen=True)
class TspTask:
    matrix: list[list[int]]
    start: int
    end: int
    seconds: float


def path_cost(matrix: Any, order: list[int], start: int, end: int) -> float:
    seq = [start, *order, end]
    return float(sum(matrix[a][b] for a, b in itertools.pairwise(seq)))


def nearest_neighbour(matrix: Any, start: int, end: int) -> list[int]:
    """Greedy order: always walk to the nearest unvisited node."""
    todo = [i for i in range(len(matrix)) if i not in (start, end)]
    order, here = [], start
    while todo:
        nxt = min(todo, key=lambda j: matrix[here][j])
        order.append(nxt)
        todo.remove(nxt)
        here = nxt
    return order


def solve_tsp(task: TspTask, report: Callable[[Any], None]) -> tuple[int, list[int]]:
    """Best (cost, order) found within `task.seconds`; every improvement is reported."""
    n = len(task.matrix)
    manager = pywrapcp.RoutingIndexManager(n, 1, [task.start], [task.end])
    routing = pywrapcp.RoutingModel(manager)
    transit = routing.RegisterTransitMatrix(task.matrix)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(task.seconds * 1000)))
    best: list[Any] = [None, []]

    def read(assignment: Any | None = None) -> tuple[int, list[int]]:
        order, i = [], routing.Start(0)
        value = assignment.Value if assignment is not None else (lambda v: v.Value())
        i = value(routing.NextVar(i))
        while not routing.IsEnd(i):
            order.append(manager.IndexToNode(i))
            i = value(routing.NextVar(i))
        cost = int(assignment.ObjectiveValue() if assignment is not None else routing.CostVar().Value())
        return cost, order

    def on_solution() -> None:
        cost, order = read()
        if best[0] is None or cost < best[0]:
            best[0], best[1] = cost, order
            report((cost, order))

    routing.AddAtSolutionCallback(on_solution)
    solution = routing.SolveWithParameters(params)
    if solution is not None:
        cost, order = read(solution)
        if best[0] is None or cost < best[0]:
            best[0], best[1] = cost, order
    return best[0], best[1]
