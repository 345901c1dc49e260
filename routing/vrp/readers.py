"""Instance readers: Solomon and CVRPLIB through `vrplib`, and our JSON format (docs/routing.md).

Distance conventions follow each format: Solomon is Euclidean, not rounded (scaled x1000 for the
engines); CVRPLIB is rounded per edge as its EDGE_WEIGHT_TYPE says (EUC_2D: nearest integer,
CEIL_2D: up); our JSON takes supplied matrices or derives them from coordinates.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import vrplib

from routing.errors import InputError
from routing.vrp.matrix import haversine_matrices, planar_matrices
from routing.vrp.model import Break, Instance, Stop, VehicleType

FORMATS = ("solomon", "vrplib", "json")


def read_instance(path: str | Path, fmt: str | None = None) -> Instance:
    """Read an instance; `fmt` defaults from the file (.json, .vrp, else Solomon text)."""
    p = Path(path)
    if fmt is None:
        fmt = {".json": "json", ".vrp": "vrplib"}.get(p.suffix.lower(), "solomon")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {FORMATS}", str(p))
    if fmt == "json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"cannot read JSON instance: {e}", str(p)) from None
        return instance_from_dict(data, str(p))
    try:
        raw = vrplib.read_instance(p, instance_format=fmt, compute_edge_weights=fmt == "solomon")
    except Exception as e:  # vrplib raises many kinds on malformed files
        raise InputError(f"cannot read {fmt} file: {type(e).__name__}: {e}", str(p)) from None
    return _from_solomon(raw, str(p)) if fmt == "solomon" else _from_cvrplib(raw, str(p))


def _from_solomon(raw: dict[str, Any], where: str) -> Instance:
    try:
        tw, demand, service = raw["time_window"], raw["demand"], raw["service_time"]
        stops = [Stop(i, {"ambient": int(demand[i])}, 0, (float(tw[i][0]), float(tw[i][1])), float(service[i]))
                 for i in range(1, len(demand))]
        depot_window = (float(tw[0][0]), float(tw[0][1]))
        truck = VehicleType("truck", int(raw["vehicles"]), int(raw["capacity"]), shift=depot_window)
        dist = np.asarray(raw["edge_weight"], dtype=float)
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise InputError(f"not a Solomon instance ({type(e).__name__}: {e})", where) from None
    return Instance(str(raw.get("name", Path(where).stem)), stops, [truck], dist, dist.copy(),
                    depot_window=depot_window, scale=1000, units="solomon")


def _rounded(raw: dict[str, Any], where: str) -> np.ndarray:
    kind = str(raw.get("edge_weight_type", "EXPLICIT")).upper()
    if kind == "EXPLICIT":
        return np.asarray(raw["edge_weight"], dtype=float)
    coords = np.asarray(raw["node_coord"], dtype=float)
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))
    if kind == "EUC_2D":
        return np.floor(d + 0.5)
    if kind == "CEIL_2D":
        return np.ceil(d)
    raise InputError(f"EDGE_WEIGHT_TYPE {kind} is not supported (EUC_2D, CEIL_2D, EXPLICIT are)", where)


def _from_cvrplib(raw: dict[str, Any], where: str) -> Instance:
    try:
        dist = _rounded(raw, where)
        demand = [int(x) for x in raw["demand"]]
        depot = int(np.asarray(raw.get("depot", [0])).ravel()[0])
        order = [depot, *[i for i in range(len(demand)) if i != depot]]
        dist = dist[np.ix_(order, order)]
        stops = [Stop(i + 1, {"ambient": demand[i]}) for i in order[1:]]
        truck = VehicleType("truck", len(stops), int(raw["capacity"]))
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise InputError(f"not a CVRPLIB instance ({type(e).__name__}: {e})", where) from None
    return Instance(str(raw.get("name", Path(where).stem)), stops, [truck], dist, dist.copy(), depot_id=depot + 1,
                    units="cvrplib")


def _pair(v: Any, where: str, default: tuple[float, float]) -> tuple[float, float]:
    if v is None:
        return default
    if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) and not isinstance(x, bool)
                                                       for x in v) and v[0] <= v[1]):
        raise InputError(f"must be [earliest, latest] numbers, got {v!r}", where)
    return float(v[0]), float(v[1])


def _nonneg(d: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    v = d.get(key, default)
    if v is None:
        raise InputError(f"missing {key!r}", where)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
        raise InputError(f"{key!r} must be a number >= 0, got {v!r}", where)
    return float(v)


def _count(d: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InputError(f"{key!r} must be an integer >= 0, got {v!r}", where)
    return v


def _crates(v: Any, where: str) -> dict[str, int]:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return {"chilled": v}
    if isinstance(v, dict) and all(isinstance(k, str) and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                   for k, n in v.items()):
        return dict(v)
    raise InputError(f"crates must be an integer or {{class: integer}}, got {v!r}", where)


_FIELDS = {
    "": {"name", "depot", "speed_kmh", "circuity", "max_on_truck", "break", "stops", "vehicles", "matrix"},
    "depot": {"id", "name", "lat", "lon", "x", "y", "window"},
    "stops": {"id", "name", "lat", "lon", "x", "y", "window", "service", "crates", "kg"},
    "vehicles": {"type", "count", "capacity_crates", "capacity_kg", "compartments", "fixed_cost", "shift", "max_shift"},
}


def _known(d: dict[str, Any], part: str, where: str) -> None:
    """A misspelt field would silently drop a constraint (a cap, a window): name it instead."""
    unknown = sorted(set(d) - _FIELDS[part])
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r}; known: {', '.join(sorted(_FIELDS[part]))}", where)


def instance_from_dict(data: Any, where: str = "instance") -> Instance:
    """Validate our JSON instance format; errors name the stop, vehicle or field at fault."""
    if not isinstance(data, dict):
        raise InputError("top level must be an object", where)
    _known(data, "", where)
    depot, raw_stops, raw_vehicles = data.get("depot"), data.get("stops"), data.get("vehicles")
    if not isinstance(depot, dict):
        raise InputError("'depot' must be an object", where)
    _known(depot, "depot", f"{where}: depot")
    if not isinstance(raw_stops, list) or not isinstance(raw_vehicles, list) or not raw_vehicles:
        raise InputError("'stops' must be a list and 'vehicles' a non-empty list", where)
    stops: list[Stop] = []
    for i, s in enumerate(raw_stops):
        w = f"{where}: stops[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("id"), int | str) or isinstance(s.get("id"), bool):
            raise InputError("a stop needs an 'id' (string or integer)", w)
        _known(s, "stops", w)
        stops.append(Stop(s["id"], _crates(s.get("crates", 0), w), _count(s, "kg", w, 0),
                          _pair(s.get("window"), f"{w}.window", (0.0, math.inf)), _nonneg(s, "service", w, 0)))
    types: list[VehicleType] = []
    for i, v in enumerate(raw_vehicles):
        w = f"{where}: vehicles[{i}]"
        if not isinstance(v, dict):
            raise InputError("must be an object", w)
        _known(v, "vehicles", w)
        comp = v.get("compartments") or {}
        if not isinstance(comp, dict) or not all(isinstance(n, int) and n >= 0 for n in comp.values()):
            raise InputError("compartments must map a temperature class to a crate count", w)
        kg = v.get("capacity_kg")
        types.append(VehicleType(str(v.get("type", f"type{i + 1}")), _count(v, "count", w, 1),
                                 _count(v, "capacity_crates", w), None if kg is None else _count(v, "capacity_kg", w),
                                 dict(comp), _nonneg(v, "fixed_cost", w, 0),
                                 _pair(v.get("shift"), f"{w}.shift", (0.0, math.inf)),
                                 None if v.get("max_shift") is None else _nonneg(v, "max_shift", w)))
    n = len(stops) + 1
    if isinstance(data.get("matrix"), dict):
        try:
            dist = np.asarray(data["matrix"]["distance"], dtype=float)
            travel = np.asarray(data["matrix"]["duration"], dtype=float)
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"matrix needs distance and duration, {n}x{n} numbers: {e}", where) from None
    else:
        points = [depot, *raw_stops]
        speed = _nonneg(data, "speed_kmh", where, 30.0) / 3.6
        circuity = _nonneg(data, "circuity", where, 1.3)
        if all("lat" in p and "lon" in p for p in points):
            dist, travel = haversine_matrices(_coords(points, ("lat", "lon"), where), circuity, speed)
        elif all("x" in p and "y" in p for p in points):
            dist, travel = planar_matrices(_coords(points, ("x", "y"), where), circuity, speed)
        else:
            raise InputError("give every stop and the depot lat/lon (or x/y), or supply 'matrix'", where)
    brk = data.get("break")
    driver_break = None
    if brk is not None:
        if not isinstance(brk, dict):
            raise InputError("'break' must be {window: [a, b], duration: s}", where)
        driver_break = Break(_pair(brk.get("window"), f"{where}: break.window", (0.0, math.inf)),
                             _nonneg(brk, "duration", f"{where}: break"))
    return Instance(str(data.get("name", Path(where).stem)), stops, types, dist, travel,
                    _pair(depot.get("window"), f"{where}: depot.window", (0.0, math.inf)),
                    None if data.get("max_on_truck") is None else _nonneg(data, "max_on_truck", where),
                    driver_break, depot_id=depot.get("id", 0) if isinstance(depot.get("id", 0), int | str) else 0)


def _coords(points: list[Any], keys: tuple[str, str], where: str) -> np.ndarray:
    try:
        out = np.array([[float(p[keys[0]]), float(p[keys[1]])] for p in points])
    except (TypeError, ValueError) as e:
        raise InputError(f"coordinates must be numbers: {e}", where) from None
    if not np.all(np.isfinite(out)):
        raise InputError("coordinates must be finite", where)
    return out
