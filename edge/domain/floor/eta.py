"""The ETA window a customer is told, from where the truck is now (pure: times are seconds).

The next stop's window is its expected handoff start plus or minus SPREAD_S; each stop before it
on the route adds PER_STOP_S either side (every handoff can run long or short). Edges are
rounded outwards to ROUND_S, so "14:20-14:40", not "14:23-14:37". A stop is late when the truck
is expected after the store's window closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SPREAD_S = 600.0
PER_STOP_S = 120.0
ROUND_S = 300.0


@dataclass(frozen=True)
class StopTimes:
    window: tuple[float, float]  # the store's delivery window
    service: float  # handoff time
    travel: float  # drive from the previous place (the truck's position for the first stop)


@dataclass(frozen=True)
class Eta:
    eta: float  # expected start of the handoff
    eta_from: float
    eta_to: float
    late: bool
    stops_before: int


def etas(now: float, stops: list[StopTimes]) -> list[Eta]:
    """Each stop still to deliver, in route order, re-timed from `now` at the truck's position."""
    out, t = [], now
    for k, s in enumerate(stops):
        start = max(t + s.travel, s.window[0])
        spread = SPREAD_S + PER_STOP_S * k
        low = max(now, start - spread)
        out.append(Eta(start, math.floor(low / ROUND_S) * ROUND_S, math.ceil((start + spread) / ROUND_S) * ROUND_S,
                       start > s.window[1], k))
        t = start + s.service
    return out
