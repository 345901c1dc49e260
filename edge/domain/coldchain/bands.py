"""Temperature bands: per class (chilled, frozen, ambient) and stricter per SKU, intersected.

A band is a closed interval; either end may be open (frozen goods have only an upper limit).
Mixed loads need the strictest band of what is inside, so bands combine by intersection, and an
empty intersection is refused: no temperature could satisfy both, which is a loading error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TEMP_CLASSES = ("chilled", "frozen", "ambient")
ASSET_KINDS = ("cold_room", "freezer", "truck_compartment")


class BandConflict(ValueError):
    """Two bands that no single temperature satisfies (e.g. berries at 0 °C with melons at 10 °C)."""


@dataclass(frozen=True)
class Band:
    """`low_c <= T <= high_c`; None means no limit on that side."""

    low_c: float | None = None
    high_c: float | None = None

    def __post_init__(self) -> None:
        if self.low_c is not None and self.high_c is not None and self.low_c > self.high_c:
            raise ValueError(f"band low {self.low_c} °C is above high {self.high_c} °C")

    def excess(self, temp_c: float) -> float:
        """How far outside the band (K, positive above, negative below), 0.0 inside."""
        if self.high_c is not None and temp_c > self.high_c:
            return temp_c - self.high_c
        if self.low_c is not None and temp_c < self.low_c:
            return temp_c - self.low_c
        return 0.0

    def contains(self, temp_c: float) -> bool:
        return self.excess(temp_c) == 0.0

    def narrow(self, other: Band) -> Band:
        """The intersection; BandConflict when it is empty."""
        lows = [v for v in (self.low_c, other.low_c) if v is not None]
        highs = [v for v in (self.high_c, other.high_c) if v is not None]
        low = max(lows) if lows else None
        high = min(highs) if highs else None
        if low is not None and high is not None and low > high:
            raise BandConflict(f"bands {self.describe()} and {other.describe()} do not overlap")
        return Band(low, high)

    def describe(self) -> str:
        low = "-∞" if self.low_c is None else f"{self.low_c:g}"
        high = "+∞" if self.high_c is None else f"{self.high_c:g}"
        return f"[{low}, {high}] °C"


#: Class defaults (hardware.md §6.2): chilled 0-4 °C, frozen at most -18 °C, ambient loosely 5-25 °C.
CLASS_BANDS: dict[str, Band] = {
    "chilled": Band(0.0, 4.0),
    "frozen": Band(None, -18.0),
    "ambient": Band(5.0, 25.0),
}


def class_band(temp_class: str) -> Band:
    try:
        return CLASS_BANDS[temp_class]
    except KeyError:
        raise ValueError(f"unknown temperature class {temp_class!r}: use one of {', '.join(TEMP_CLASSES)}") from None


def effective_band(base: Band, stricter: Iterable[Band]) -> Band:
    """The asset's band narrowed by every per-SKU band of what it holds."""
    band = base
    for other in stricter:
        band = band.narrow(other)
    return band
