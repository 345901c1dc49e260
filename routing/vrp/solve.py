"""`solve_delivery`: stops no truck can serve are named and set aside, the rest is planned.

The default engine (`ortools`) is a portfolio under one wall-clock budget, two single-threaded
solver processes at a time (pyvroom, the peer it is measured against, runs two threads):

* slot 2: PyVRP when installed, on the cold-chain model it can express (`peers.pyvrp_shape`:
  exact when every truck is due back at the same hour and no shift is capped, else the whole
  route bounded by the cap), to the end, reporting each feasible improvement; a driver break,
  which PyVRP cannot model, is left to the checker and the repair. Without PyVRP: VROOM (when it
  models the instance exactly) with its own timeout inside SEED_SHARE of the budget, else a
  second OR-Tools from local cheapest insertion.
* slot 1: OR-Tools from its own parallel cheapest insertion, guided local search, the fallback
  that models everything. When PyVRP's cap model is only conservative (or ignores a break), slot 1
  first asks PyVRP the other way, without the cap, until SEED_SHARE. When PyVRP models the cap
  exactly, OR-Tools' ride dimension is the slow one: both slots are PyVRP on the cap model, two
  random streams, to the end, each set for a short run (QUICK: greedier acceptance, nearer
  neighbours, smaller kicks: about 60 thousand iterations in 10 s on 150-300 stores instead of 15
  thousand); on our generated cities that pair is about 0.8 % shorter at 10 s than two searches
  with PyVRP's defaults, and the better of two streams about 0.5 % shorter than either alone.
* at SEED_SHARE every candidate is checked; one that breaks the cap or a break is repaired
  (`repair.repair`: offending stops moved or split onto another truck), and OR-Tools continues
  from the best plan (`ReadAssignmentFromRoutes`) in the slot that ended or that is behind.
  No restart when less than RESTART_MIN would be left for it.

Every candidate is re-timed and checked in real units (`schedule_route`); the best feasible
plan by true, unrounded cost (distance plus fixed costs) wins, so the answer is never worse
than any member's, and a member that is late or fails costs only its own candidate. The plan
names the member and step that produced it (`Plan.source`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from routing.bounded import Child, drain
from routing.errors import EngineUnavailable, InputError, SolverFailed
from routing.vrp.intmodel import IntModel, int_model
from routing.vrp.model import Instance, Issue, Plan, Route
from routing.vrp.ortools_engine import OrToolsTask, solve_ortools
from routing.vrp.peers import PeerTask, pyvrp_shape, solve_pyvrp, solve_vroom, supports
from routing.vrp.repair import repair
from routing.vrp.schedule import diagnose, schedule_route

ENGINES = ("ortools", "vroom", "pyvrp")
SEED_SHARE = 0.6  # of the budget: when the first members hand over to OR-Tools from the best plan so far
SEED_EXPLORATION = 3  # VROOM as a seed: fewer construction heuristics, so it answers well inside its share
RESTART_MIN = 1.0  # seconds left after the share: below this a restart costs more than it gains
QUICK = {"history": 50, "neighbours": 25, "kicks": 10}  # PyVRP's defaults: 300, 50, 25 (for long runs)
MARGIN = 0.25  # seconds kept for starting processes, repairing the last candidates and building the plan
FINISH = 0.05  # of which for building the plan once the best candidate is chosen
TICK = 0.5  # seconds between progress reports

Routes = list[list[int]]
Rank = tuple[bool, int, float]


@dataclass(frozen=True)
class Progress:
    """How a solve is going: for a page that shows it while the supervisor waits."""

    elapsed_s: float
    budget_s: float
    stage: str  # "search", "restart" (OR-Tools continues from the best plan), "check"
    best_distance: float | None  # of the best feasible plan so far, in the instance's units


OnProgress = Callable[[Progress], None]


@dataclass
class _Member:
    label: str
    child: Child


def solve_delivery(instance: Instance, time_limit: float = 10.0, engine: str = "ortools",
                   progress: OnProgress | None = None) -> Plan:
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

    def tick(stage: str, members: list[_Member]) -> None:
        if progress is not None:
            ranked = [_checked(sub, m.child.best[1]) for m in members if m.child.best is not None]
            feasible = [r[0][2] for r in ranked if not r[0][0]]
            progress(Progress(time.monotonic() - t0, time_limit, stage, min(feasible) if feasible else None))

    found, cpu = _run(engine, sub, model, deadline, tick) if keep else ([], 0.0)
    if progress is not None:
        progress(Progress(time.monotonic() - t0, time_limit, "check", None))
    source, routes, planned, violations = _best(sub, found, model.vehicles, t0 + time_limit - FINISH)
    served = {n for r in routes for n in r}
    why = "; ".join(model.shortfall()) or "no truck had room or time left for it (fleet too small or windows clash)"
    unserved = [Issue(s.id, f"left out: {why}", "fleet_short" if model.shortfall() else "no_room")
                for k, s in enumerate(sub.stops, start=1) if k not in served]
    return Plan(engine, planned, infeasible, unserved, time.monotonic() - t0, violations, cpu, source)


def _peer(engine: str, model: IntModel, until: float, **kw: Any) -> Child:
    target = solve_vroom if engine == "vroom" else solve_pyvrp
    return Child(target, PeerTask(model, time.time() + until - time.monotonic(), **kw))


def _ortools(model: IntModel, until: float, initial: Routes | None = None,
             first: str = "PARALLEL_CHEAPEST_INSERTION") -> Child:
    return Child(solve_ortools, OrToolsTask(model, time.time() + until - time.monotonic(), initial, first))


def _watch(members: list[_Member], until: float, stage: str, tick: Callable[[str, list[_Member]], None],
           awaited: list[_Member] | None = None) -> None:
    """`drain` in steps of TICK, reporting progress between them."""
    children = [m.child for m in members]
    waiting = None if awaited is None else [m.child for m in awaited]
    while True:
        drain(children, min(until, time.monotonic() + TICK), waiting)
        tick(stage, members)
        if time.monotonic() >= until or all(c.closed for c in (children if waiting is None else waiting)):
            return


def _slots(model: IntModel, deadline: float, share: float, restart: bool) -> tuple[_Member, _Member, str]:
    """(slot 1, slot 2, when slot 1 hands over at the share: "never", "behind" or "always")."""
    if not supports("pyvrp", model, relaxed=True):
        exact = model.brk is None and pyvrp_shape(model, True)[3]
        cap = "" if model.max_on_truck is None else " (cold-chain cap model)"
        if exact and model.max_on_truck is not None:
            return (_Member(f"pyvrp{cap}", _peer("pyvrp", model, deadline, cap=True, **QUICK)),
                    _Member(f"pyvrp{cap}, second stream", _peer("pyvrp", model, deadline, cap=True, seed=2, **QUICK)),
                    "never")
        second = _Member(f"pyvrp{cap}", _peer("pyvrp", model, deadline, cap=True))
        if exact or not restart:
            return _Member("ortools", _ortools(model, deadline)), second, "behind"
        return _Member("pyvrp (without the cap)", _peer("pyvrp", model, share, cap=False)), second, "always"
    own = _Member("ortools", _ortools(model, deadline))
    if not supports("vroom", model):
        return own, _Member("vroom", _peer("vroom", model, share, exploration=SEED_EXPLORATION, threads=1)), "behind"
    return own, _Member("ortools (local cheapest insertion)",
                        _ortools(model, deadline, first="LOCAL_CHEAPEST_INSERTION")), "behind"


def _run(engine: str, sub: Instance, model: IntModel, deadline: float,
         tick: Callable[[str, list[_Member]], None]) -> tuple[list[tuple[str, Routes]], float]:
    """Candidate plans (label, routes of node ids per vehicle) from the engine or the portfolio,
    and the CPU seconds all its processes used."""
    if engine != "ortools":
        why = supports(engine, model)
        if why:
            raise EngineUnavailable(why)
        members = [_Member(engine, _peer(engine, model, deadline))]
        restart = False
    else:
        now = time.monotonic()
        share = now + SEED_SHARE * (deadline - now)
        enough = deadline - share >= RESTART_MIN
        first, second, hand_over = _slots(model, deadline, share, enough)
        restart = enough and hand_over != "never"
        members = [first, second]
    try:
        if restart:
            seeding = [m for m in members if m.label == "vroom" or (hand_over == "always" and m is members[0])]
            _watch(members, share, "search", tick, seeding or None)
            ranked = sorted(_candidates(sub, [(m.label, m.child.best[1]) for m in members if m.child.best], deadline))
            if ranked:
                _rank, label, routes = ranked[0]
                slot = next((m for m in members if m in seeding), None)
                if slot is None and label != members[0].label:
                    slot = members[0]  # OR-Tools is behind: it continues from the best plan instead
                if slot is not None:
                    slot.child.stop()
                    members.append(_Member(f"ortools from {label}", _ortools(model, deadline, routes)))
        _watch(members, deadline, "restart" if len(members) > 2 else "search", tick)
    finally:
        cpu = sum(m.child.stop().cpu_seconds for m in members)
    found = [(m.label, m.child.best[1]) for m in members if m.child.best is not None]
    errors = [m.child.error for m in members if m.child.error]
    if errors and not found:
        raise SolverFailed("; ".join(errors))
    return found, cpu


def _checked(sub: Instance, routes: Routes) -> tuple[Rank, list[Route], list[str]]:
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


def _candidates(sub: Instance, found: list[tuple[str, Routes]], until: float) -> list[tuple[Rank, str, Routes]]:
    """Each plan ranked, and beside each one that breaks a constraint its repaired form (by `until`)."""
    out = []
    for label, routes in found:
        rank = _checked(sub, routes)[0]
        out.append((rank, label, routes))
        if rank[0]:
            fixed = repair(sub, routes, until)
            out.append((_checked(sub, fixed)[0], f"{label}, repaired", fixed))
    return out


def _best(sub: Instance, found: list[tuple[str, Routes]], vehicles: int,
          until: float = math.inf) -> tuple[str, Routes, list[Route], list[str]]:
    if not found:
        return "", [[] for _ in range(vehicles)], [], []
    _, label, routes = min(_candidates(sub, found, until), key=lambda c: c[0])
    _, planned, violations = _checked(sub, routes)
    return label, routes, planned, violations
