"""Shortest walking distances on the aisle graph (nobody walks through racks).

The graph's junctions are where aisles meet cross aisles, plus the depots. Their all-pairs
distances are computed once per layout (Floyd-Warshall in numpy, a few hundred nodes) and
cached; the distance between two pick faces is then the direct walk when they share an aisle
segment, else the best way out of each segment through its two end junctions.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from routing.layout import Depot, Layout, Location

Point = Location | Depot


class JunctionGraph:
    """Junction ids and their all-pairs shortest distances for one layout."""

    def __init__(self, layout: Layout) -> None:
        self.ids: dict[tuple[object, ...], int] = {}
        lines: dict[tuple[int, int], list[tuple[float, int]]] = {}
        edges: list[tuple[int, int, float]] = []
        for bi, block in enumerate(layout.blocks):
            ys = block.cross_ys
            for a in range(block.first_aisle, block.first_aisle + block.aisles):
                x = block.aisle_x(a)
                for ci in range(len(ys)):
                    node = self._add(("j", a, ci))
                    line = (-1, 0) if ci == 0 else (bi, ci)  # all front cross aisles form one corridor
                    lines.setdefault(line, []).append((x, node))
                    if ci:
                        edges.append((self.ids[("j", a, ci - 1)], node, ys[ci] - ys[ci - 1]))
        for d in layout.depots.values():
            line = (-1, 0) if d.cross == 0 else (d.block, d.cross)
            lines.setdefault(line, []).append((d.x, self._add(("d", d.name))))
        for members in lines.values():
            members.sort()
            for (x0, u), (x1, v) in itertools.pairwise(members):
                edges.append((u, v, x1 - x0))
        n = len(self.ids)
        dist = np.full((n, n), np.inf)
        np.fill_diagonal(dist, 0.0)
        for u, v, w in edges:
            dist[u, v] = dist[v, u] = min(dist[u, v], w)
        for k in range(n):
            np.minimum(dist, dist[:, k, None] + dist[None, k, :], out=dist)
        self.dist = dist
        self.layout = layout

    def _add(self, key: tuple[object, ...]) -> int:
        return self.ids.setdefault(key, len(self.ids))

    def ends(self, p: Point) -> list[tuple[int, float]]:
        """Junctions a walker leaves a point by, with the distance to each."""
        if isinstance(p, Depot):
            return [(self.ids[("d", p.name)], 0.0)]
        ys = self.layout.blocks[p.block].cross_ys
        s = p.segment
        return [(self.ids[("j", p.aisle, s)], p.y - ys[s]), (self.ids[("j", p.aisle, s + 1)], ys[s + 1] - p.y)]


@lru_cache(maxsize=32)
def junction_graph(layout: Layout) -> JunctionGraph:
    """The cached graph of a layout (layouts are immutable and hashable)."""
    return JunctionGraph(layout)


def distance_matrix(layout: Layout, points: list[Point]) -> np.ndarray:
    """Shortest walking distances (m) between every pair of points, as a float matrix."""
    g = junction_graph(layout)
    n = len(points)
    node = np.zeros((n, 2), dtype=np.int64)
    off = np.full((n, 2), np.inf)
    seg = np.full((n, 2), -1.0)  # (aisle, segment) for same-segment checks; -1 for depots
    ys = np.zeros(n)
    for i, p in enumerate(points):
        for k, (u, d) in enumerate(g.ends(p)):
            node[i, k], off[i, k] = u, d
        if len(g.ends(p)) == 1:
            node[i, 1] = node[i, 0]
        if isinstance(p, Location):
            seg[i] = (p.aisle, p.segment)
            ys[i] = p.y
    best = np.full((n, n), np.inf)
    for a in range(2):
        for b in range(2):
            np.minimum(best, off[:, a, None] + g.dist[np.ix_(node[:, a], node[:, b])] + off[None, :, b], out=best)
    same = (seg[:, None, 0] == seg[None, :, 0]) & (seg[:, None, 1] == seg[None, :, 1]) & (seg[:, None, 0] >= 0)
    direct = np.abs(ys[:, None] - ys[None, :])
    best = np.where(same, np.minimum(best, direct), best)
    np.fill_diagonal(best, 0.0)
    return best
