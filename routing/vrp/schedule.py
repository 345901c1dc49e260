"""Timing, loads and feasibility of routes, recomputed in real (float) units.

Every engine's plan goes through here, so ETAs, slack and the feasibility verdict never depend
on which engine made the plan. Departure is delayed as far as the windows allow, which keeps
fruit on the truck no longer than needed.
"""

from __future__ import annotations

import itertools
import math

from routing.vrp.model import Instance, Issue, Route, Stop, VehicleType, Visit

EPS = 1e-6


def _forward(inst: Instance, nodes: list[int], depart: float, brk_leg: int | None):
    """(arrival, start) per stop, return time, break start; None if the break cannot be placed."""
    t, prev, brk_start = depart, 0, None
    times: list[tuple[float, float]] = []
    for leg, node in enumerate([*nodes, 0]):
        if brk_leg == leg and inst.driver_break is not None:
            bs = max(t, inst.driver_break.window[0])
            if bs > inst.driver_break.window[1] + EPS:
                return None
            brk_start, t = bs, bs + inst.driver_break.duration
        arrival = t + float(inst.travel[prev, node])
        if node == 0:
            return times, arrival, brk_start
        stop = inst.stops[node - 1]
        start = max(arrival, stop.window[0])
        times.append((arrival, start))
        t, prev = start + stop.service, node
    raise AssertionError("unreachable")


def _violations(inst: Instance, vt: VehicleType, nodes: list[int], depart: float, times, back: float) -> list[str]:
    out = []
    for node, (_, start) in zip(nodes, times, strict=True):
        s = inst.stops[node - 1]
        if start > s.window[1] + EPS:
            out.append(f"stop {s.id}: service starts at {start:.2f}, after its window closes at {s.window[1]:.2f}")
    latest = min(vt.shift[1], inst.depot_window[1])
    if back > latest + EPS:
        out.append(f"returns at {back:.2f}, after {latest:.2f}")
    if vt.max_shift is not None and back - depart > vt.max_shift + EPS:
        out.append(f"shift of {back - depart:.2f} exceeds {vt.max_shift:.2f}")
    if inst.max_on_truck is not None and nodes:
        last = times[-1][1] + inst.stops[nodes[-1] - 1].service
        if last - depart > inst.max_on_truck + EPS:
            out.append(f"goods on the truck for {last - depart:.2f}, above {inst.max_on_truck:.2f}")
    crates = sum(inst.stops[n - 1].total_crates for n in nodes)
    if crates > vt.capacity_crates:
        out.append(f"{crates} crates exceed capacity {vt.capacity_crates}")
    for cls in inst.classes:
        c = sum(inst.stops[n - 1].crates.get(cls, 0) for n in nodes)
        if c > vt.class_capacity(cls):
            out.append(f"{c} {cls} crates exceed the {cls} compartment ({vt.class_capacity(cls)})")
    kg = sum(inst.stops[n - 1].kg for n in nodes)
    if vt.capacity_kg is not None and kg > vt.capacity_kg:
        out.append(f"{kg} kg exceed {vt.capacity_kg} kg")
    return out


def _best_timing(inst: Instance, vt: VehicleType, nodes: list[int], depart: float):
    legs: list[int | None] = [None] if inst.driver_break is None else list(range(len(nodes) + 1))
    best = None
    for leg in legs:
        f = _forward(inst, nodes, depart, leg)
        if f is None:
            continue
        v = _violations(inst, vt, nodes, depart, f[0], f[1])
        key = (len(v), f[1])
        if best is None or key < best[0]:
            best = (key, f, v)
    return best


def schedule_route(inst: Instance, vehicle: int, nodes: list[int]) -> tuple[Route, list[str]]:
    """Times, slack and load of one route; the list names every constraint it breaks."""
    vt = inst.vehicles()[vehicle]
    earliest = max(vt.shift[0], inst.depot_window[0])
    best = _best_timing(inst, vt, nodes, earliest)
    if best is None:
        return _route(inst, vehicle, vt, nodes, earliest, [], earliest, None), ["no place for the driver's break"]
    _, (times, back, brk), viol = best
    # delay the departure by the waiting the windows leave (Savelsbergh's forward slack)
    delay, waited = math.inf, 0.0
    for node, (arrival, start) in zip(nodes, times, strict=True):
        waited += start - arrival
        delay = min(delay, waited + inst.stops[node - 1].window[1] - start)
    delay = min(delay, waited) if nodes else 0.0
    if delay > EPS:
        later = _best_timing(inst, vt, nodes, earliest + delay)
        if later is not None and len(later[2]) <= len(viol):
            _, (times, back, brk), viol = later
            earliest += delay
    return _route(inst, vehicle, vt, nodes, earliest, times, back, brk), [
        f"vehicle {vehicle}: {v}" for v in viol]


def _route(inst: Instance, vehicle: int, vt: VehicleType, nodes: list[int], depart: float, times, back: float,
           brk: float | None) -> Route:
    stops: list[Stop] = [inst.stops[n - 1] for n in nodes]
    total = sum(s.total_crates for s in stops)
    latest_back = min(vt.shift[1], inst.depot_window[1])
    slack = latest_back - back
    slacks = [0.0] * len(stops)
    for k in range(len(stops) - 1, -1, -1):
        arrival, start = times[k]
        nxt_wait = times[k + 1][1] - times[k + 1][0] if k + 1 < len(stops) else 0.0
        slack = min(stops[k].window[1] - start, nxt_wait + slack)
        slacks[k] = slack
    visits, load = [], total
    for s, (arrival, start), sl in zip(stops, times, slacks, strict=True):
        load -= s.total_crates
        visits.append(Visit(s.id, arrival, start, start + s.service, max(0.0, sl), load))
    seq = [0, *nodes, 0]
    dist = float(sum(inst.distance[a, b] for a, b in itertools.pairwise(seq))) if nodes else 0.0
    crates: dict[str, int] = {}
    for s in stops:
        for c, n in s.crates.items():
            crates[c] = crates.get(c, 0) + n
    return Route(vehicle, vt.name, visits, depart, back, dist, crates, sum(s.kg for s in stops), brk)


#: Why a stop is left out: code -> what it means (the reason text adds the figures).
REASONS = {
    "no_truck": "no truck of a kind that could take it",
    "over_capacity": "its crates or weight exceed every truck or compartment",
    "window_unreachable": "no truck can arrive before its window closes",
    "cannot_return": "no truck could be back at the warehouse in time",
    "shift_too_short": "the round trip is longer than a shift",
    "over_cold_chain_cap": "the drive alone is longer than goods may stay on the truck",
    "fleet_short": "the whole fleet lacks room for the day's crates or weight",
    "no_room": "the fleet had no room or time left for it",
}


def diagnose(inst: Instance) -> list[Issue]:
    """Stops that no vehicle can serve even alone, each with the reason in plain words."""
    issues = []
    for i, s in enumerate(inst.stops, start=1):
        reasons: list[tuple[str, str]] = []
        for vt in inst.vehicle_types:
            why = _alone(inst, vt, i, s)
            if not why:
                reasons = []
                break
            reasons.append((why[0], f"{vt.name}: {why[1]}"))
        if reasons:
            issues.append(Issue(s.id, "; ".join(r for _, r in reasons), reasons[0][0]))
    return issues


def _alone(inst: Instance, vt: VehicleType, node: int, s: Stop) -> tuple[str, str] | None:
    """(code, reason) why this kind of truck cannot serve the stop even alone; None if it can."""
    if vt.count < 1:
        return "no_truck", "no truck of this type"
    if s.total_crates > vt.capacity_crates:
        return "over_capacity", f"{s.total_crates} crates exceed capacity {vt.capacity_crates}"
    for cls, n in s.crates.items():
        if n > vt.class_capacity(cls):
            return "over_capacity", f"{n} {cls} crates exceed its {cls} compartment ({vt.class_capacity(cls)})"
    if vt.capacity_kg is not None and s.kg > vt.capacity_kg:
        return "over_capacity", f"{s.kg} kg exceed {vt.capacity_kg} kg"
    depart = max(vt.shift[0], inst.depot_window[0])
    arrival = depart + float(inst.travel[0, node])
    start = max(arrival, s.window[0])
    if start > s.window[1] + EPS:
        return "window_unreachable", f"earliest arrival {arrival:.2f} is after the window closes at {s.window[1]:.2f}"
    back = start + s.service + float(inst.travel[node, 0])
    latest = min(vt.shift[1], inst.depot_window[1])
    if back > latest + EPS:
        return "cannot_return", f"cannot be back by {latest:.2f} (earliest return {back:.2f})"
    loop = float(inst.travel[0, node]) + s.service + float(inst.travel[node, 0])
    if vt.max_shift is not None and loop > vt.max_shift + EPS:
        return "shift_too_short", f"the round trip takes {loop:.2f}, longer than the shift {vt.max_shift:.2f}"
    if inst.max_on_truck is not None and float(inst.travel[0, node]) + s.service > inst.max_on_truck + EPS:
        return ("over_cold_chain_cap",
                f"direct drive and unloading take longer than the {inst.max_on_truck:.2f} allowed on the truck")
    return None
