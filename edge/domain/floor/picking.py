"""The picking rule: does this scan fit the tour's current stop, and how far does it count up?

A tour is walked stop by stop: first the location, then the item, one scan per unit (or the
net weight in grams of a GS1 variable-weight label), never beyond what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.domain.floor.codes import Scanned


@dataclass(frozen=True)
class StopState:
    stop_no: int
    location_code: str
    sku_id: str
    gtin: str
    lot: str
    quantity: int
    picked_qty: int
    at_location: bool
    variable_weight: bool


@dataclass(frozen=True)
class PickDecision:
    """`code` is "ok" or a refusal; on ok, `added` units go onto the stop."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    arrived: bool = False  # the scan was the stop's location
    added: int = 0
    capped: bool = False

    @property
    def ok(self) -> bool:
        return self.code == "ok"


def judge_scan(stop: StopState, scanned: Scanned, finished: StopState | None = None) -> PickDecision:
    """The decision for one scan against the current stop (ownership and versions are checked before).

    `finished` is the stop completed just before: one more of its item means the picker is
    taking more than asked, which deserves that message rather than "scan the next location".
    """
    if scanned.kind == "location":
        if scanned.text != stop.location_code:
            return PickDecision("wrong_location", {"expected": stop.location_code, "got": scanned.text})
        return PickDecision("ok", arrived=True)
    if scanned.kind != "item" or scanned.gtin is None:
        reason = scanned.reason or f"a {scanned.kind} code is not a pick"
        return PickDecision("unknown_code", {"reason": reason})
    if finished is not None and scanned.gtin == finished.gtin and (not stop.at_location or scanned.gtin != stop.gtin):
        return PickDecision("over_quantity", {"quantity": finished.quantity, "stop_no": finished.stop_no})
    if not stop.at_location:
        return PickDecision("location_first", {"expected": stop.location_code})
    if scanned.gtin != stop.gtin:
        return PickDecision("wrong_item", {"expected": stop.sku_id, "got": scanned.gtin})
    if scanned.lot is not None and scanned.lot != stop.lot:
        return PickDecision("wrong_lot", {"expected": stop.lot, "got": scanned.lot})
    left = stop.quantity - stop.picked_qty
    if left <= 0:
        return PickDecision("over_quantity", {"quantity": stop.quantity})
    if stop.variable_weight:
        if scanned.net_weight_g is None or scanned.net_weight_g <= 0:
            return PickDecision("unknown_code", {"reason": "a weighed item needs its GS1 net weight (AI 310x)"})
        amount = scanned.net_weight_g
    else:
        amount = 1
    if amount > left:
        return PickDecision("ok", {"quantity": stop.quantity}, added=left, capped=True)
    return PickDecision("ok", added=amount)


def current_stop(stops: list[StopState], statuses: dict[int, str]) -> StopState | None:
    """The first stop, in walking order, that is neither done nor shorted."""
    for stop in sorted(stops, key=lambda s: s.stop_no):
        if statuses.get(stop.stop_no, "open") == "open":
            return stop
    return None
