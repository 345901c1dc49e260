"""The routing rules pickers know: S-shape and largest gap (Roodbergen & de Koster's definitions).

They return a visiting order; its distance is then measured on the aisle graph like any other
sequence. They serve as baselines in the benchmark and as the always-available fallback when a
solver runs out of time.
"""

from __future__ import annotations

import itertools

from routing.layout import Layout, Location


def _by_aisle(locs: list[Location]) -> list[list[int]]:
    """Pick indices grouped per aisle, aisles left to right, picks front to back."""
    groups: dict[tuple[float, int], list[int]] = {}
    for i, loc in enumerate(locs):
        groups.setdefault((loc.x, loc.aisle), []).append(i)
    return [sorted(g, key=lambda i: locs[i].y) for _, g in sorted(groups.items())]


def s_shape(layout: Layout, locs: list[Location]) -> list[int]:
    """Traverse every aisle holding a pick, alternating up and down, left to right."""
    order: list[int] = []
    for k, g in enumerate(_by_aisle(locs)):
        order += g if k % 2 == 0 else g[::-1]
    return order


def largest_gap(layout: Layout, locs: list[Location]) -> list[int]:
    """Traverse the first and last aisle; enter the others from the front and from the back,
    each up to its largest gap (between the cross aisles and the picks)."""
    aisles = _by_aisle(locs)
    if len(aisles) <= 1:
        return aisles[0] if aisles else []
    front: list[list[int]] = []
    back: list[list[int]] = []
    for g in aisles[1:-1]:
        length = layout.blocks[locs[g[0]].block].cross_ys[-1]
        ys = [0.0] + [locs[i].y for i in g] + [length]
        gaps = [b - a for a, b in itertools.pairwise(ys)]
        k = gaps.index(max(gaps))  # picks g[:k] are reached from the front, g[k:] from the back
        front.append(g[:k])
        back.append(g[k:][::-1])
    order = list(aisles[0])
    for g in back:
        order += g
    order += aisles[-1][::-1]
    for g in reversed(front):
        order += g
    return order
