"""Brix against a SKU's spec, and the statistics of a receiving check (pure: numbers in, verdicts out)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["pass", "low", "high", "no_spec", "too_few"]

#: What a refractometer can report at all; anything else is a decoding or typing error.
BRIX_RANGE = (0.0, 100.0)
TEMPERATURE_RANGE = (-20.0, 100.0)


@dataclass(frozen=True)
class BrixSpec:
    """The SKU's acceptable sugar content (`skus.brix_min`/`brix_max`); None = no limit that side."""

    brix_min: float | None
    brix_max: float | None

    @property
    def defined(self) -> bool:
        return self.brix_min is not None or self.brix_max is not None


def verdict(brix: float, spec: BrixSpec) -> Verdict:
    if not spec.defined:
        return "no_spec"
    if spec.brix_min is not None and brix < spec.brix_min:
        return "low"
    if spec.brix_max is not None and brix > spec.brix_max:
        return "high"
    return "pass"


@dataclass(frozen=True)
class QcStats:
    n: int
    mean: float
    sd: float  # sample standard deviation (n - 1); 0.0 for a single reading


def stats(values: Sequence[float]) -> QcStats:
    if not values:
        raise ValueError("no readings: a check needs at least one")
    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return QcStats(n, mean, sd)


def decide(result: QcStats, spec: BrixSpec, min_readings: int) -> tuple[bool, Verdict]:
    """A lot passes when enough readings were taken and their mean is inside the spec."""
    if result.n < min_readings:
        return False, "too_few"
    found = verdict(result.mean, spec)
    return found == "pass", found


def value_problem(value: float, low_high: tuple[float, float], what: str) -> str | None:
    """Why a number cannot be a measurement of `what`, or None."""
    if not math.isfinite(value):
        return f"{what} must be a finite number"
    low, high = low_high
    if not low <= value <= high:
        return f"{what} {value:g} is outside {low:g}..{high:g}"
    return None
