"""Why a store's order line left the warehouse short, in words HQ can show a customer service agent.

A line ends short for one or more of three reasons, checked per SKU for the delivery date: the
wave could not plan enough stock, pickers shorted stops (each with their own reason), or picked
goods were not put into the store's crate before its truck left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: HQ's `LinePickedPayload.short_reason` holds at most this many characters.
MAX_REASON = 200


@dataclass(frozen=True)
class ShortPick:
    location_code: str
    reason: str


def short_reason(ordered: int, planned: int, short_picks: Sequence[ShortPick]) -> str:
    """One sentence per cause, most basic first; cut to `MAX_REASON` characters."""
    causes = []
    if planned < ordered:
        causes.append(f"not enough stock: {planned} of {ordered} planned for picking")
    causes += [f"short pick at {s.location_code}: {s.reason}" for s in short_picks]
    if not causes:
        causes.append("not sorted into the store's crates before its truck left")
    text = "; ".join(causes)
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"
