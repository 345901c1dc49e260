"""Purchase orders to the orchards: one per supplier and delivery date, versioned as orders move.

The orchard picks to order (the article's 第三阶段), so the PO is what it picks. A late order or a
cancellation changes the PO: a new version that says what changed, which the supplier confirms
again. Once the dock has started receiving against a PO, a change is a conflict for a supervisor,
never a silent overwrite of what is already on the truck.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from edge.domain.aggregation import SupplierPurchase


class PoState(StrEnum):
    SENT = "sent"  # sent to HQ for the supplier, not yet confirmed
    CONFIRMED = "confirmed"  # the supplier confirmed quantities (maybe fewer)
    SHIPPED = "shipped"  # an advance shipping notice came: goods on the way
    RECEIVING = "receiving"  # the dock has started receiving against it
    RECEIVED = "received"  # receipt closed
    CANCELLED = "cancelled"  # nothing left to buy (all orders cancelled)


#: States in which a new version may still replace the PO's lines.
REVISABLE = frozenset({PoState.SENT, PoState.CONFIRMED, PoState.SHIPPED})


@dataclass(frozen=True)
class PoLine:
    sku_id: str
    quantity: int  # units, whole cases
    case_pack: int

    @property
    def cases(self) -> int:
        return self.quantity // self.case_pack


@dataclass(frozen=True)
class LineChange:
    sku_id: str
    before: int  # units; 0 = new line
    after: int  # units; 0 = line dropped


def po_id_for(supplier_id: str, delivery_date: str) -> str:
    return f"PO-{delivery_date.replace('-', '')}-{supplier_id}"


def po_lines(purchase: SupplierPurchase) -> dict[str, PoLine]:
    """What the supplier must pick: whole cases, so the units are cases x pack (never less than ordered)."""
    return {ln.sku_id: PoLine(ln.sku_id, ln.cases * ln.case_pack, ln.case_pack) for ln in purchase.lines}


def changes(before: Mapping[str, PoLine], after: Mapping[str, PoLine]) -> list[LineChange]:
    """Line by line, what a new version changes (sorted by SKU); empty when nothing did."""
    out = []
    for sku in sorted(set(before) | set(after)):
        old = before[sku].quantity if sku in before else 0
        new = after[sku].quantity if sku in after else 0
        if old != new:
            out.append(LineChange(sku, old, new))
    return out


def confirmed_supply(lines: Iterable[PoLine], confirmed: Mapping[str, int]) -> dict[str, int]:
    """Units the supplier will bring per SKU: its confirmation where it gave one, else the PO."""
    return {ln.sku_id: min(confirmed.get(ln.sku_id, ln.quantity), ln.quantity) for ln in lines}
