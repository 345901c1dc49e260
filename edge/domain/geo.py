"""Map datums: positions are kept in WGS-84 (GPS, HQ's store master data, the site file); maps served
in China (AMap/高德, Tencent) draw in GCJ-02, an obfuscated datum that every such provider must use.
A WGS-84 point drawn on a GCJ-02 map lands 50-500 m off, so points are shifted once, here, before a
page draws them on such tiles.

The WGS-84 -> GCJ-02 shift is the public reconstruction (Krasovsky ellipsoid, sine series around
105° E 35° N) that the providers' own converters match to centimetres; no PyPI package for it is
kept up or typed, and it is a handful of lines. Outside a rough box around China it is the identity.
"""

from __future__ import annotations

import math
from typing import Literal

Datum = Literal["wgs84", "gcj02"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, metres
_EE = 0.00669342162296594323  # its first eccentricity squared
#: Where GCJ-02 applies: lon 72.004-137.8347, lat 0.8293-55.8271 (it also covers neighbouring countries).
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)


def in_china_box(lat: float, lon: float) -> bool:
    return _CHINA_LAT[0] <= lat <= _CHINA_LAT[1] and _CHINA_LON[0] <= lon <= _CHINA_LON[1]


def _series(x: float, y: float) -> tuple[float, float]:
    """The shift in metres-like units (north, east) at x = lon - 105, y = lat - 35."""
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    north = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    east = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    return north, east


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in GCJ-02 for a WGS-84 position; unchanged outside China's box."""
    if not in_china_box(lat, lon):
        return lat, lon
    north, east = _series(lon - 105.0, lat - 35.0)
    phi = math.radians(lat)
    w = 1.0 - _EE * math.sin(phi) ** 2
    metres_per_rad_lat = _A * (1.0 - _EE) / (w * math.sqrt(w))
    metres_per_rad_lon = _A / math.sqrt(w) * math.cos(phi)
    return lat + math.degrees(north / metres_per_rad_lat), lon + math.degrees(east / metres_per_rad_lon)


def to_datum(lat: float, lon: float, datum: Datum) -> tuple[float, float]:
    """A WGS-84 position in the datum a map is drawn in."""
    return wgs84_to_gcj02(lat, lon) if datum == "gcj02" else (lat, lon)
