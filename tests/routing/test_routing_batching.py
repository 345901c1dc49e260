"""Picker tours: cart capacity, temperature classes apart, zones respected, every unit picked once."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from routing.batching import Cart, PickLine, build_tours
from routing.errors import InputError
from routing.layout import layout_from_dict

LAYOUT = layout_from_dict({
    "blocks": [{"aisles": 10, "bays_per_side": 12, "levels": 3}],
    "zones": [{"name": "dry", "aisles": [1, 5], "temperature": "ambient"},
              {"name": "fresh", "aisles": [6, 8], "temperature": "chilled"},
              {"name": "ice", "aisles": [9, 10], "temperature": "frozen"}],
})


def _lines(seed: int, n: int) -> list[PickLine]:
    rng = random.Random(seed)
    return [PickLine(f"sku{i}", f"A{rng.randint(1, 10):02d}-{rng.randint(1, 24)}-{rng.randint(1, 3)}",
                     rng.randint(1, 30), rng.randint(1, 3), rng.randint(100, 9000), rng.randint(500, 20000))
            for i in range(n)]


def test_tours_respect_capacity_temperature_and_zones() -> None:
    lines = _lines(1, 60)
    cart = Cart(totes=8, weight_g=30000, volume_cm3=60000)
    tours = build_tours(LAYOUT, lines, cart)
    for t in tours:
        assert t.totes <= 8 and t.weight_g <= 30000 and t.volume_cm3 <= 60000
        assert {LAYOUT.resolve(ln.location).zone for ln in t.lines} == {t.zone}
        assert {LAYOUT.resolve(ln.location).temperature for ln in t.lines} == {t.temperature}
        assert [ln.location for ln in t.lines] == t.path.codes
    assert [t.temperature for t in tours][-1] == "frozen"  # frozen leaves the freezer last
    picked = Counter()
    for t in tours:
        for ln in t.lines:
            picked[ln.sku] += ln.quantity
    assert picked == Counter({ln.sku: ln.quantity for ln in lines})


def test_batching_beats_one_tour_per_line() -> None:
    lines = [PickLine(f"s{i}", f"A0{1 + i % 5}-{1 + i}", 1, 1) for i in range(20)]
    tours = build_tours(LAYOUT, lines, Cart(totes=10))
    assert 2 <= len(tours) <= 3  # savings is a heuristic: 20 totes on 10-tote carts, at most one extra cart
    singles = build_tours(LAYOUT, lines, Cart(totes=1))
    assert sum(t.path.distance_m for t in tours) < 0.5 * sum(t.path.distance_m for t in singles)


def test_large_line_is_split_and_oversized_unit_is_refused() -> None:
    tours = build_tours(LAYOUT, [PickLine("big", "A02-3", 10, totes=7)], Cart(totes=3))
    assert sorted(t.totes for t in tours) == [2, 2, 3]
    assert sum(t.lines[0].quantity for t in tours) == 10
    with pytest.raises(InputError, match="does not fit"):
        build_tours(LAYOUT, [PickLine("huge", "A02-3", 1, totes=5)], Cart(totes=3))
    with pytest.raises(InputError, match="pick line 0"):
        build_tours(LAYOUT, [PickLine("x", "A99-1", 1)], Cart(totes=3))
