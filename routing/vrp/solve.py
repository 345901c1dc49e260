"""`solve_delivery`: stops no truck can serve are named and set aside, the rest is planned.

The default engine is OR-Tools as a portfolio: VROOM (when installed and able to model the
instance) builds a plan in a fraction of the budget; OR-Tools' guided local search starts from
it (else from parallel cheapest insertion) for the rest. Every candidate is re-timed and checked
in real units and the cheapest wins, so the answer is never worse than the seed.
"""

from __future__ import annotations

import time

from routing.bounded import run_bounded
from routing.errors import EngineUnavailable, InputError
from routing.vrp.intmodel import IntModel, int_model
from routing.vrp.model import Instance, Issue, Plan
from routing.vrp.ortools_engine import OrToolsTask, solve_ortools
from routing.vrp.peers import PeerTask, solve_pyvrp, solve_vroom, supports
from routing.vrp.schedule import diagnose, schedule_route

ENGINES = ("ortools", "vroom", "pyvrp")
SEED_SHARE = 0.65  # of the budget the VROOM seed may use at most (usually 0.5-3 s of 10 s)
MARGIN = 0.25  # seconds kept for starting processes and building the plan


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
    candidates = _run(engine, model, deadline) if keep else [[] for _ in range(model.vehicles)]
    return _plan(sub, engine, candidates, infeasible, time.monotonic() - t0)


def _run(engine: str, model: IntModel, deadline: float) -> list[list[int]]:
    found: list[list[list[int]]] = []
    if engine in ("vroom", "pyvrp"):
        why = supports(engine, model)
        if why:
            raise EngineUnavailable(why)
        left = deadline - time.monotonic()
        task = PeerTask(model, time.time() + left)
        out = run_bounded(solve_vroom if engine == "vroom" else solve_pyvrp, task, left)
        if out.result is not None:
            found.append(out.result[1])
    else:
        seed = None
        if not supports("vroom", model):
            budget = SEED_SHARE * (deadline - time.monotonic())
            out = run_bounded(solve_vroom, PeerTask(model, time.time() + budget), budget)
            if out.result is not None:
                seed = out.result[1]
                found.append(seed)
        left = deadline - time.monotonic()
        out = run_bounded(solve_ortools, OrToolsTask(model, time.time() + left, seed), left)
        if out.result is not None:
            found.append(out.result[1])
    if not found:
        return [[] for _ in range(model.vehicles)]
    return min(found, key=lambda r: (-sum(map(len, r)), model.route_cost(r)))


def _plan(sub: Instance, engine: str, routes: list[list[int]], infeasible: list[Issue], seconds: float) -> Plan:
    planned, violations = [], []
    for v, nodes in enumerate(routes):
        if nodes:
            route, viol = schedule_route(sub, v, nodes)
            planned.append(route)
            violations += viol
    served = {n for r in routes for n in r}
    unserved = [Issue(s.id, "left out: no truck had room or time left for it (fleet too small or windows clash)")
                for k, s in enumerate(sub.stops, start=1) if k not in served]
    return Plan(engine, planned, infeasible, unserved, seconds, violations)
