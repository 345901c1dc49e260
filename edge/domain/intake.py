"""Order intake rules: what makes a batch acceptable, and what a new order version may change.

A batch is checked whole against the master data before anything is written; then each order
is compared with the edge's copy. HQ owns order content until picking starts; after that the
floor owns the facts, so a change becomes a conflict for a supervisor and HQ, not an overwrite.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge.domain.problems import Problem
from hq_sync.protocol import Order

#: Order statuses in which HQ may still replace or cancel an order without asking anyone.
CHANGEABLE_STATUSES = frozenset({"open", "cancelled"})


@dataclass(frozen=True)
class MasterData:
    """What intake checks references against: known stores, and each SKU's GTIN."""

    store_ids: frozenset[str]
    sku_gtins: Mapping[str, str]


@dataclass(frozen=True)
class ExistingOrder:
    version: int
    status: str
    content_sha256: str
    picked_units: int


class Decision(enum.Enum):
    INSERT = "insert"
    REPLACE = "replace"
    UNCHANGED = "unchanged"
    STALE = "stale"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str = ""


def order_content_hash(order: Order) -> str:
    """Hash of what HQ decides about an order, so a re-sent version is recognised as the same."""
    body = order.model_dump(mode="json", exclude={"version"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def check_orders(orders: Sequence[Order], master: MasterData, today: dt.date) -> list[Problem]:
    """Every problem of a batch that needs the edge's data to see, with its path."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for i, order in enumerate(orders):
        at = f"orders[{i}]"
        if order.hq_order_id in first_index:
            problems.append(Problem(
                f"{at}.hq_order_id",
                f"order {order.hq_order_id} appears twice (first at orders[{first_index[order.hq_order_id]}])",
            ))
        first_index.setdefault(order.hq_order_id, i)
        if order.store_id not in master.store_ids:
            problems.append(Problem(f"{at}.store_id", f"unknown store {order.store_id!r}"))
        if order.delivery_date < today:
            problems.append(Problem(
                f"{at}.delivery_date", f"delivery date {order.delivery_date} is in the past (today is {today})"
            ))
        problems.extend(_check_lines(order, master, at))
    return problems


def _check_lines(order: Order, master: MasterData, at: str) -> list[Problem]:
    problems = []
    seen_line_no: set[int] = set()
    seen_sku: dict[str, int] = {}
    for j, line in enumerate(order.lines):
        where = f"{at}.lines[{j}]"
        if line.line_no in seen_line_no:
            problems.append(Problem(f"{where}.line_no", f"line number {line.line_no} is used twice"))
        seen_line_no.add(line.line_no)
        if line.sku_id in seen_sku:
            problems.append(Problem(
                f"{where}.sku_id", f"SKU {line.sku_id} is already ordered on lines[{seen_sku[line.sku_id]}]"
            ))
        seen_sku.setdefault(line.sku_id, j)
        known_gtin = master.sku_gtins.get(line.sku_id)
        if known_gtin is None:
            problems.append(Problem(f"{where}.sku_id", f"unknown SKU {line.sku_id!r}"))
        elif line.gtin is not None and line.gtin != known_gtin:
            problems.append(Problem(
                f"{where}.gtin", f"GTIN {line.gtin} does not belong to SKU {line.sku_id} (its GTIN is {known_gtin})"
            ))
    return problems


def judge(incoming: Order, existing: ExistingOrder | None) -> Verdict:
    """What to do with an incoming order version given the edge's copy."""
    if existing is None:
        return Verdict(Decision.INSERT)
    if incoming.version < existing.version:
        return Verdict(Decision.STALE, f"version {incoming.version} is older than {existing.version}")
    same_content = order_content_hash(incoming) == existing.content_sha256
    if incoming.version == existing.version:
        if same_content:
            return Verdict(Decision.UNCHANGED)
        return Verdict(Decision.CONFLICT, f"version {incoming.version} re-sent with different content")
    if existing.status in CHANGEABLE_STATUSES and existing.picked_units == 0:
        return Verdict(Decision.REPLACE)
    change = "cancelled" if incoming.status == "cancelled" else "changed"
    return Verdict(
        Decision.CONFLICT,
        f"order {change} by HQ (version {existing.version} -> {incoming.version}) after picking started"
        f" (status {existing.status}, {existing.picked_units} units picked)",
    )
