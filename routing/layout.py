"""Warehouse layout model: blocks of parallel aisles, cross aisles, zones, depots.

A layout file (YAML or JSON, see docs/routing.md) is parsed once into an immutable `Layout`.
Geometry: x runs across the aisles, y along them; every block's front cross aisle lies on
y = 0 and the front cross aisles of neighbouring blocks join into one corridor, so pickers
can walk between blocks only along the front. Pick faces on both sides of an aisle share the
aisle's centre line, so two facing bays are the same point.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from routing.errors import InputError

TEMPERATURES = ("ambient", "chilled", "frozen")
CROSS_NAMES = ("front", "middle", "back")
_CODE = re.compile(r"^\s*([A-Za-z]*)(\d{1,4})-(\d{1,4})(?:-(\d{1,3}))?\s*$")


@dataclass(frozen=True)
class Block:
    """A rectangle of parallel aisles with cross aisles at the front, back and optionally middle."""

    name: str
    first_aisle: int
    aisles: int
    bays_per_side: int
    bay_pitch: float
    aisle_width: float
    rack_depth: float
    cross_aisle_width: float
    levels: int
    middle_after_bay: int | None
    origin_x: float

    @property
    def aisle_pitch(self) -> float:
        return self.aisle_width + 2 * self.rack_depth

    @property
    def cross_ys(self) -> tuple[float, ...]:
        """Centre lines of the cross aisles, front first."""
        cw, p = self.cross_aisle_width, self.bay_pitch
        if self.middle_after_bay is None:
            return (0.0, cw + self.bays_per_side * p)
        return (0.0, cw + self.middle_after_bay * p, 2 * cw + self.bays_per_side * p)

    def aisle_x(self, aisle: int) -> float:
        return self.origin_x + (aisle - self.first_aisle) * self.aisle_pitch

    def position_y(self, position: int) -> float:
        """Centre of bay position `position` (1 = nearest the front)."""
        cw, p = self.cross_aisle_width, self.bay_pitch
        y = cw / 2 + (position - 0.5) * p
        if self.middle_after_bay is not None and position > self.middle_after_bay:
            y += cw
        return y

    def has(self, aisle: int) -> bool:
        return self.first_aisle <= aisle < self.first_aisle + self.aisles


@dataclass(frozen=True)
class Zone:
    name: str
    first_aisle: int
    last_aisle: int
    temperature: str


@dataclass(frozen=True)
class Depot:
    """A start or end point on a cross aisle (printer, pack-out, cold-room door)."""

    name: str
    block: int
    cross: int
    x: float

    @property
    def key(self) -> str:
        return f"@{self.name}"


@dataclass(frozen=True)
class Location:
    """A resolved storage location: where it is on the aisle graph and what it belongs to."""

    code: str
    aisle: int
    bay: int
    level: int
    block: int
    segment: int
    x: float
    y: float
    zone: str
    temperature: str

    @property
    def key(self) -> tuple[int, float]:
        """Two locations with the same key are the same point for walking."""
        return (self.aisle, self.y)


@dataclass(frozen=True)
class Layout:
    name: str
    blocks: tuple[Block, ...]
    zones: tuple[Zone, ...]
    depots: dict[str, Depot]
    aisle_prefix: str = "A"
    walking_speed: float = 1.0
    pick_seconds: float = 8.0
    level_seconds: float = 2.0

    def __hash__(self) -> int:
        return hash((self.name, self.blocks, self.zones, tuple(sorted(self.depots.items()))))

    def block_of(self, aisle: int) -> tuple[int, Block]:
        return _block_of(self.blocks, aisle)

    def zone_of(self, aisle: int) -> Zone:
        for z in self.zones:
            if z.first_aisle <= aisle <= z.last_aisle:
                return z
        return Zone("default", aisle, aisle, "ambient")

    def depot(self, name: str) -> Depot:
        try:
            return self.depots[name]
        except KeyError:
            raise InputError(f"no depot named {name!r} (have {sorted(self.depots)})", "depot") from None

    def resolve(self, code: str) -> Location:
        """Turn `A03-12-2` (aisle 03, bay 12, level 2; level optional) into a `Location`."""
        m = _CODE.match(code) if isinstance(code, str) else None
        if m is None:
            raise InputError(f"cannot read location code {code!r}; expected like A03-12-2", "location")
        prefix, aisle, bay, level = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4) or 1)
        if prefix.upper() != self.aisle_prefix.upper():
            raise InputError(f"location {code!r}: prefix {prefix!r} is not {self.aisle_prefix!r}", "location")
        bi, block = self.block_of(aisle)
        if not 1 <= bay <= 2 * block.bays_per_side:
            raise InputError(f"location {code!r}: bay {bay} outside 1..{2 * block.bays_per_side}", "location")
        if not 1 <= level <= block.levels:
            raise InputError(f"location {code!r}: level {level} outside 1..{block.levels}", "location")
        position = (bay + 1) // 2
        segment = 0 if block.middle_after_bay is None or position <= block.middle_after_bay else 1
        zone = self.zone_of(aisle)
        return Location(code.strip(), aisle, bay, level, bi, segment, block.aisle_x(aisle),
                        block.position_y(position), zone.name, zone.temperature)

    @property
    def is_single_block(self) -> bool:
        """True when the Ratliff-Rosenthal dynamic program applies exactly."""
        return len(self.blocks) == 1 and self.blocks[0].middle_after_bay is None

    def walking_seconds(self, metres: float, locations: list[Location]) -> float:
        """Walking plus handling time: distance at walking speed, a fixed time per pick, reaching up."""
        handling = sum(self.pick_seconds + (loc.level - 1) * self.level_seconds for loc in locations)
        return metres / self.walking_speed + handling


def _block_of(blocks: tuple[Block, ...], aisle: int) -> tuple[int, Block]:
    for i, b in enumerate(blocks):
        if b.has(aisle):
            return i, b
    raise InputError(f"aisle {aisle} is not in any block", "location")


def _num(d: dict[str, Any], key: str, where: str, default: float | None = None, positive: bool = True) -> float:
    v = d.get(key, default)
    if v is None:
        raise InputError(f"missing required field {key!r}", where)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"{key!r} must be a number, got {v!r}", where)
    if positive and v <= 0:
        raise InputError(f"{key!r} must be > 0, got {v!r}", where)
    return float(v)


def _int(d: dict[str, Any], key: str, where: str, default: int | None = None, minimum: int = 1) -> int:
    v = d.get(key, default)
    if v is None:
        raise InputError(f"missing required field {key!r}", where)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise InputError(f"{key!r} must be an integer >= {minimum}, got {v!r}", where)
    return v


def _block(d: Any, i: int, defaults: dict[str, Any], prev: Block | None) -> Block:
    where = f"blocks[{i}]"
    if not isinstance(d, dict):
        raise InputError("must be a mapping", where)
    d = {**defaults, **d}
    cross = d.get("cross_aisles", ["front", "back"])
    if not isinstance(cross, list) or any(c not in CROSS_NAMES for c in cross) or \
            "front" not in cross or "back" not in cross:
        raise InputError(f"cross_aisles must list front and back (and optionally middle), got {cross!r}", where)
    bays = _int(d, "bays_per_side", where)
    middle = None
    if "middle" in cross:
        middle = _int(d, "middle_after_bay", where)
        if middle >= bays:
            raise InputError(f"middle_after_bay {middle} must be below bays_per_side {bays}", where)
    first = _int(d, "first_aisle", where, default=(prev.first_aisle + prev.aisles) if prev else 1)
    aisle_w, rack = _num(d, "aisle_width", where, 3.0), _num(d, "rack_depth", where, 1.0)
    if "origin_x" in d:
        origin = _num(d, "origin_x", where, positive=False)
    elif prev is None:
        origin = 0.0
    else:
        origin = prev.aisle_x(prev.first_aisle + prev.aisles - 1) + prev.aisle_pitch + _num(
            d, "gap", where, 0.0, positive=False)
    return Block(str(d.get("name", f"block{i + 1}")), first, _int(d, "aisles", where), bays,
                 _num(d, "bay_pitch", where, 1.2), aisle_w, rack, _num(d, "cross_aisle_width", where, 3.0),
                 _int(d, "levels", where, 1), middle, origin)


def layout_from_dict(data: Any, source: str = "layout") -> Layout:
    """Validate a parsed layout document; every error names the field that is wrong."""
    if not isinstance(data, dict):
        raise InputError("top level must be a mapping", source)
    raw_blocks = data.get("blocks")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise InputError("'blocks' must be a non-empty list", source)
    defaults = {k: data[k] for k in ("bay_pitch", "aisle_width", "rack_depth", "cross_aisle_width", "levels")
                if k in data}
    blocks: list[Block] = []
    for i, b in enumerate(raw_blocks):
        blocks.append(_block(b, i, defaults, blocks[-1] if blocks else None))
    for a, b in itertools.pairwise(blocks):
        if b.first_aisle < a.first_aisle + a.aisles:
            raise InputError(f"block {b.name!r} aisle numbers overlap block {a.name!r}", source)
        if b.origin_x < a.aisle_x(a.first_aisle + a.aisles - 1):
            raise InputError(f"block {b.name!r} origin_x overlaps block {a.name!r}", source)
    zones = []
    raw_zones = data.get("zones") or []
    if not isinstance(raw_zones, list):
        raise InputError("'zones' must be a list of {name, aisles: [first, last], temperature}", source)
    for i, z in enumerate(raw_zones):
        where = f"{source}: zones[{i}]"
        if not isinstance(z, dict) or not isinstance(z.get("aisles"), list) or len(z["aisles"]) != 2:
            raise InputError("a zone needs name and aisles: [first, last]", where)
        temp = z.get("temperature", "ambient")
        if temp not in TEMPERATURES:
            raise InputError(f"temperature must be one of {TEMPERATURES}, got {temp!r}", where)
        lo, hi = z["aisles"]
        if not (isinstance(lo, int) and isinstance(hi, int) and lo <= hi):
            raise InputError(f"aisles must be two integers first <= last, got {z['aisles']!r}", where)
        zones.append(Zone(str(z.get("name", f"zone{i + 1}")), lo, hi, temp))
    raw_depots = data.get("depots") or {"start": {"aisle": blocks[0].first_aisle, "cross_aisle": "front"}}
    if not isinstance(raw_depots, dict):
        raise InputError("'depots' must map a name to {aisle, cross_aisle, offset}", source)
    depots: dict[str, Depot] = {}
    for name, d in raw_depots.items():
        where = f"{source}: depots.{name}"
        if not isinstance(d, dict):
            raise InputError("must be a mapping with aisle and cross_aisle", where)
        aisle = _int(d, "aisle", where)
        try:
            bi, block = _block_of(tuple(blocks), aisle)
        except InputError:
            raise InputError(f"aisle {aisle} is not in any block", where) from None
        cross = d.get("cross_aisle", "front")
        if cross not in CROSS_NAMES or (cross == "middle" and block.middle_after_bay is None):
            raise InputError(f"cross_aisle {cross!r} does not exist in block {block.name!r}", where)
        ci = {"front": 0, "middle": 1, "back": len(block.cross_ys) - 1}[cross]
        offset = _num(d, "offset", where, 0.0, positive=False)
        depots[str(name)] = Depot(str(name), bi, ci, block.aisle_x(aisle) + offset)
    return Layout(str(data.get("name", "layout")), tuple(blocks), tuple(zones), depots,
                  str(data.get("aisle_prefix", "A")),
                  _num(data, "walking_speed", source, 1.0), _num(data, "pick_seconds", source, 8.0, False),
                  _num(data, "level_seconds", source, 2.0, False))


def load_layout(path: str | Path) -> Layout:
    """Read a layout from a .yaml/.yml/.json file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read layout: {e}", str(p)) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise InputError(f"not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}: {e}", str(p)) from None
    return layout_from_dict(data, str(p))
