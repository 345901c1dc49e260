"""Read and check a site file with the parts it names; every problem carries the file and field path.

A site that loads is usable as a whole: the layout resolves, the tour points and sort stations are
depots of that layout, the devices and cold assets validate, the travel-time matrix parses.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from drivers.site import SiteConfig
from edge.domain.problems import InputRejected, Problem, problems_from_validation
from edge.services.coldchain_assets import ColdChainSpec
from edge.site.document import SiteDocument
from edge.site.travel import TravelMatrix, load_matrix, travel_matrices
from routing.errors import InputError
from routing.layout import Layout, layout_from_dict

M = TypeVar("M", bound=BaseModel)


class SiteFileError(InputRejected):
    """The site file (or a file it names) cannot be used; `problems` has each field path."""

    def __init__(self, file: Path, problems: list[Problem]):
        self.file = file
        super().__init__(problems, f"site file {file}")

    def one_line(self) -> str:
        """For a node that refuses to start: the file, the first field and how many more."""
        first = self.problems[0]
        more = len(self.problems) - 1
        tail = f" (and {more} more: haolin-edge site check {self.file})" if more else ""
        return f"site file {self.file}: {first.path}: {first.message}{tail}"


@dataclass(frozen=True)
class Site:
    """The running site's facts, resolved: what tours, routes, the fleet and the devices use."""

    file: Path
    document: SiteDocument
    layout: Layout
    travel: TravelMatrix | None
    devices: SiteConfig | None
    coldchain: ColdChainSpec | None

    @property
    def warehouse_id(self) -> str:
        return self.document.warehouse.id

    @property
    def position(self) -> tuple[float, float]:
        return (self.document.warehouse.position.lat, self.document.warehouse.position.lon)

    @property
    def dispatch_window(self) -> tuple[float, float]:
        """Seconds after local midnight: earliest departure, latest return."""
        hours = self.document.delivery.dispatch_hours
        return (seconds_of_day(hours.leave_from), seconds_of_day(hours.back_by))

    def max_on_truck(self, classes: set[str]) -> float | None:
        """Seconds: the tightest cap of the classes on the trucks (the solver takes one cap per plan)."""
        caps = [m * 60.0 for c, m in self.document.delivery.max_on_truck_minutes.items() if c in classes]
        return min(caps) if caps else None

    def service_seconds(self, store_minutes: int | None) -> float:
        """Time at a store: its own minutes, else the site's default."""
        minutes = self.document.delivery.service_minutes if store_minutes is None else store_minutes
        return minutes * 60.0

    def delivery_matrices(self, stores: list[tuple[str, float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(metres, seconds) with the warehouse as node 0 and the stores (id, lat, lon) after it."""
        delivery = self.document.delivery
        return travel_matrices([(self.warehouse_id, *self.position), *stores], circuity=delivery.circuity,
                               speed_mps=delivery.speed_kmh / 3.6, measured=self.travel)


def seconds_of_day(hhmm: str) -> float:
    """Local "HH:MM" (a dispatch hour, a store's window) as seconds after midnight."""
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 3600.0 + int(minutes or 0) * 60.0


def _read(path: Path) -> Any:
    """A YAML (or JSON) document, or TOML by suffix; ValueError says why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError, RecursionError) as error:  # ValueError: bad UTF-8/TOML, NUL in path
        raise ValueError(f"cannot read {path}: {error}".replace("\n", " ")) from None


class _Parts:
    """Resolves parts written inline or by file, collecting problems with their paths."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[Problem] = []

    def data(self, raw: Any, name: str) -> tuple[Any, str] | None:
        """(the part's data, the prefix its field paths get), or None after a problem."""
        if isinstance(raw, dict):
            return raw, name
        if isinstance(raw, str) and raw.strip():
            path = self.base / raw
            try:
                return _read(path), f"{name} ({path})"
            except ValueError as error:
                self.problems.append(Problem(name, str(error)))
                return None
        self.problems.append(Problem(name, "must be a mapping (inline) or the path of its file"))
        return None

    def model(self, raw: Any, name: str, model: type[M]) -> M | None:
        part = self.data(raw, name)
        if part is None:
            return None
        data, prefix = part
        try:
            return model.model_validate(data if data is not None else {})
        except ValidationError as error:
            self.problems += [_under(prefix, p) for p in problems_from_validation(error)]
            return None

    def layout(self, raw: Any, name: str) -> Layout | None:
        part = self.data(raw, "layout")
        if part is None:
            return None
        data, prefix = part
        try:
            return layout_from_dict({"name": name, **data} if isinstance(data, dict) else data, "layout")
        except InputError as error:
            where = error.where.removeprefix("layout").removeprefix(": ")
            message = str(error).removeprefix(f"{error.where}: ")
            self.problems.append(_under(prefix, Problem(where or "(root)", message)))
            return None


def _under(prefix: str, problem: Problem) -> Problem:
    if problem.path == "(root)":
        return Problem(prefix, problem.message)
    joint = " " if prefix.endswith(")") else "."
    return Problem(f"{prefix}{joint}{problem.path}", problem.message)


def _points(document: SiteDocument, layout: Layout) -> list[Problem]:
    known = sorted(layout.depots)
    named = [("points.start", document.points.start), ("points.drop_off", document.points.drop_off)]
    named += [(f"sort_stations[{i}].point", s.point) for i, s in enumerate(document.sort_stations)]
    return [Problem(path, f"{depot!r} is not a depot of the layout (have {', '.join(known)})")
            for path, depot in named if depot not in layout.depots]


def _text(data: dict[str, Any], *path: str) -> str | None:
    """A string at `path` of the raw document, if there is one (for checking parts of a bad document)."""
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) else None


def parse_site_document(data: dict[str, Any], file: Path) -> Site:
    """Check a parsed site document whose relative paths are relative to `file`'s folder. The parts
    (layout, devices, cold chain, matrix) are checked even when the document's own fields are not
    right, so that one run reports every problem."""
    parts = _Parts(file.parent)
    try:
        document: SiteDocument | None = SiteDocument.model_validate(data)
    except ValidationError as error:
        document = None
        parts.problems += problems_from_validation(error)
    layout = None
    if "layout" in data:
        layout = parts.layout(data["layout"], _text(data, "warehouse", "id") or "layout")
    if layout is not None and document is not None:
        parts.problems += _points(document, layout)
    devices = None if data.get("devices") is None else parts.model(data["devices"], "devices", SiteConfig)
    coldchain = None if data.get("coldchain") is None else parts.model(data["coldchain"], "coldchain", ColdChainSpec)
    travel = None
    matrix = _text(data, "delivery", "travel_matrix")
    if matrix is not None:
        matrix_file = file.parent / matrix
        travel, matrix_problems = load_matrix(matrix_file)
        parts.problems += [_under(f"delivery.travel_matrix ({matrix_file})", p) for p in matrix_problems]
    if parts.problems or document is None or layout is None:
        raise SiteFileError(file, parts.problems)
    return Site(file, document, layout, travel, devices, coldchain)


def load_site_file(path: Path) -> Site:
    """The site in `path`; SiteFileError lists every problem, each with its file and field."""
    try:
        data = _read(path)
    except ValueError as error:
        raise SiteFileError(path, [Problem("(file)", str(error))]) from None
    if not isinstance(data, dict):
        raise SiteFileError(path, [Problem("(root)", "the site file must be a YAML mapping")])
    return parse_site_document(data, path)


def check_warehouse(site: Site, warehouse_id: str) -> None:
    """The node's setting and the site file must describe the same warehouse."""
    if site.warehouse_id != warehouse_id:
        raise SiteFileError(site.file, [Problem("warehouse.id", f"is {site.warehouse_id!r} but the setting"
                                                                f" warehouse_id is {warehouse_id!r}")])
