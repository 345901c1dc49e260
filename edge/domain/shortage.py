"""Share a short supply of one SKU across the stores that ordered it, then across their orders.

The rule (docs/purchasing.md, "Shortage allocation"), chosen so that every store gets its fair part
and no customer gets a broken pack:

1. Work in whole packs (the SKU's minimum sale pack): supply and every order line are converted to
   packs; units of supply short of a full pack are not handed out.
2. Across stores, proportional to what each ordered, by largest remainder (Hamilton): each store
   gets the floor of `supply × ordered / total ordered`; the packs left go one each to the largest
   fractional parts. Equal remainders go to the store whose first order came earlier, then by id.
   The sum never exceeds the supply, and no store gets more than it ordered.
3. Within a store, orders are served whole in the order they were placed (first come, first
   served), so a late order is the one that goes short, and only the one at the boundary is cut.

Pure: no database, no clock. The service applies the result and tells HQ each shorted line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderedLine:
    """One customer order line for the SKU: how many units, placed when, for which store."""

    hq_order_id: str
    line_no: int
    store_id: str
    ordered_at: dt.datetime
    quantity: int


@dataclass(frozen=True)
class LineShare:
    line: OrderedLine
    allocated: int

    @property
    def short(self) -> int:
        return self.line.quantity - self.allocated


def largest_remainder(supply: int, demands: dict[str, int], tie_order: Sequence[str]) -> dict[str, int]:
    """Hamilton apportionment of `supply` over `demands` (capped at each demand); ties in the
    fractional part go in `tie_order`."""
    total = sum(demands.values())
    if supply >= total:
        return dict(demands)
    rank = {key: n for n, key in enumerate(tie_order)}
    shares = {key: supply * want // total for key, want in demands.items()}
    left = supply - sum(shares.values())
    by_remainder = sorted(demands, key=lambda key: (-(supply * demands[key] % total), rank[key]))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


def share_shortage(supply_units: int, lines: Iterable[OrderedLine], pack: int = 1) -> list[LineShare]:
    """Each line's allocated units (multiples of `pack`) when `supply_units` must cover `lines`."""
    if pack < 1:
        raise ValueError(f"a pack holds at least one unit, not {pack}")
    if supply_units < 0:
        raise ValueError(f"supply cannot be negative ({supply_units})")
    ordered = sorted(lines, key=lambda ln: (ln.ordered_at, ln.hq_order_id, ln.line_no))
    for line in ordered:
        if line.quantity % pack:
            raise ValueError(f"order {line.hq_order_id} line {line.line_no}: {line.quantity} units "
                             f"is not a whole number of packs of {pack}")
    per_store: dict[str, list[OrderedLine]] = defaultdict(list)
    for line in ordered:
        per_store[line.store_id].append(line)
    store_packs = largest_remainder(
        supply_units // pack,
        {store: sum(ln.quantity for ln in store_lines) // pack for store, store_lines in per_store.items()},
        tie_order=list(per_store),  # insertion order = each store's earliest order time
    )
    out: list[LineShare] = []
    for store, store_lines in per_store.items():
        left = store_packs[store] * pack
        for line in store_lines:
            take = min(left, line.quantity)
            out.append(LineShare(line, take))
            left -= take
    return out
