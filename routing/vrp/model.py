"""The delivery problem and its answer, engine-independent.

Node 0 is the depot (the warehouse); node i >= 1 is `stops[i - 1]`. Times and distances are
floats in the instance's units (seconds and metres for our own instances, the abstract units
of a benchmark file); engines work on integers: distances x `scale` rounded, travel times
x `scale` rounded up (so an integer-feasible plan is feasible in real time), windows narrowed
inwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from routing.errors import InputError


@dataclass(frozen=True)
class Stop:
    """A store to deliver to: crates per temperature class, weight, window, service time."""

    id: int | str
    crates: dict[str, int]
    kg: int = 0
    window: tuple[float, float] = (0.0, math.inf)
    service: float = 0.0

    @property
    def total_crates(self) -> int:
        return sum(self.crates.values())


@dataclass(frozen=True)
class VehicleType:
    """A kind of refrigerated truck; `compartments` caps crates per temperature class
    (a class missing from a non-empty mapping cannot ride on this truck)."""

    name: str
    count: int
    capacity_crates: int
    capacity_kg: int | None = None
    compartments: dict[str, int] = field(default_factory=dict)
    fixed_cost: float = 0.0  # in distance units: what one more truck is worth in driving
    shift: tuple[float, float] = (0.0, math.inf)  # earliest departure, latest return
    max_shift: float | None = None  # longest working time, departure to return

    def class_capacity(self, cls: str) -> int:
        if not self.compartments:
            return self.capacity_crates
        return min(self.compartments.get(cls, 0), self.capacity_crates)


@dataclass(frozen=True)
class Break:
    """One driver break per route: `duration`, starting within `window`."""

    window: tuple[float, float]
    duration: float


@dataclass(frozen=True)
class Instance:
    name: str
    stops: list[Stop]
    vehicle_types: list[VehicleType]
    distance: np.ndarray  # (n+1) x (n+1), node 0 the depot
    travel: np.ndarray  # travel time, same shape, without service
    depot_window: tuple[float, float] = (0.0, math.inf)
    max_on_truck: float | None = None  # cold chain: departure to the end of the last delivery
    driver_break: Break | None = None
    scale: int = 1
    units: str = "m,s"
    depot_id: int | str = 0

    def __post_init__(self) -> None:
        n = len(self.stops) + 1
        for name, m in (("distance", self.distance), ("travel", self.travel)):
            if m.shape != (n, n):
                raise InputError(f"{name} matrix is {m.shape}, expected {(n, n)}", self.name)
            if not np.all(np.isfinite(m)) or np.any(m < 0):
                raise InputError(f"{name} matrix has negative or non-finite entries", self.name)
        if not self.vehicle_types or sum(v.count for v in self.vehicle_types) < 1:
            raise InputError("no vehicles", self.name)
        seen: set[int | str] = set()
        for s in self.stops:
            if s.id in seen:
                raise InputError(f"stop id {s.id!r} appears twice", self.name)
            seen.add(s.id)

    @property
    def classes(self) -> list[str]:
        return sorted({c for s in self.stops for c in s.crates})

    def vehicles(self) -> list[VehicleType]:
        """One entry per truck, types in the given order."""
        return [t for t in self.vehicle_types for _ in range(t.count)]

    def subset(self, keep: list[int]) -> Instance:
        """The same instance with only the stops at these indices (0-based into `stops`)."""
        nodes = [0, *[i + 1 for i in keep]]
        return replace(self, stops=[self.stops[i] for i in keep],
                       distance=self.distance[np.ix_(nodes, nodes)], travel=self.travel[np.ix_(nodes, nodes)])

    # integer views used by every engine
    def int_distance(self) -> np.ndarray:
        return np.rint(self.distance * self.scale).astype(np.int64)

    def int_travel(self) -> np.ndarray:
        return np.ceil(self.travel * self.scale - 1e-9).astype(np.int64)

    def int_time(self, t: float, up: bool) -> int:
        if math.isinf(t):
            return HORIZON if t > 0 else 0
        v = t * self.scale
        return min(HORIZON, int(math.ceil(v - 1e-9) if up else math.floor(v + 1e-9)))


HORIZON = 2**40  # "no limit" for integer times


@dataclass(frozen=True)
class Visit:
    stop: int | str
    arrival: float
    start: float  # service start (arrival + waiting)
    departure: float
    slack: float  # how much later the truck could arrive here without breaking a later window
    load_after: int  # crates still on the truck after this stop


@dataclass(frozen=True)
class Route:
    vehicle: int
    vehicle_type: str
    visits: list[Visit]
    depart: float
    back: float
    distance: float
    crates: dict[str, int]
    kg: int
    break_start: float | None = None

    @property
    def stops(self) -> list[int | str]:
        return [v.stop for v in self.visits]

    @property
    def loading_order(self) -> list[int | str]:
        """Load the last stop first so each stop's crates are at the door when it comes."""
        return self.stops[::-1]


@dataclass(frozen=True)
class Issue:
    stop: int | str
    reason: str
    code: str = ""  # stable key for the reason (a page words it in its own language): see schedule.REASONS


@dataclass
class Plan:
    engine: str
    routes: list[Route]
    infeasible: list[Issue]  # stops no vehicle can serve at all, named with the reason
    unserved: list[Issue]  # feasible alone but left out (fleet too small)
    seconds: float
    violations: list[str] = field(default_factory=list)  # empty when every route checks feasible
    cpu_seconds: float = 0.0  # CPU of every solver process together (a portfolio may use two cores)
    source: str = ""  # which member and step produced this plan, e.g. "ortools from pyvrp, repaired"

    @property
    def distance(self) -> float:
        return sum(r.distance for r in self.routes)

    @property
    def vehicles(self) -> int:
        return len(self.routes)

    def as_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "source": self.source,
            "distance": round(self.distance, 3),
            "vehicles": self.vehicles,
            "routes": [r.stops for r in self.routes],
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "feasible": not self.violations,
            "violations": self.violations,
            "infeasible": [{"stop": i.stop, "code": i.code, "reason": i.reason} for i in self.infeasible],
            "unserved": [{"stop": i.stop, "code": i.code, "reason": i.reason} for i in self.unserved],
            "detail": [
                {"vehicle": r.vehicle, "type": r.vehicle_type, "depart": round(r.depart, 3),
                 "back": round(r.back, 3), "distance": round(r.distance, 3), "crates": r.crates, "kg": r.kg,
                 "break_start": r.break_start, "loading_order": r.loading_order,
                 "stops": [{"stop": v.stop, "eta": round(v.arrival, 3), "start": round(v.start, 3),
                            "departure": round(v.departure, 3), "slack": round(v.slack, 3),
                            "load_after": v.load_after} for v in r.visits]}
                for r in self.routes],
        }
