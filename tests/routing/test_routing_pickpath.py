"""Pick paths: the exact DP against brute force, OR-Tools against S-shape, the hard time bound."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from routing.distances import distance_matrix
from routing.errors import InputError
from routing.layout import layout_from_dict
from routing.pickpath import solve_pick_path
from routing.tsp import path_cost, polish

SINGLE = layout_from_dict({
    "blocks": [{"aisles": 6, "bays_per_side": 8, "levels": 2}],
    "depots": {"start": {"aisle": 1, "offset": -1.5}, "pack": {"aisle": 4, "cross_aisle": "back", "offset": 1.0},
               "far": {"aisle": 6, "offset": 3.0}},
})
TWO_BLOCK = layout_from_dict({
    "blocks": [{"aisles": 8, "bays_per_side": 16, "cross_aisles": ["front", "middle", "back"],
                "middle_after_bay": 8}],
})


def _brute(layout, codes, start, end) -> float:
    locs = [layout.resolve(c) for c in codes]
    d = distance_matrix(layout, [layout.depot(start), layout.depot(end), *locs])
    best = float("inf")
    for perm in itertools.permutations(range(len(locs))):
        seq = [0, *[2 + i for i in perm], 1]
        best = min(best, sum(d[a, b] for a, b in itertools.pairwise(seq)))
    return best


def _codes(rng: random.Random, layout, k: int) -> list[str]:
    b = layout.blocks[0]
    return [f"A{rng.randint(1, b.aisles):02d}-{rng.randint(1, 2 * b.bays_per_side)}" for _ in range(k)]


@pytest.mark.parametrize(("start", "end"), [("start", "start"), ("start", "pack"), ("pack", "far"),
                                            ("far", "far")])
def test_exact_dp_equals_brute_force(start: str, end: str) -> None:
    rng = random.Random(f"{start}-{end}")
    for _ in range(40):
        codes = _codes(rng, SINGLE, rng.randint(1, 6))
        path = solve_pick_path(SINGLE, codes, start, end, method="exact")
        assert path.distance_m == pytest.approx(_brute(SINGLE, codes, start, end), abs=1e-6)
        assert sorted(path.order) == list(range(len(codes)))


def test_exact_dp_refuses_two_blocks() -> None:
    with pytest.raises(InputError, match="one block"):
        solve_pick_path(TWO_BLOCK, ["A01-1"], method="exact")


def test_ortools_never_worse_than_s_shape_or_largest_gap() -> None:
    rng = random.Random(7)
    for layout in (SINGLE, TWO_BLOCK):
        for k in (3, 12, 25):
            codes = _codes(rng, layout, k)
            ours = solve_pick_path(layout, codes, method="ortools", time_limit=0.4)
            for base in ("s-shape", "largest-gap"):
                assert ours.distance_m <= solve_pick_path(layout, codes, method=base).distance_m + 1e-9
            assert sorted(ours.order) == list(range(k))


def test_hard_time_bound_returns_a_sequence() -> None:
    codes = _codes(random.Random(3), TWO_BLOCK, 120)
    solve_pick_path(TWO_BLOCK, codes[:3], method="ortools", time_limit=0.3)  # forkserver started
    t0 = time.monotonic()
    path = solve_pick_path(TWO_BLOCK, codes, method="ortools", time_limit=0.05)
    assert time.monotonic() - t0 < 0.05 + 0.15
    assert sorted(path.order) == list(range(120))
    assert path.distance_m > 0


def test_walking_time_counts_distance_and_handling() -> None:
    path = solve_pick_path(SINGLE, ["A02-3-2"])
    assert path.seconds == pytest.approx(path.distance_m / 1.0 + 8.0 + 2.0)
    assert solve_pick_path(SINGLE, []).distance_m == 0.0


def test_polish_never_worsens_and_untangles_a_line() -> None:
    rng = random.Random(5)
    for _ in range(30):
        n = rng.randint(3, 12)
        pts = [(rng.uniform(0, 50), rng.uniform(0, 50)) for _ in range(n)]
        m = [[round(1000 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts] for a in pts]
        order = rng.sample(range(2, n), n - 2)
        better = polish(m, order, 0, 1)
        assert sorted(better) == sorted(order)
        assert path_cost(m, better, 0, 1) <= path_cost(m, order, 0, 1)
    line = [[abs(a - b) for b in range(10)] for a in range(10)]  # start 0, end 1 both at the left end
    assert path_cost(line, polish(line, [5, 2, 9, 3, 7, 4, 8, 6], 0, 1), 0, 1) == 9 + 8  # out to 9, back to 1
    assert polish(line, [5, 2, 9], 0, 1, until=0.0) == [5, 2, 9]  # out of time: the order as given
