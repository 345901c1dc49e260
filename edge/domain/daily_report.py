"""The warehouse's day in figures, and the loss ledger behind its headline: the loss rate.

The article's headline is 损耗率 (1.5 % against an industry 15 %): of what came into the warehouse,
how much never reached a customer. Here it is counted in units, per SKU and lot:

    received (accepted at the dock) - shipped (picked for stores) - discarded (the loss ledger)

and the loss rate is discarded / received, with every discarded unit carrying its reason (damage,
spoilage, QC reject, count difference, expired). Pure: the service gathers the numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LOSS_REASONS = ("damage", "spoilage", "qc_reject", "count_difference", "expired")


@dataclass(frozen=True)
class LotFlow:
    """One SKU lot's units through the warehouse."""

    sku_id: str
    lot: str
    received: int
    shipped: int
    discarded: Mapping[str, int] = field(default_factory=dict)  # reason -> units

    @property
    def lost(self) -> int:
        return sum(self.discarded.values())

    @property
    def balance(self) -> int:
        """What should still be on the shelf: received, less shipped and discarded."""
        return self.received - self.shipped - self.lost


@dataclass(frozen=True)
class DayFigures:
    delivery_date: dt.date
    ordered_units: int
    shipped_units: int
    received_units: int
    short_lines: int
    stops: int
    stops_on_time: int
    excursions: int
    crates_out_of_band: int
    lots: tuple[LotFlow, ...]

    @property
    def lost_units(self) -> int:
        return sum(lot.lost for lot in self.lots)

    @property
    def losses_by_reason(self) -> dict[str, int]:
        out = dict.fromkeys(LOSS_REASONS, 0)
        for lot in self.lots:
            for reason, units in lot.discarded.items():
                out[reason] = out.get(reason, 0) + units
        return out

    @property
    def loss_rate(self) -> float | None:
        """Discarded / received; None when nothing was received (no rate to speak of)."""
        received = sum(lot.received for lot in self.lots)
        return None if received == 0 else self.lost_units / received

    @property
    def fill_rate(self) -> float | None:
        return None if self.ordered_units == 0 else self.shipped_units / self.ordered_units

    @property
    def on_time_rate(self) -> float | None:
        return None if self.stops == 0 else self.stops_on_time / self.stops

    def as_json(self) -> dict[str, object]:
        return {
            "delivery_date": self.delivery_date.isoformat(), "ordered_units": self.ordered_units,
            "shipped_units": self.shipped_units, "received_units": self.received_units,
            "short_lines": self.short_lines, "fill_rate": _rate(self.fill_rate), "stops": self.stops,
            "stops_on_time": self.stops_on_time, "on_time_rate": _rate(self.on_time_rate),
            "excursions": self.excursions, "crates_out_of_band": self.crates_out_of_band,
            "lost_units": self.lost_units, "losses_by_reason": self.losses_by_reason,
            "loss_rate": _rate(self.loss_rate),
            "lots": [{"sku_id": lot.sku_id, "lot": lot.lot, "received": lot.received, "shipped": lot.shipped,
                      "discarded": dict(lot.discarded), "balance": lot.balance} for lot in self.lots],
        }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def lot_flows(received: Iterable[tuple[str, str, int]], shipped: Iterable[tuple[str, str, int]],
              discarded: Iterable[tuple[str, str, str, int]]) -> tuple[LotFlow, ...]:
    """Merge (sku, lot, units) flows and (sku, lot, reason, units) losses into one row per lot."""
    ins: Counter[tuple[str, str]] = Counter()
    outs: Counter[tuple[str, str]] = Counter()
    losses: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for sku, lot, units in received:
        ins[sku, lot] += units
    for sku, lot, units in shipped:
        outs[sku, lot] += units
    for sku, lot, reason, units in discarded:
        losses[sku, lot][reason] += units
    keys = sorted(set(ins) | set(outs) | set(losses))
    return tuple(LotFlow(sku, lot, ins[sku, lot], outs[sku, lot], dict(losses.get((sku, lot), {})))
                 for sku, lot in keys)


def near_expiry(lots: Iterable[tuple[str, str, str, dt.date, int]], today: dt.date,
                days_ahead: int) -> list[dict[str, object]]:
    """Lots in stock (sku, lot, location, expiry, units) whose expiry falls within `days_ahead`
    days of `today` (the article's 临期预警): sell or move them first, or write them off."""
    horizon = today + dt.timedelta(days=days_ahead)
    return [{"sku_id": sku, "lot": lot, "location_code": where, "expiry": expiry.isoformat(), "units": units,
             "days_left": (expiry - today).days}
            for sku, lot, where, expiry, units in sorted(lots, key=lambda r: (r[3], r[0], r[1]))
            if units > 0 and expiry <= horizon]
