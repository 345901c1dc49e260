"""Road distances and travel times for delivery planning: the site's measured matrix where it has
the pair, otherwise straight-line distance times circuity at the site's speed.

The matrix file is CSV with a header `from,to,seconds,metres`, one directed pair per row; `from`
and `to` are store ids or the warehouse id (e.g. exported from the map service the site uses).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.domain.problems import Problem
from routing.vrp.matrix import haversine_matrices

HEADER = ("from", "to", "seconds", "metres")
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class TravelMatrix:
    source: Path
    pairs: dict[tuple[str, str], tuple[float, float]]  # (from, to) -> (seconds, metres)

    @property
    def places(self) -> set[str]:
        return {p for pair in self.pairs for p in pair}


def _number(text: str, column: str, where: str, problems: list[Problem]) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        problems.append(Problem(f"{where}.{column}", f"must be a number >= 0, got {text!r}"))
    return value


def parse_matrix(text: str, source: Path) -> tuple[TravelMatrix, list[Problem]]:
    """The matrix and every problem found (each path `line N.column`)."""
    problems: list[Problem] = []
    rows = csv.reader(io.StringIO(text))
    header = tuple(c.strip().lower() for c in next(rows, []))
    if header != HEADER:
        return TravelMatrix(source, {}), [Problem("line 1", f"the header must be {','.join(HEADER)}")]
    pairs: dict[tuple[str, str], tuple[float, float]] = {}
    for line_no, row in enumerate(rows, 2):
        where = f"line {line_no}"
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(HEADER):
            problems.append(Problem(where, f"expected {len(HEADER)} columns, got {len(row)}"))
            continue
        origin, destination = row[0].strip(), row[1].strip()
        if not origin or not destination:
            problems.append(Problem(where, "from and to must name a store or the warehouse"))
        elif (origin, destination) in pairs:
            problems.append(Problem(where, f"the pair {origin} -> {destination} appears twice"))
        seconds = _number(row[2].strip(), "seconds", where, problems)
        metres = _number(row[3].strip(), "metres", where, problems)
        pairs[(origin, destination)] = (seconds, metres)
        if len(problems) >= MAX_PROBLEMS:
            break
    return TravelMatrix(source, pairs), problems


def load_matrix(path: Path) -> tuple[TravelMatrix, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, or a NUL in the path
        return TravelMatrix(path, {}), [Problem("(root)", f"cannot read the travel-time matrix: {error}")]
    return parse_matrix(text, path)


def travel_matrices(places: list[tuple[str, float, float]], *, circuity: float, speed_mps: float,
                    measured: TravelMatrix | None) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) between the places (id, lat, lon), in the given order."""
    distance, travel = haversine_matrices(np.array([(lat, lon) for _, lat, lon in places], dtype=float),
                                          circuity, speed_mps)
    if measured is not None:
        index = {place: i for i, (place, _, _) in enumerate(places)}
        for (origin, destination), (seconds, metres) in measured.pairs.items():
            i, j = index.get(origin), index.get(destination)
            if i is not None and j is not None and i != j:
                travel[i, j], distance[i, j] = seconds, metres
    return distance, travel
