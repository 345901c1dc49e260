"""Capped exponential backoff with jitter for reconnect loops.

Jitter spreads the retries of many devices that lost the same gateway at the
same moment, so they do not hammer it in lock-step when it comes back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays initial, initial*factor, ... capped at `cap`, each scaled by a random factor in [1-jitter, 1]."""

    initial: float = 0.1
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5
    attempts: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.cap < self.initial or self.factor < 1 or not 0 <= self.jitter <= 1:
            raise ValueError(f"invalid backoff parameters: {self!r}")

    def next_delay(self) -> float:
        """Return the delay before the next attempt and count the attempt."""
        base = min(self.cap, self.initial * self.factor ** min(self.attempts, 64))
        self.attempts += 1
        return base * (1 - self.jitter * self._rng.random())

    def reset(self) -> None:
        """Forget past failures after a successful connection."""
        self.attempts = 0
