"""Receiving at the dock: what a scanned case label means against the PO (and its ASN), and how the
lot's Brix QC gates it. Pure rules, one source for the API and the page's feedback.

A refusal is a `Refused` with a message key (`floor.receive.refuse.<code>`) and the values the message
names — what was expected and what was scanned — never a sentence in one language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from biip.gs1_messages import GS1Message

from drivers.codecs.scanner import decode_scan
from edge.domain.floor.codes import classify


class LotDecision(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_REMARK = "accepted_with_remark"
    REJECTED = "rejected"


@dataclass(frozen=True)
class CaseLabel:
    """What a case's GS1 label says: item, lot, expiry (AI 17, else best before 15), count (AI 37),
    net weight (AI 310n) — or the pallet's SSCC."""

    gtin: str | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    count: int | None = None
    net_weight_g: int | None = None
    sscc: str | None = None


@dataclass(frozen=True)
class Refused:
    code: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectedItem:
    """A PO line as the dock sees it; `asn_lots` maps lot -> expiry when an ASN announced them."""

    sku_id: str
    name_zh: str
    name_en: str
    gtin: str
    case_pack: int
    ordered_units: int
    received_units: int
    asn_lots: Mapping[str, dt.date] | None = None

    @property
    def names(self) -> dict[str, str]:
        """The item's name for a message in either language (`{item}`)."""
        return {"item_zh": self.name_zh, "item_en": self.name_en}


@dataclass(frozen=True)
class CaseReceived:
    sku_id: str
    lot: str
    expiry: dt.date
    units: int
    net_weight_g: int | None


def _expiry(text: str) -> dt.date | None:
    """The label's use-by (17) or best-before (15) date; None when it carries neither."""
    try:
        if text.startswith("("):  # typed off the label: the same element string the bars hold
            text = "]C1" + GS1Message.parse_hri("".join(text.split())).value
        reading = decode_scan(text)
    except Exception:  # DecodeError, or biip (third-party) failing its own way on odd input
        return None
    return reading.expiry or reading.best_before


def read_label(text: str) -> CaseLabel | Refused:
    scanned = classify(text)
    if scanned.kind == "sscc":
        return CaseLabel(sscc=scanned.sscc)
    if scanned.kind != "item" or scanned.gtin is None:
        return Refused("not_a_case_label", {"scanned": scanned.text[:64]})
    return CaseLabel(gtin=scanned.gtin, lot=scanned.lot, expiry=_expiry(scanned.text), count=scanned.count,
                     net_weight_g=scanned.net_weight_g)


def judge_case(label: CaseLabel, expected: list[ExpectedItem], *, delivery_date: dt.date,
               cases: int = 1, weight_g: int | None = None, weight_stable: bool | None = None
               ) -> CaseReceived | Refused:
    """Accept `cases` of the labelled item against the PO, or say what was expected instead."""
    by_gtin = {item.gtin: item for item in expected}
    item = by_gtin.get(label.gtin or "")
    if item is None:
        return Refused("unknown_item", {"scanned": label.gtin or "",
                                        "expected_zh": "、".join(i.name_zh for i in expected),
                                        "expected_en": ", ".join(i.name_en for i in expected)})
    if not label.lot:
        return Refused("lot_missing", item.names)
    if label.expiry is None:
        return Refused("expiry_missing", {**item.names, "lot": label.lot})
    if item.asn_lots is not None and label.lot not in item.asn_lots:
        return Refused("lot_not_announced", {**item.names, "scanned": label.lot,
                                             "expected": ", ".join(sorted(item.asn_lots)) or "—"})
    if label.expiry < delivery_date:
        return Refused("expired", {**item.names, "lot": label.lot, "expiry": label.expiry.isoformat()})
    if weight_g is not None and weight_stable is not True:
        return Refused("weight_unstable", item.names)
    if cases < 1:
        return Refused("bad_count", {"count": cases})
    units = label.count if label.count is not None else cases * item.case_pack
    remaining = item.ordered_units - item.received_units
    if units > remaining:
        return Refused("over_po", {**item.names, "units": units, "remaining": max(remaining, 0)})
    return CaseReceived(item.sku_id, label.lot, label.expiry, units,
                        weight_g if weight_g is not None else label.net_weight_g)


def gate(*, has_spec: bool, qc_passed: bool | None, requested: LotDecision | None,
         remark: str) -> LotDecision | Refused:
    """The lot's fate from its Brix check: a passed lot is accepted (or rejected for damage, with a
    remark); a failed one needs the receiver's choice — accept with a remark, or reject."""
    if requested is not None and requested != LotDecision.ACCEPTED and len(remark.strip()) < 3:
        return Refused("remark_needed", {})
    if not has_spec:
        return requested or LotDecision.ACCEPTED
    if qc_passed is None:
        return Refused("qc_missing", {})
    if qc_passed:
        return requested or LotDecision.ACCEPTED
    if requested in (LotDecision.ACCEPTED_WITH_REMARK, LotDecision.REJECTED):
        return requested
    return Refused("qc_failed_choose", {})
