"""The WGS-84 -> GCJ-02 shift against published pairs, and the identity outside China."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.geo import in_china_box, to_datum, wgs84_to_gcj02

#: (WGS-84 lat, lon) -> (GCJ-02 lat, lon): the test vectors of googollee/eviltransform (Shanghai,
#: Shenzhen, Beijing) and of hujiulong/gcoord (123° E 45° N).
PUBLISHED = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((45.0, 123.0), (45.00197815, 123.00607541)),
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_a_wgs84_point_in_china_lands_where_the_published_converters_put_it(
        wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-7) and lon == pytest.approx(gcj[1], abs=1e-7)
    assert to_datum(*wgs, "gcj02") == (lat, lon)
    assert to_datum(*wgs, "wgs84") == wgs


def test_the_shift_is_the_50_to_500_metres_a_chinese_map_is_off_by() -> None:
    lat, lon = wgs84_to_gcj02(31.1030, 121.3660)  # the demo warehouse, south-west of Shanghai
    north = (lat - 31.1030) * 111_320
    east = (lon - 121.3660) * 111_320 * math.cos(math.radians(31.1030))
    assert 50 < math.hypot(north, east) < 700


@pytest.mark.parametrize("point", [(51.5007, -0.1246), (40.6892, -74.0445), (-33.8568, 151.2153), (-6.1754, 106.8272),
                                   (0.5, 110.0), (56.0, 120.0), (35.0, 72.0), (35.0, 137.9)])
def test_points_outside_china_pass_unchanged(point: tuple[float, float]) -> None:
    assert not in_china_box(*point)
    assert wgs84_to_gcj02(*point) == point


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_any_position_gives_a_finite_position_within_a_kilometre(lat: float, lon: float) -> None:
    shifted = wgs84_to_gcj02(lat, lon)
    assert all(math.isfinite(v) for v in shifted)
    assert abs(shifted[0] - lat) < 0.01 and abs(shifted[1] - lon) < 0.02
