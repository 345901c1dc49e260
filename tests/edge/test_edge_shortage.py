"""Shortage allocation: the documented rule on the worked example, on packs and on order time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.shortage import OrderedLine, largest_remainder, share_shortage

T0 = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)


def line(store: str, quantity: int, minute: int, order: str | None = None) -> OrderedLine:
    return OrderedLine(order or f"{store}-{minute}", 1, store, T0 + dt.timedelta(minutes=minute), quantity)


def per_store(shares: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in shares:
        out[s.line.store_id] = out.get(s.line.store_id, 0) + s.allocated
    return out


def test_worked_example_gives_hamilton_not_naive_rounding() -> None:
    # inbound.md §5: 233 cases over 300 ordered; naive rounding would hand out 234.
    lines = [line("A", 130, 0), line("B", 85, 1), line("C", 47, 2), line("D", 23, 3), line("E", 15, 4)]
    assert per_store(share_shortage(233, lines)) == {"A": 101, "B": 66, "C": 36, "D": 18, "E": 12}


def test_packs_are_never_broken_and_leftover_units_stay_unallocated() -> None:
    lines = [line("A", 12, 0), line("B", 6, 1), line("C", 6, 2)]
    shares = share_shortage(17, lines, pack=6)  # 2 whole packs of 6, 5 units left over
    assert all(s.allocated % 6 == 0 for s in shares)
    assert sum(s.allocated for s in shares) == 12


def test_within_a_store_the_earliest_orders_are_served_whole() -> None:
    lines = [line("A", 2, 5, "late"), line("A", 2, 0, "early"), line("A", 2, 3, "middle"), line("B", 6, 1)]
    shares = {s.line.hq_order_id: s for s in share_shortage(6, lines)}
    # A ordered 6 of 12 -> 3 units; B 3 units. In A: early gets 2, middle 1, late 0.
    assert (shares["early"].allocated, shares["middle"].allocated, shares["late"].allocated) == (2, 1, 0)
    assert shares["late"].short == 2


def test_equal_remainders_go_to_the_store_that_ordered_first() -> None:
    lines = [line("late-store", 1, 9), line("early-store", 1, 1), line("mid-store", 1, 5)]
    assert per_store(share_shortage(1, lines)) == {"early-store": 1, "mid-store": 0, "late-store": 0}


def test_enough_supply_fills_every_line() -> None:
    lines = [line("A", 4, 0), line("B", 2, 1)]
    assert all(s.short == 0 for s in share_shortage(10, lines))


def test_bad_input_names_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="not a whole number of packs of 6"):
        share_shortage(10, [line("A", 4, 0)], pack=6)
    with pytest.raises(ValueError, match="negative"):
        share_shortage(-1, [line("A", 4, 0)])


@given(supply=st.integers(0, 500), demands=st.lists(st.integers(0, 120), min_size=1, max_size=30))
def test_apportionment_never_exceeds_supply_or_any_demand(supply: int, demands: list[int]) -> None:
    wanted = {f"s{n}": d for n, d in enumerate(demands)}
    shares = largest_remainder(supply, wanted, list(wanted))
    assert sum(shares.values()) == min(supply, sum(demands))
    assert all(0 <= shares[k] <= wanted[k] for k in wanted)
    total = sum(demands)
    if total > supply:  # each share is within one of its exact quota
        assert all(abs(shares[k] - supply * wanted[k] / total) < 1 for k in wanted)
