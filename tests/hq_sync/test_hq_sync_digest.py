"""Digest trees: equal data gives equal roots, and descending finds exactly the rows that differ."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hq_sync.digest import DigestTree, choose_depth, differing, row_hash


def descend(ours: DigestTree, theirs: DigestTree) -> tuple[set[str], int]:
    """What the agent does against HQ, with both trees local; returns ids found and nodes compared."""
    compared = 1
    if ours.root == theirs.root:
        return set(), compared
    frontier = differing(ours.children([""]), theirs.children([""]))
    while frontier and len(frontier[0]) < ours.depth:
        theirs_children = theirs.children(frontier)
        compared += len(theirs_children)
        frontier = differing(ours.children(frontier), theirs_children)
    found: set[str] = set()
    for bucket in frontier:
        found.update(differing(ours.leaf_rows(bucket), theirs.leaf_rows(bucket)))
    return found, compared


def test_row_hash_ignores_unpicked_lines_and_line_order() -> None:
    assert row_hash("O1", 2, "confirmed", {1: 3, 2: 0}) == row_hash("O1", 2, "confirmed", {1: 3})
    assert row_hash("O1", 2, "confirmed", {2: 1, 1: 3}) == row_hash("O1", 2, "confirmed", {1: 3, 2: 1})
    assert row_hash("O1", 2, "confirmed", {1: 3}) != row_hash("O1", 2, "cancelled", {1: 3})
    assert row_hash("O1", 2, "confirmed", {1: 3}) != row_hash("O1", 3, "confirmed", {1: 3})


def test_depth_grows_with_orders() -> None:
    assert choose_depth(0) == 1
    assert choose_depth(100) == 1
    assert choose_depth(5_000) == 3
    assert choose_depth(100_000) == 4


def test_depth_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="depth"):
        DigestTree.build([], 0)
    tree = DigestTree.build([("O1", "h")], 2)
    with pytest.raises(ValueError, match="leaf bucket"):
        tree.children(["ab"])


rows = st.dictionaries(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=4), max_size=60)


@settings(max_examples=60, deadline=None)
@given(rows, rows, st.sets(st.text(min_size=1, max_size=8), max_size=5), st.integers(1, 3))
def test_descent_finds_exactly_the_differing_rows(
    base: dict[str, str], changed: dict[str, str], removed: set[str], depth: int
) -> None:
    mine = dict(base)
    theirs = {**{k: v for k, v in base.items() if k not in removed}, **changed}
    expected = set(differing(mine, theirs))
    ours_tree = DigestTree.build(mine.items(), depth)
    their_tree = DigestTree.build(theirs.items(), depth)
    assert (ours_tree.root == their_tree.root) == (not expected)
    assert descend(ours_tree, their_tree)[0] == expected


def test_one_percent_drift_compares_a_fraction_of_the_nodes() -> None:
    base = {f"O{i:06d}": row_hash(f"O{i:06d}", 1, "confirmed", {}) for i in range(20_000)}
    drifted = dict(base)
    for i in range(0, 20_000, 100):
        drifted[f"O{i:06d}"] = row_hash(f"O{i:06d}", 2, "confirmed", {})
    depth = choose_depth(len(base))
    found, compared = descend(DigestTree.build(base.items(), depth), DigestTree.build(drifted.items(), depth))
    assert found == {f"O{i:06d}" for i in range(0, 20_000, 100)}
    assert compared < len(base) / 3
