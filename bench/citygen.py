"""Generated cold-chain cities like ours, for the routing bench and the routing tests.

A warehouse on the edge of a city, 120-300 community stores around its centre (some in dense
estates, the rest spread out), delivery windows of 1-3 h between 05:00 and 12:00, crates per
temperature class, one or two kinds of reefer with compartments, and a cap of 4.5-6 h on the
truck. Every choice comes from the seed, so a held-back seed is a city of the same kind.
"""

from __future__ import annotations

import math
import random
from typing import Any

LAT0, LON0 = 31.23, 121.47
M_PER_DEG = 111_000.0


def _point(rng: random.Random, centre: tuple[float, float], radius_m: float) -> tuple[float, float]:
    r, a = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return (centre[0] + r * math.sin(a) / M_PER_DEG,
            centre[1] + r * math.cos(a) / (M_PER_DEG * math.cos(math.radians(LAT0))))


def _trucks(rng: random.Random, two_types: bool) -> list[dict[str, Any]]:
    big = {"type": "reefer-4.2m", "capacity_crates": 160, "capacity_kg": 2500,
           "compartments": {"chilled": 110, "frozen": 30, "ambient": 40}}
    small = {"type": "reefer-2.8m", "capacity_crates": 70, "capacity_kg": 1100,
             "compartments": {"chilled": 60, "frozen": 10}}  # no ambient bay
    alone = {**small, "compartments": {"chilled": 55, "frozen": 10, "ambient": 5}}  # the only truck carries every class
    return [big, small] if two_types else [rng.choice([big, alone])]


def city(seed: int) -> dict[str, Any]:
    """One city as a JSON instance (docs/routing.md); the fleet has room to spare."""
    rng = random.Random(seed)
    n = rng.randint(120, 300)
    estates = [_point(rng, (LAT0, LON0), 9000) for _ in range(rng.randint(3, 8))]
    stops = []
    for i in range(n):
        lat, lon = _point(rng, rng.choice(estates), 2500) if rng.random() < 0.5 else _point(rng, (LAT0, LON0), 14000)
        length = rng.choice([3600, 5400, 7200, 10800])
        start = rng.randrange(5 * 3600, 12 * 3600 - length + 1, 900)
        crates = {"chilled": rng.randint(2, 12), "frozen": rng.randint(0, 4)}
        if rng.random() < 0.3:
            crates["ambient"] = rng.randint(1, 3)
        stops.append({"id": f"S{i + 1:03d}", "lat": lat, "lon": lon, "window": [start, start + length],
                      "service": rng.choice([240, 300, 420, 600]), "crates": crates,
                      "kg": sum(crates.values()) * rng.randint(8, 14)})
    types = _trucks(rng, rng.random() < 0.5)
    crates = sum(sum(s["crates"].values()) for s in stops)
    per_type = math.ceil(1.6 * crates / sum(t["capacity_crates"] for t in types)) + 2
    depot_lat, depot_lon = _point(rng, (LAT0, LON0), 20000)
    return {"name": f"city-{seed}-{n}", "depot": {"id": "DC", "lat": depot_lat, "lon": depot_lon,
                                                   "window": [3 * 3600 + 1800, 15 * 3600]},
            "speed_kmh": rng.choice([24, 28, 32]), "circuity": 1.35,
            "max_on_truck": rng.choice([4.5, 5.0, 5.5, 6.0]) * 3600, "stops": stops,
            "vehicles": [{**t, "count": per_type, "shift": [3 * 3600 + 1800, 15 * 3600]} for t in types]}
