"""Open or closed shortest visiting order on an integer matrix.

`polish` is a plain 2-opt and Or-opt descent (symmetric matrices, fixed end points) that turns
a rule-of-thumb order into a local optimum in milliseconds; `solve_tsp` is OR-Tools routing,
started from a given order (else PATH_CHEAPEST_ARC), then GUIDED_LOCAL_SEARCH. The search path
is deterministic; only where the time limit stops it depends on the machine. Meant to run
inside `run_bounded`.
"""

from __future__ import annotations

import itertools
import math
import time
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
    initial: list[int] | None = None  # an order of every other node to start from


def path_cost(matrix: Any, order: list[int], start: int, end: int) -> float:
    seq = [start, *order, end]
    return float(sum(matrix[a][b] for a, b in itertools.pairwise(seq)))


def polish(matrix: Any, order: list[int], start: int, end: int, until: float = math.inf) -> list[int]:
    """Improve `order` by 2-opt (reverse a stretch) and Or-opt (move a run of 1-3 nodes,
    either way round) until neither helps or time.monotonic() passes `until`.
    `matrix` must be symmetric."""
    d = matrix
    seq = [start, *order, end]
    improved = True
    while improved and time.monotonic() < until:
        improved = False
        n = len(seq)
        for i in range(n - 3):  # 2-opt: reverse seq[i+1 .. j]
            if time.monotonic() >= until:
                return seq[1:-1]
            a, b = seq[i], seq[i + 1]
            for j in range(i + 2, n - 1):
                c, e = seq[j], seq[j + 1]
                if d[a][c] + d[b][e] < d[a][b] + d[c][e]:
                    seq[i + 1:j + 1] = seq[i + 1:j + 1][::-1]
                    a, b = seq[i], seq[i + 1]
                    improved = True
        for k in (1, 2, 3):  # Or-opt: move seq[i .. i+k-1] between seq[j] and seq[j+1]
            i = 1
            while i + k < len(seq) and time.monotonic() < until:
                run = seq[i:i + k]
                p, q = seq[i - 1], seq[i + k]
                gain = d[p][run[0]] + d[run[-1]][q] - d[p][q]
                rest = seq[:i] + seq[i + k:]
                best, where, flip = 0, -1, False
                for j in range(len(rest) - 1):
                    x, y = rest[j], rest[j + 1]
                    fwd = d[x][run[0]] + d[run[-1]][y] - d[x][y]
                    rev = d[x][run[-1]] + d[run[0]][y] - d[x][y]
                    if gain - fwd > best:
                        best, where, flip = gain - fwd, j, False
                    if gain - rev > best:
                        best, where, flip = gain - rev, j, True
                if where >= 0:
                    seq = rest[:where + 1] + (run[::-1] if flip else run) + rest[where + 1:]
                    improved = True
                else:
                    i += 1
    return seq[1:-1]


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
    start = None
    if task.initial is not None:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes([[manager.NodeToIndex(i) for i in task.initial]], True)
    solution = (routing.SolveFromAssignmentWithParameters(start, params) if start is not None
                else routing.SolveWithParameters(params))
    if solution is not None:
        cost, order = read(solution)
        if best[0] is None or cost < best[0]:
            best[0], best[1] = cost, order
    return best[0], best[1]
