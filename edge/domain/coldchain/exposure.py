"""What goods went through: min, max, time-weighted mean, MKT, time out of band and degree-minutes.

Readings are turned into held intervals (sample-and-hold: a reading stands until the next one,
but never longer than `max_hold_s`, so a silent sensor's gap counts as unknown, not as its last
value). The same intervals serve a day of an asset, a truck trip and a crate's whole journey.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge.domain.coldchain.bands import Band
from edge.domain.coldchain.mkt import mean_kinetic_temperature


@dataclass(frozen=True)
class Held:
    """A reading's value held over `[start, start + seconds)`."""

    start: dt.datetime
    seconds: float
    temp_c: float


def hold(samples: Sequence[tuple[dt.datetime, float]], start: dt.datetime, end: dt.datetime,
         max_hold_s: float) -> list[Held]:
    """Held intervals of time-sorted `(event_time, temp_c)` samples, clipped to `[start, end)`.

    A sample before `start` still counts for the part of its hold that reaches into the window.
    """
    if end < start:
        raise ValueError(f"window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    out = []
    cap = dt.timedelta(seconds=max_hold_s)
    for i, (at, temp) in enumerate(samples):
        if i and at < samples[i - 1][0]:
            raise ValueError("samples must be sorted by event time")
        until = at + cap
        if i + 1 < len(samples):
            until = min(until, samples[i + 1][0])
        lo, hi = max(at, start), min(until, end)
        if hi > lo:
            out.append(Held(lo, (hi - lo).total_seconds(), temp))
    return out


@dataclass(frozen=True)
class Exposure:
    """Summary of held intervals against a band; temperatures None when nothing was covered."""

    samples: int
    covered_s: float
    min_c: float | None
    max_c: float | None
    mean_c: float | None
    mkt_c: float | None
    above_s: float
    below_s: float
    degree_minutes: float

    @property
    def out_of_range_s(self) -> float:
        return self.above_s + self.below_s

    def as_dict(self) -> dict[str, float | int | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 3)
        return {"samples": self.samples, "covered_s": round(self.covered_s, 3), "min_c": r(self.min_c),
                "max_c": r(self.max_c), "mean_c": r(self.mean_c), "mkt_c": r(self.mkt_c),
                "above_s": round(self.above_s, 3), "below_s": round(self.below_s, 3),
                "out_of_range_s": round(self.out_of_range_s, 3), "degree_minutes": round(self.degree_minutes, 3)}


def summarize(parts: Iterable[tuple[Held, Band]], dh_over_r: float = 10_000.0) -> Exposure:
    """Exposure of intervals, each judged against its own band (a crate changes rooms and trucks)."""
    count = 0
    covered = above = below = dm = weighted = 0.0
    lo: float | None = None
    hi: float | None = None
    pairs: list[tuple[float, float]] = []
    for held, band in parts:
        count += 1
        covered += held.seconds
        weighted += held.seconds * held.temp_c
        lo = held.temp_c if lo is None else min(lo, held.temp_c)
        hi = held.temp_c if hi is None else max(hi, held.temp_c)
        pairs.append((held.seconds, held.temp_c))
        excess = band.excess(held.temp_c)
        if excess > 0:
            above += held.seconds
        elif excess < 0:
            below += held.seconds
        dm += abs(excess) * held.seconds / 60.0
    if not covered:
        return Exposure(count, 0.0, lo, hi, None, None, 0.0, 0.0, 0.0)
    return Exposure(count, covered, lo, hi, weighted / covered, mean_kinetic_temperature(pairs, dh_over_r),
                    above, below, dm)


@dataclass(frozen=True)
class Excursion:
    """One continuous run out of band (a gap in the readings ends it): the record's line for it."""

    start: dt.datetime
    end: dt.datetime
    side: str
    peak_c: float
    degree_minutes: float

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


def excursions(held: Sequence[Held], band: Band) -> list[Excursion]:
    """The runs of held intervals beyond the band on one side, with their peak and K·min beyond the limit."""
    out: list[Excursion] = []
    run: list[Held] = []

    def close() -> None:
        if run:
            high = band.excess(run[0].temp_c) > 0
            peak = max(run, key=lambda h: abs(band.excess(h.temp_c))).temp_c
            dose = sum(abs(band.excess(h.temp_c)) * h.seconds / 60.0 for h in run)
            out.append(Excursion(run[0].start, run[-1].start + dt.timedelta(seconds=run[-1].seconds),
                                 "high" if high else "low", peak, round(dose, 6)))
            run.clear()

    for h in held:
        excess = band.excess(h.temp_c)
        if run:
            prev = run[-1]
            contiguous = prev.start + dt.timedelta(seconds=prev.seconds) == h.start
            if not excess or not contiguous or (excess > 0) != (band.excess(prev.temp_c) > 0):
                close()
        if excess:
            run.append(h)
    close()
    return out
