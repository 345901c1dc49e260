"""The warehouse's walking layout for pick paths: the demo warehouse unless a site gives its own.

Aisles 01-16 in one block, 20 bays per aisle (odd and even on the two faces, 10 positions),
3 levels; pickers start at the front of aisle 1 and drop at the sort station in front of aisle 16.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from routing.layout import Layout, layout_from_dict

DEMO_LAYOUT: dict[str, Any] = {
    "name": "WH-SH-01",
    "aisle_prefix": "A",
    "bay_pitch": 1.2, "aisle_width": 3.0, "rack_depth": 1.0, "cross_aisle_width": 3.0, "levels": 3,
    "blocks": [{"name": "main", "first_aisle": 1, "aisles": 16, "bays_per_side": 10}],
    "zones": [{"name": "CHILL", "aisles": [1, 10], "temperature": "chilled"},
              {"name": "FROZEN", "aisles": [11, 13], "temperature": "frozen"},
              {"name": "DRY", "aisles": [14, 16], "temperature": "ambient"}],
    "depots": {"start": {"aisle": 1, "cross_aisle": "front"}, "sort": {"aisle": 16, "cross_aisle": "front"}},
}


@cache
def demo_layout() -> Layout:
    return layout_from_dict(DEMO_LAYOUT, "demo layout")
