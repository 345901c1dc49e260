"""Which order lines a store's put fulfils: oldest order id first, then line number.

Sorting puts goods into a store's crate, not into an order; HQ wants picked quantities per order
line. A fixed order (HQ's ids sort by date and sequence) makes the split repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenLine:
    hq_order_id: str
    line_no: int
    quantity: int
    picked_qty: int


def allocate_put(lines: Sequence[OpenLine], quantity: int) -> list[tuple[OpenLine, int]]:
    """Spread `quantity` over `lines` in order; returns (line, units added) for lines that got any."""
    if quantity < 0:
        raise ValueError("a put cannot be negative")
    out = []
    left = quantity
    for line in sorted(lines, key=lambda ln: (ln.hq_order_id, ln.line_no)):
        if left == 0:
            break
        take = min(left, line.quantity - line.picked_qty)
        if take > 0:
            out.append((line, take))
            left -= take
    return out
