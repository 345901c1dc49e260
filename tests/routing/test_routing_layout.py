"""Layout parsing, location resolution and aisle-graph distances."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.distances import distance_matrix
from routing.errors import InputError
from routing.layout import layout_from_dict, load_layout

BASE = {"blocks": [{"aisles": 4, "bays_per_side": 10, "bay_pitch": 1.0, "aisle_width": 3.0, "rack_depth": 1.0,
                    "cross_aisle_width": 2.0, "levels": 3}],
        "zones": [{"name": "cold", "aisles": [3, 4], "temperature": "frozen"}]}


def test_resolves_code_to_point_zone_and_level() -> None:
    layout = layout_from_dict(BASE)
    loc = layout.resolve("A03-12-2")
    assert (loc.aisle, loc.bay, loc.level) == (3, 12, 2)
    assert loc.x == pytest.approx(10.0)  # two aisle pitches of 3 + 2 * 1
    assert loc.y == pytest.approx(1.0 + 5.5)  # half a cross aisle + 5.5 bays (bay 12 is position 6)
    assert (loc.zone, loc.temperature) == ("cold", "frozen")
    assert layout.resolve("A03-11").key == loc.key  # facing bays share the aisle centre line


@pytest.mark.parametrize(("code", "message"), [
    ("A09-1-1", "not in any block"), ("A01-21-1", "bay 21"), ("A01-1-4", "level 4"), ("B01-1-1", "prefix"),
    ("garbage", "cannot read"), ("", "cannot read"),
])
def test_bad_codes_name_the_problem(code: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        layout_from_dict(BASE).resolve(code)


@pytest.mark.parametrize(("doc", "message"), [
    ({}, "blocks"), ({"blocks": [{"aisles": 0, "bays_per_side": 3}]}, "aisles"),
    ({"blocks": [{"aisles": 2}]}, "bays_per_side"),
    ({"blocks": [{"aisles": 2, "bays_per_side": 4, "cross_aisles": ["front"]}]}, "cross_aisles"),
    ({"blocks": [{"aisles": 2, "bays_per_side": 4, "bay_pitch": -1}]}, "bay_pitch"),
    ({**BASE, "zones": [{"name": "z", "aisles": [1, 2], "temperature": "hot"}]}, "temperature"),
    ({**BASE, "depots": {"start": {"aisle": 7}}}, "depots.start"),
    ({**BASE, "depots": {"start": {"aisle": 1, "cross_aisle": "middle"}}}, "middle"),
])
def test_bad_layouts_name_the_field(doc: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        layout_from_dict(doc)


def test_load_layout_from_files(tmp_path) -> None:
    (tmp_path / "l.json").write_text(json.dumps(BASE))
    assert load_layout(tmp_path / "l.json").blocks[0].aisles == 4
    (tmp_path / "bad.yaml").write_text("blocks: [aisles: 3\n")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        load_layout(tmp_path / "bad.yaml")
    with pytest.raises(InputError, match="cannot read"):
        load_layout(tmp_path / "missing.yaml")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_any_code_text_is_resolved_or_rejected_cleanly(code: str) -> None:
    with contextlib.suppress(InputError):
        layout_from_dict(BASE).resolve(code)


def test_distances_walk_around_racks() -> None:
    layout = layout_from_dict(BASE)
    a, b, c = layout.resolve("A01-5"), layout.resolve("A01-19"), layout.resolve("A02-5")
    d = distance_matrix(layout, [layout.depot("start"), a, b, c])
    assert np.allclose(d, d.T)
    assert d[1, 2] == pytest.approx(abs(a.y - b.y))  # same aisle: straight along it
    # neighbouring aisle: out via the front (the nearer end), across, and back in
    assert d[1, 3] == pytest.approx(2 * a.y + 5.0)  # aisle pitch 3 + 2 * 1
    assert d[0, 1] == pytest.approx(a.y)  # default depot at the front of aisle 1


def test_middle_cross_aisle_gives_a_shortcut() -> None:
    two = {"blocks": [{**BASE["blocks"][0], "cross_aisles": ["front", "middle", "back"], "middle_after_bay": 5}]}
    one, mid = layout_from_dict(BASE), layout_from_dict(two)
    codes = ["A01-10", "A02-10"]
    d_one = distance_matrix(one, [one.resolve(c) for c in codes])[0, 1]
    d_mid = distance_matrix(mid, [mid.resolve(c) for c in codes])[0, 1]
    assert d_mid < d_one
    assert not mid.is_single_block and one.is_single_block
