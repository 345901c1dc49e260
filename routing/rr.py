"""Exact pick paths on a single-block warehouse: the Ratliff-Rosenthal (1983) dynamic program.

The optimal tour is the cheapest connected multigraph on the aisle graph that touches every
pick and the depot(s) with even degrees everywhere (odd at the two ends of an open path from
start to end). The DP sweeps the columns (aisles, and depots on a cross aisle as columns
without an aisle) left to right. A state is the degree class of the current column's front and
back nodes (none / odd / even), whether they lie in one component, and whether the graph is
still empty, open, or already closed. Per aisle one of six coverings is chosen (none, traverse,
traverse twice, from the front, from the back, split at the largest gap); per cross-aisle gap
each of the two edges is used 0, 1 or 2 times. Time is linear in the number of aisles.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from routing.errors import InputError
from routing.layout import Depot, Layout, Location

EMPTY, OPEN, CLOSED = 0, 1, 2
State = tuple[int, int, bool, int]  # (front degree class, back degree class, same component, status)
_START: State = (0, 0, False, EMPTY)
_CLOSED: State = (0, 0, False, CLOSED)
_HORIZONTAL = [(ha, hb) for ha in range(3) for hb in range(3)]


@dataclass
class _Column:
    x: float
    length: float  # 0 for a depot column (no aisle to walk)
    ys: list[float] = field(default_factory=list)  # distinct pick positions, ascending
    req: list[bool] = field(default_factory=lambda: [False, False])  # front, back must be visited
    odd: list[int] = field(default_factory=lambda: [0, 0])  # required degree parity (path ends)


def _cls(d: int, k: int) -> int:
    """Degree class after adding k edge ends: 0 none, 1 odd, 2 even and > 0."""
    if k == 0:
        return d
    return 1 if ((1 if d == 1 else 0) + k) % 2 else 2


def _configs(c: _Column) -> list[tuple[str, float, int, int, bool]]:
    """(name, cost, degree added at front, at back, connects front and back) for one column."""
    out: list[tuple[str, float, int, int, bool]] = []
    if not c.ys:
        out.append(("none", 0.0, 0, 0, False))
    if c.length > 0:
        out.append(("trav1", c.length, 1, 1, True))
        out.append(("trav2", 2 * c.length, 2, 2, True))
    if c.ys:
        out.append(("front", 2 * c.ys[-1], 2, 0, False))
        out.append(("back", 2 * (c.length - c.ys[0]), 0, 2, False))
    if len(c.ys) >= 2:
        gap = max(b - a for a, b in zip(c.ys, c.ys[1:], strict=False))
        out.append(("gap", 2 * (c.length - gap), 2, 2, False))
    return out


def _vertical(s: State, add_a: int, add_b: int, connects: bool) -> State | None:
    da, db, same, status = s
    if add_a == 0 and add_b == 0:
        return s
    if status == CLOSED:
        return None
    na, nb = _cls(da, add_a), _cls(db, add_b)
    nsame = True if connects else (same and da > 0 and db > 0)
    return (na, nb, nsame and na > 0 and nb > 0, OPEN)


def _horizontal(s: State, ha: int, hb: int, c: _Column) -> State | None:
    da, db, same, status = s
    for d, h, req, odd in ((da, ha, c.req[0], c.odd[0]), (db, hb, c.req[1], c.odd[1])):
        if d == 0 and h == 0:
            if req:
                return None
        elif ((1 if d == 1 else 0) + h) % 2 != odd:
            return None
    if status == CLOSED:
        return s if ha == hb == 0 else None
    if status == EMPTY:
        return s if ha == hb == 0 else (ha, hb, False, OPEN)
    if da and db and same:
        return (ha, hb, ha > 0 and hb > 0, OPEN) if ha or hb else _CLOSED
    alive = [h > 0 for d, h in ((da, ha), (db, hb)) if d]
    started = (da == 0 and ha > 0) + (db == 0 and hb > 0)
    cut = alive.count(False)
    if cut:
        return _CLOSED if cut == 1 and not any(alive) and not started else None
    return (ha, hb, False, OPEN)


def _columns(layout: Layout, locs: list[Location], start: Depot, end: Depot) -> list[_Column]:
    block = layout.blocks[0]
    length = block.cross_ys[-1]
    cols: dict[tuple[float, int], _Column] = {}
    for a in range(block.first_aisle, block.first_aisle + block.aisles):
        cols[(block.aisle_x(a), 1)] = _Column(block.aisle_x(a), length)
    for loc in locs:
        ys = cols[(loc.x, 1)].ys
        if loc.y not in ys:
            ys.append(loc.y)
    for c in cols.values():
        c.ys.sort()
    depots = [start] if start == end else [start, end]
    for i, d in enumerate(depots):
        col = _Column(d.x, 0.0)
        side = 0 if d.cross == 0 else 1
        col.req[side] = True
        col.odd[side] = 1 if len(depots) == 2 else 0
        cols[(d.x, 2 + i)] = col
    return [cols[k] for k in sorted(cols)]


def _gap_split(ys: list[float]) -> int:
    gaps = [b - a for a, b in itertools.pairwise(ys)]
    return gaps.index(max(gaps))


def ratliff_rosenthal(layout: Layout, locs: list[Location], start: Depot, end: Depot) -> tuple[float, list[int]]:
    """Optimal walking distance and visiting order (indices into `locs`) on a single block."""
    if not layout.is_single_block:
        raise InputError("the exact DP needs one block with front and back cross aisles only", "layout")
    if any(d.block != 0 for d in (start, end)):
        raise InputError("depots must lie on the block's front or back cross aisle", "depots")
    if not locs:
        raise InputError("the exact DP needs at least one pick", "picks")
    cols = _columns(layout, locs, start, end)
    layers: list[tuple[dict[State, tuple[float, State | None, object]], dict[State, tuple[float, State, object]]]] = []
    entering: dict[State, tuple[float, State | None, object]] = {_START: (0.0, None, None)}
    for j, c in enumerate(cols):
        after: dict[State, tuple[float, State, object]] = {}
        for s, (cost, _, _) in entering.items():
            for name, w, add_a, add_b, conn in _configs(c):
                t = _vertical(s, add_a, add_b, conn)
                if t is not None and (t not in after or cost + w < after[t][0]):
                    after[t] = (cost + w, s, name)
        layers.append((entering, after))
        nxt: dict[State, tuple[float, State | None, object]] = {}
        last = j == len(cols) - 1
        width = 0.0 if last else cols[j + 1].x - c.x
        for s, (cost, _, _) in after.items():
            for ha, hb in [(0, 0)] if last else _HORIZONTAL:
                t = _horizontal(s, ha, hb, c)
                if t is not None and (t not in nxt or cost + (ha + hb) * width < nxt[t][0]):
                    nxt[t] = (cost + (ha + hb) * width, s, (ha, hb))
        entering = nxt
    if _CLOSED not in entering:
        raise InputError("no tour exists (depot not connected to the picks)", "layout")
    best = entering[_CLOSED][0]
    edges = _trace(cols, layers, entering)
    return best, _order(cols, edges, locs, start, end)


def _trace(cols: list[_Column], layers: list, final: dict) -> list[tuple[tuple, tuple, int]]:
    """Edges (u, v, multiplicity) of the optimal multigraph, read back from the DP tables."""
    edges: list[tuple[tuple, tuple, int]] = []
    s = final[_CLOSED][1]
    for j in range(len(cols) - 1, -1, -1):
        entering, after = layers[j]
        _, prev, name = after[s]
        c = cols[j]
        chain = [("a", j), *[("p", j, i) for i in range(len(c.ys))], ("b", j)]
        mult = [0] * (len(chain) - 1)
        if name in ("trav1", "trav2"):
            mult = [1 if name == "trav1" else 2] * len(mult)
        elif name == "front":
            mult = [2 if k < len(c.ys) else 0 for k in range(len(mult))]
        elif name == "back":
            mult = [2 if k >= 1 else 0 for k in range(len(mult))]
        elif name == "gap":
            g = _gap_split(c.ys)
            mult = [0 if k == g + 1 else 2 for k in range(len(mult))]
        edges += [(chain[k], chain[k + 1], m) for k, m in enumerate(mult) if m]
        s = prev
        if j:
            _, prev_after, (ha, hb) = entering[s]
            edges += [(("a", j - 1), ("a", j), ha), (("b", j - 1), ("b", j), hb)]
            s = prev_after
    return [e for e in edges if e[2]]


def _order(cols: list[_Column], edges: list, locs: list[Location], start: Depot, end: Depot) -> list[int]:
    """Walk the multigraph (Hierholzer) from the start depot; picks in order of first visit."""
    adj: dict[tuple, list[tuple[tuple, int]]] = {}
    eid = 0
    for u, v, m in edges:
        for _ in range(m):
            adj.setdefault(u, []).append((v, eid))
            adj.setdefault(v, []).append((u, eid))
            eid += 1
    used = [False] * eid
    col = next(j for j, c in enumerate(cols) if c.length == 0 and c.x == start.x and any(c.req)
               and c.req[0 if start.cross == 0 else 1])
    node: tuple = ("a" if start.cross == 0 else "b", col)
    stack, walk = [node], []
    while stack:
        v = stack[-1]
        while adj.get(v) and used[adj[v][-1][1]]:
            adj[v].pop()
        if adj.get(v):
            w, e = adj[v].pop()
            used[e] = True
            stack.append(w)
        else:
            walk.append(stack.pop())
    walk.reverse()
    by_point: dict[tuple[float, float], list[int]] = {}
    for i, loc in enumerate(locs):
        by_point.setdefault((loc.x, loc.y), []).append(i)
    order: list[int] = []
    seen: set[tuple] = set()
    for v in walk:
        if v[0] == "p" and v not in seen:
            seen.add(v)
            c = cols[v[1]]
            order += by_point[(c.x, c.ys[v[2]])]
    return order
