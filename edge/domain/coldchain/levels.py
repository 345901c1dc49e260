"""Alarm levels: several thresholds per asset, each with its own delay, and an exposure rule.

Validated monitoring systems (Testo Saveris, ELPRO, Sensitech) do not alarm on "out of band for
N minutes" alone: a small excursion gets a long delay, a deep one a short one, and the dose
(degree-minutes beyond the band) catches a long shallow drift. A `Level` is one such threshold:

- `beyond_c` + `for_s`: out of band by at least `beyond_c` K, continuously, for `for_s` seconds;
- `degree_minutes`: the excursion's dose beyond the limit has reached this many K·min.

The alarm takes the highest severity whose level is reached: raised at the first, escalated at
a higher one. Defaults per temperature class (docs/coldchain.md, "Alarm levels"):

- chilled, fresh produce 0–4 °C: warning after 15 min out of band; critical after 5 min at
  ≥ 5 K beyond (9 °C: produce respiration roughly triples, condensation when moved back);
  dose 30 K·min warning (1 K for half an hour, a flapping room), 120 K·min critical;
- frozen ≤ −18 °C: warning after 15 min above; critical after 2 min at ≥ 3 K above (−15 °C,
  the most a quick-frozen food may briefly rise in distribution, EU 89/108/EEC); dose 60 K·min
  warning, 180 K·min critical — a dead compressor is critical within minutes (a defrost
  belongs in a planned suppression window);
- ambient 5–25 °C: warning after 30 min out of band, critical after 15 min at ≥ 5 K beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.WARNING else 1


@dataclass(frozen=True)
class Level:
    """One threshold: `beyond_c` K out of band for `for_s` seconds, or `degree_minutes` of dose."""

    severity: Severity
    beyond_c: float = 0.0
    for_s: float | None = None
    degree_minutes: float | None = None

    def __post_init__(self) -> None:
        if (self.for_s is None) == (self.degree_minutes is None):
            raise ValueError("an alarm level needs either for_s (with beyond_c) or degree_minutes")
        if self.beyond_c < 0 or (self.for_s is not None and self.for_s < 0):
            raise ValueError("an alarm level's beyond_c and for_s must not be negative")
        if self.degree_minutes is not None and self.degree_minutes <= 0:
            raise ValueError("an alarm level's degree_minutes must be positive")

    def describe(self) -> str:
        if self.degree_minutes is not None:
            return f"{self.severity}: {self.degree_minutes:g} K·min beyond the band"
        return f"{self.severity}: ≥ {self.beyond_c:g} K beyond the band for {self.for_s:g} s"


W, C = Severity.WARNING, Severity.CRITICAL
CLASS_LEVELS: dict[str, tuple[Level, ...]] = {
    "chilled": (Level(W, 0.0, 900.0), Level(C, 5.0, 300.0), Level(W, degree_minutes=30.0),
                Level(C, degree_minutes=120.0)),
    "frozen": (Level(W, 0.0, 900.0), Level(C, 3.0, 120.0), Level(W, degree_minutes=60.0),
               Level(C, degree_minutes=180.0)),
    "ambient": (Level(W, 0.0, 1800.0), Level(C, 5.0, 900.0)),
}


def class_levels(temp_class: str) -> tuple[Level, ...]:
    try:
        return CLASS_LEVELS[temp_class]
    except KeyError:
        raise ValueError(f"unknown temperature class {temp_class!r}") from None
