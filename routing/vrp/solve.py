"""`solve_delivery`: stops no truck can serve are named and set aside, the rest is planned.

The default engine (`ortools`) is a portfolio under one wall-clock budget, two single-threaded
solver processes at a time (pyvroom, the peer it is measured against, runs two threads):

* slot 1: OR-Tools from its own parallel cheapest insertion, guided local search to the end;
* slot 2: the strongest peer that models the instance exactly: PyVRP when installed (to the
  end, reporting each feasible improvement), else VROOM at a bounded exploration level with its
  own timeout inside SEED_SHARE of the budget, else a second OR-Tools from local cheapest
  insertion. A peer that cannot express a constraint (a driver break, time on the truck) is
  not asked: it never solves a relaxed problem.
* When VROOM is done (by SEED_SHARE of the budget at the latest), OR-Tools restarts from the
  best plan so far in the slot it leaves; with PyVRP or a second OR-Tools, at SEED_SHARE slot 1
  restarts from slot 2's plan when that one is ahead.

Every candidate is re-timed and checked in real units (`schedule_route`); the best feasible
plan by true, unrounded cost (distance plus fixed costs) wins, so the answer is never worse
than any member's, and a member that is late or fails costs only its own candidate.
"""

from __future__ import annotations

import time
from typing import Any

from routing.bounded import Child, drain
from routing.errors import EngineUnavailable, InputError, SolverFailed
from routing.vrp.intmodel import IntModel, int_model
from routing.vrp.model import Instance, Issue, Plan, Route
from routing.vrp.ortools_engine import OrToolsTask, solve_ortools
from routing.vrp.peers import PeerTask, solve_pyvrp, solve_vroom, supports
from routing.vrp.schedule import diagnose, schedule_route

ENGINES = ("ortools", "vroom", "pyvrp")
SEED_SHARE = 0.6  # of the budget: VROOM's share, and when a lagging OR-Tools restarts from the best plan
SEED_EXPLORATION = 3  # VROOM as a seed: fewer construction heuristics, so it answers well inside its share
RESTART_MIN = 1.0  # seconds left after the share: below this a restart costs more than it gains
MARGIN = 0.25  # seconds kept for starting processes and building the plan

Routes = list[list[int]]


def solve_delivery(instance: Instance, time_limit: float = 10.0, engine: str = "ortools") -> Plan:
    """Plan routes for `instance` within about `time_limit` seconds (a hard bound)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {ENGINES}", "engine")
    if time_limit <= MARGIN:
        raise InputError(f"time limit must exceed {MARGIN} s", "time_limit")
    t0 = time.monotonic()
    infeasible = diagnose(instance)
    bad = {i.stop for i in infeasible}
    keep = [k for k, s in enumerate(instance.stops) if s.id not in bad]
    sub = instance.subset(keep)
    model = int_model(sub)
    deadline = t0 + time_limit - MARGIN
    found, cpu = _run(engine, sub, model, deadline) if keep else ([], 0.0)
    routes, planned, violations = _best(sub, found, model.vehicles)
    served = {n for r in routes for n in r}
    unserved = [Issue(s.id, "left out: no truck had room or time left for it (fleet too small or windows clash)")
                for k, s in enumerate(sub.stops, start=1) if k not in served]
    return Plan(engine, planned, infeasible, unserved, time.monotonic() - t0, violations, cpu)


def _peer(engine: str, model: IntModel, until: float, **kw: Any) -> Child:
    target = solve_vroom if engine == "vroom" else solve_pyvrp
    return Child(target, PeerTask(model, time.time() + until - time.monotonic(), **kw))


def _ortools(model: IntModel, until: float, initial: Routes | None = None,
             first: str = "PARALLEL_CHEAPEST_INSERTION") -> Child:
    return Child(solve_ortools, OrToolsTask(model, time.time() + until - time.monotonic(), initial, first))


def _results(children: list[Child]) -> list[Routes]:
    return [c.best[1] for c in children if c.best is not None]


def _run(engine: str, sub: Instance, model: IntModel, deadline: float) -> tuple[list[Routes], float]:
    """Candidate plans (routes of node ids per vehicle) from the engine or the portfolio, and
    the CPU seconds all its processes used."""
    if engine != "ortools":
        why = supports(engine, model)
        if why:
            raise EngineUnavailable(why)
        children = [_peer(engine, model, deadline)]
    else:
        now = time.monotonic()
        share = now + SEED_SHARE * (deadline - now)
        restart = deadline - share >= RESTART_MIN
        own = _ortools(model, deadline)
        peer = next((e for e in ("pyvrp", "vroom") if not supports(e, model)), None)
        if peer == "pyvrp":
            other = _peer("pyvrp", model, deadline)
        elif peer == "vroom":
            other = _peer("vroom", model, share, exploration=SEED_EXPLORATION, threads=1)
        else:
            other = _ortools(model, deadline, first="LOCAL_CHEAPEST_INSERTION")
        children = [own, other]
    try:
        if engine == "ortools" and restart:
            drain(children, share, [other] if peer == "vroom" else None)
            ranked = sorted((_checked(sub, c.best[1])[0], k) for k, c in enumerate(children) if c.best is not None)
            if ranked and (peer == "vroom" or ranked[0][1] == 1):
                # the slot VROOM leaves, or OR-Tools when it is behind, continues from the best plan
                children[1 if peer == "vroom" else 0].stop()
                children.append(_ortools(model, deadline, children[ranked[0][1]].best[1]))
        drain(children, deadline)
    finally:
        cpu = sum(c.stop().cpu_seconds for c in children)
    found = _results(children)
    errors = [c.error for c in children if c.error]
    if errors and not found:
        raise SolverFailed("; ".join(errors))
    return found, cpu


def _checked(sub: Instance, routes: Routes) -> tuple[tuple[bool, int, float], list[Route], list[str]]:
    """(rank, routes, violations): feasible first, then most stops served, then true cost."""
    planned, violations = [], []
    for v, nodes in enumerate(routes):
        if nodes:
            route, viol = schedule_route(sub, v, nodes)
            planned.append(route)
            violations += viol
    fleet = sub.vehicles()
    cost = sum(r.distance + fleet[r.vehicle].fixed_cost for r in planned)
    return (bool(violations), -sum(map(len, routes)), cost), planned, violations


def _best(sub: Instance, found: list[Routes], vehicles: int) -> tuple[Routes, list[Route], list[str]]:
    if not found:
        return [[] for _ in range(vehicles)], [], []
    ranked = [(_checked(sub, r), r) for r in found]
    (_, planned, violations), routes = min(ranked, key=lambda x: x[0][0])
    return routes, planned, violations
