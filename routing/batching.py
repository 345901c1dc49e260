"""Batching pick lines into picker tours (the 总拣 wave split into cart loads).

Lines are grouped by temperature class (frozen never shares a cart with chilled or ambient;
frozen tours come last so the product leaves the freezer last) and by zone; within a group,
Clarke-Wright savings on the aisle-graph distances merge tours while the cart's totes, weight
and volume allow. Each tour then gets its pick path. A line too large for one cart is split
across tours by quantity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from routing.distances import distance_matrix
from routing.errors import InputError
from routing.layout import TEMPERATURES, Depot, Layout, Location
from routing.pickpath import PickPath, solve_pick_path


@dataclass(frozen=True)
class PickLine:
    """One SKU to pick at one location; totes, weight (g) and volume (cm3) for the whole line."""

    sku: str
    location: str
    quantity: int
    totes: int = 1
    weight_g: int = 0
    volume_cm3: int = 0
    temperature: str | None = None  # defaults to the zone's class


@dataclass(frozen=True)
class Cart:
    totes: int
    weight_g: int | None = None
    volume_cm3: int | None = None


@dataclass(frozen=True)
class Tour:
    temperature: str
    zone: str
    lines: list[PickLine]  # in picking order
    path: PickPath
    totes: int
    weight_g: int
    volume_cm3: int

    def as_dict(self) -> dict[str, object]:
        return {"temperature": self.temperature, "zone": self.zone, "totes": self.totes,
                "weight_g": self.weight_g, "volume_cm3": self.volume_cm3,
                "lines": [{"sku": ln.sku, "location": ln.location, "quantity": ln.quantity} for ln in self.lines],
                "path": self.path.as_dict()}


def _load(lines: list[PickLine]) -> tuple[int, int, int]:
    return sum(ln.totes for ln in lines), sum(ln.weight_g for ln in lines), sum(ln.volume_cm3 for ln in lines)


def _fits(load: tuple[int, int, int], cart: Cart) -> bool:
    return load[0] <= cart.totes and (cart.weight_g is None or load[1] <= cart.weight_g) and (
        cart.volume_cm3 is None or load[2] <= cart.volume_cm3)


def _split(line: PickLine, cart: Cart, where: str) -> list[PickLine]:
    """Cut a line into the fewest pieces that each fit a cart (integers, quantities kept)."""
    if line.quantity < 1 or min(line.totes, line.weight_g, line.volume_cm3) < 0:
        raise InputError("quantity must be >= 1 and totes/weight/volume >= 0", where)
    pieces = max(1, math.ceil(line.totes / cart.totes),
                 math.ceil(line.weight_g / cart.weight_g) if cart.weight_g else 1,
                 math.ceil(line.volume_cm3 / cart.volume_cm3) if cart.volume_cm3 else 1)
    if pieces == 1:
        return [line]
    if pieces > line.quantity:
        raise InputError(f"one unit of {line.sku} does not fit on a cart", where)

    def share(total: int, k: int) -> int:
        return total * (k + 1) // pieces - total * k // pieces

    out = [replace(line, quantity=share(line.quantity, k), totes=share(line.totes, k),
                   weight_g=share(line.weight_g, k), volume_cm3=share(line.volume_cm3, k)) for k in range(pieces)]
    if not all(_fits(_load([p]), cart) for p in out):
        raise InputError(f"{line.sku} cannot be split into cart loads", where)
    return out


def _savings(dist: np.ndarray, loads: list[tuple[int, int, int]], cart: Cart) -> list[list[int]]:
    """Clarke-Wright for open tours start -> ... -> end; row 0 start, 1 end, 2+i line i."""
    n = len(loads)
    routes: dict[int, list[int]] = {i: [i] for i in range(n)}
    where = list(range(n))
    load = {i: loads[i] for i in range(n)}
    pairs = []
    for i in range(n):
        for j in range(n):
            if i != j:
                pairs.append((float(dist[2 + i, 1] + dist[0, 2 + j] - dist[2 + i, 2 + j]), i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    for s, i, j in pairs:
        if s < 0:
            break
        ri, rj = where[i], where[j]
        if ri == rj or routes[ri][-1] != i or routes[rj][0] != j:
            continue
        merged = (load[ri][0] + load[rj][0], load[ri][1] + load[rj][1], load[ri][2] + load[rj][2])
        if not _fits(merged, cart):
            continue
        routes[ri] += routes.pop(rj)
        load[ri] = merged
        del load[rj]
        for k in routes[ri]:
            where[k] = ri
    return list(routes.values())


def build_tours(layout: Layout, lines: list[PickLine], cart: Cart, start: str = "start", end: str | None = None,
                separate_zones: bool = True, time_limit: float = 1.0) -> list[Tour]:
    """Group pick lines into cart tours, each with its path; frozen tours come last."""
    if cart.totes < 1:
        raise InputError("a cart must hold at least one tote", "cart")
    groups: dict[tuple[int, str], list[tuple[PickLine, Location]]] = {}
    for k, line in enumerate(lines):
        where = f"pick line {k} ({line.sku})"
        try:
            loc = layout.resolve(line.location)
        except InputError as e:
            raise InputError(str(e), where) from None
        temp = line.temperature or loc.temperature
        if temp not in TEMPERATURES:
            raise InputError(f"temperature must be one of {TEMPERATURES}, got {temp!r}", where)
        key = (TEMPERATURES.index(temp), loc.zone if separate_zones else "*")
        groups.setdefault(key, []).extend((p, loc) for p in _split(line, cart, where))
    s_depot: Depot = layout.depot(start)
    e_depot: Depot = layout.depot(end or start)
    tours: list[Tour] = []
    for (temp_i, zone), members in sorted(groups.items()):
        dist = distance_matrix(layout, [s_depot, e_depot, *[loc for _, loc in members]])
        for idx in _savings(dist, [_load([p]) for p, _ in members], cart):
            picked = [members[i] for i in idx]
            path = solve_pick_path(layout, [loc for _, loc in picked], start, end, time_limit=time_limit)
            ordered = [picked[i][0] for i in path.order]
            tours.append(Tour(TEMPERATURES[temp_i], zone, ordered, path, *_load(ordered)))
    return tours
