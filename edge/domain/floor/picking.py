"""The picking rule: does this scan fit the tour's current stop, and how far does it count up?

A tour is walked stop by stop: first the location, then the item. An item scan counts the units
it stands for: the case's count (GS1 AI 37, else 1) times the count the picker keyed (else 1),
or the net weight in grams of a GS1 variable-weight label; never beyond what was asked.
Refusals carry codes and parameters only (texts are the catalogs' `floor.scan.<code>`).
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
    name_zh: str = ""
    name_en: str = ""


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


def _names(prefix: str, stop: StopState) -> dict[str, str]:
    return {f"{prefix}_name_zh": stop.name_zh or stop.sku_id, f"{prefix}_name_en": stop.name_en or stop.sku_id}


def judge_scan(stop: StopState, scanned: Scanned, finished: StopState | None = None,
               keyed: int | None = None) -> PickDecision:
    """The decision for one scan against the current stop (ownership and versions are checked before).

    `finished` is the stop completed just before: one more of its item means the picker is
    taking more than asked, which deserves that message rather than "scan the next location".
    `keyed` is the count the picker typed for this scan (how many of what was scanned).
    """
    if scanned.kind == "location":
        if scanned.text != stop.location_code:
            return PickDecision("wrong_location", {"expected": stop.location_code, "got": scanned.text})
        return PickDecision("ok", arrived=True)
    if scanned.kind != "item" or scanned.gtin is None:
        return PickDecision("unknown_code", {"reason_code": scanned.reason or "not_a_pick", "got": scanned.text[:40]})
    if finished is not None and scanned.gtin == finished.gtin and (not stop.at_location or scanned.gtin != stop.gtin):
        return PickDecision("over_quantity", {"quantity": finished.quantity, "stop_no": finished.stop_no})
    if not stop.at_location:
        return PickDecision("location_first", {"expected": stop.location_code})
    if scanned.gtin != stop.gtin:
        return PickDecision("wrong_item", {"expected": stop.gtin, "got": scanned.gtin, **_names("expected", stop)})
    if scanned.lot is not None and scanned.lot != stop.lot:
        return PickDecision("wrong_lot", {"expected": stop.lot, "got": scanned.lot})
    left = stop.quantity - stop.picked_qty
    if left <= 0:
        return PickDecision("over_quantity", {"quantity": stop.quantity})
    if stop.variable_weight:
        if scanned.net_weight_g is None or scanned.net_weight_g <= 0:
            return PickDecision("unknown_code", {"reason_code": "needs_weight", "got": scanned.text[:40]})
        if scanned.net_weight_g > left:
            return PickDecision("ok", {"quantity": stop.quantity}, added=left, capped=True)
        return PickDecision("ok", added=scanned.net_weight_g)
    amount = (scanned.count or 1) * (keyed or 1)
    if amount > left:
        return PickDecision("too_many", {"count": amount, "left": left, "quantity": stop.quantity})
    return PickDecision("ok", added=amount)


def judge_tour_scan(stops: list[tuple[StopState, str]], scanned: Scanned,
                    keyed: int | None = None) -> tuple[StopState | None, PickDecision]:
    """The current stop (first open one, in walking order) and the decision for an item or location scan."""
    ordered = sorted(stops, key=lambda pair: pair[0].stop_no)
    current = next((s for s, status in ordered if status == "open"), None)
    if current is None:
        return None, PickDecision("tour_finished")
    before = [s for s, _ in ordered if s.stop_no < current.stop_no]
    finished = before[-1] if before and before[-1].picked_qty >= before[-1].quantity else None
    return current, judge_scan(current, scanned, finished, keyed)


def judge_drop(stops: list[tuple[StopState, str]], scanned: Scanned) -> PickDecision:
    """Dropping the cart at the sort station: every stop closed, and the scan is a station's code."""
    if any(status == "open" for _, status in stops):
        return PickDecision("tour_not_done")
    if scanned.kind != "station":
        return PickDecision("not_a_station", {"got": scanned.text[:40]})
    return PickDecision("ok", {"station": scanned.text})
