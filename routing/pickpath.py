"""Pick paths: the order a picker visits a pick list, from the start depot to the end depot.

`solve_pick_path` picks the method: the exact Ratliff-Rosenthal DP where it applies (one block),
else OR-Tools under a hard wall-clock bound; S-shape and largest gap are always computed first,
polished by 2-opt and Or-opt and given to OR-Tools as its start, so a good plan exists even if
the solver is killed before its first solution.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.bounded import run_bounded
from routing.distances import distance_matrix
from routing.errors import InputError, SolverFailed
from routing.heuristics import largest_gap, s_shape
from routing.layout import Depot, Layout, Location
from routing.rr import ratliff_rosenthal
from routing.tsp import TspTask, path_cost, polish, solve_tsp

METHODS = ("auto", "exact", "ortools", "s-shape", "largest-gap")
MM = 1000  # integer matrices in millimetres


@dataclass(frozen=True)
class PickPath:
    """A visiting order with its walking distance (m) and estimated time (s, walking + handling)."""

    order: list[int]  # indices into the pick list given
    codes: list[str]  # location codes in visiting order
    distance_m: float
    seconds: float
    method: str  # what produced the order ("exact", "ortools", "s-shape", ...)
    optimal: bool
    solve_seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"order": self.order, "locations": self.codes, "distance_m": round(self.distance_m, 3),
                "walk_seconds": round(self.seconds, 1), "method": self.method, "optimal": self.optimal,
                "solve_seconds": round(self.solve_seconds, 4)}


def _resolve(layout: Layout, picks: Sequence[str | Location]) -> list[Location]:
    return [p if isinstance(p, Location) else layout.resolve(p) for p in picks]


def _sequence_distance(dist: np.ndarray, order: list[int]) -> float:
    """Distance of start -> picks in order -> end; row/col 0 is start, 1 end, 2+i pick i."""
    seq = [0, *[2 + i for i in order], 1]
    return float(sum(dist[a, b] for a, b in itertools.pairwise(seq)))


def solve_pick_path(layout: Layout, picks: Sequence[str | Location], start: str = "start",
                    end: str | None = None, method: str = "auto", time_limit: float = 1.0) -> PickPath:
    """Order to visit `picks` (codes like A03-12-2, or resolved locations).

    The answer comes within `time_limit` seconds (plus process start-up, a few ms) whatever the
    solver does; `method` is one of METHODS.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {METHODS}", "method")
    t0 = time.monotonic()
    locs = _resolve(layout, picks)
    s_depot, e_depot = layout.depot(start), layout.depot(end or start)
    points: list[Location | Depot] = [s_depot, e_depot, *locs]
    dist = distance_matrix(layout, points)

    def result(order: list[int], name: str, optimal: bool) -> PickPath:
        d = _sequence_distance(dist, order)
        return PickPath(order, [locs[i].code for i in order], d, layout.walking_seconds(d, locs), name,
                        optimal, time.monotonic() - t0)

    if not locs:
        return result([], "empty", True)
    if method == "auto":
        method = "exact" if layout.is_single_block else "ortools"
    if method == "exact":
        _, order = ratliff_rosenthal(layout, locs, s_depot, e_depot)
        return result(order, "exact", True)
    baselines = {"s-shape": s_shape(layout, locs), "largest-gap": largest_gap(layout, locs)}
    if method in baselines:
        return result(baselines[method], method, False)
    order, name = _ortools(dist, locs, list(baselines.values()), t0 + time_limit)
    return result(order, name, False)


def _ortools(dist: np.ndarray, locs: list[Location], starts: list[list[int]], deadline: float) -> tuple[list[int], str]:
    """OR-Tools on the distinct points, started from the best of `starts` after a 2-opt/Or-opt
    polish; that polished order is the answer if OR-Tools finds nothing better in time."""
    node_of: dict[tuple[float, float], int] = {}
    members: list[list[int]] = []
    for i, loc in enumerate(locs):
        k = node_of.setdefault((loc.x, loc.y), len(members))
        if k == len(members):
            members.append([])
        members[k].append(i)
    rows = [0, 1] + [2 + m[0] for m in members]
    mm = np.rint(dist[np.ix_(rows, rows)] * MM).astype(np.int64)
    mat = mm.tolist()
    seeds = [list(dict.fromkeys(2 + node_of[(locs[i].x, locs[i].y)] for i in s)) for s in starts]
    # the polish may use a quarter of what is left; OR-Tools gets the rest
    until = time.monotonic() + 0.25 * (deadline - time.monotonic())
    polished = min((polish(mat, s, 0, 1, until) for s in seeds), key=lambda o: path_cost(mat, o, 0, 1))
    best, name = polished, "polished"
    budget = deadline - time.monotonic()
    if budget > 0.01:
        # the child stops itself a little before the hard deadline, to leave time to hand back its answer
        task = TspTask(mat, 0, 1, max(0.005, budget * 0.8 - 0.01), polished)
        try:
            found = run_bounded(solve_tsp, task, budget).result
        except SolverFailed:  # the solver died: the polished order stands, a picker never gets nothing
            found = None
        if found is not None and found[0] is not None and found[0] <= path_cost(mat, polished, 0, 1):
            best, name = found[1], "ortools"
    return [i for node in best for i in members[node - 2]], name
