"""Fault injection for the reference HQ (only when started with faults allowed): Jepsen's nemesis.

A fault can strike before HQ does the work (the edge sees a 500 and nothing happened) or after
it (HQ applied the request, then answered 500: the edge must replay and HQ must recognise it).
"""

from __future__ import annotations

import random
import threading

from pydantic import BaseModel, Field


class Faults(BaseModel):
    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests answered 500")
    delay_seconds: float = Field(default=0.0, ge=0, le=120, description="every answer this late")
    hang_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests held `hang_seconds`")
    hang_seconds: float = Field(default=30.0, ge=0, le=600)
    duplicate_feed: bool = Field(default=False, description="repeat changes inside feed pages")
    shuffle_feed: bool = Field(default=False, description="deliver a page's changes out of order")
    seed: int = 0


class FaultState:
    """The current faults and counters of what was injected, shared by the request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults = Faults()
        self.rng = random.Random(0)
        self.injected: dict[str, int] = {"error_before": 0, "error_after": 0, "hang": 0, "delay": 0, "feed_dup": 0}

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self.rng = random.Random(faults.seed)

    def draw(self) -> float:
        with self._lock:
            return self.rng.random()

    def count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.injected[what] = self.injected.get(what, 0) + n
