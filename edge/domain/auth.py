"""Who may do what, and how hard a wrong PIN is punished. Pure: time is passed in."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from edge.domain.digits import ascii_digits


class Role(enum.StrEnum):
    PICKER = "picker"
    SORTER = "sorter"
    DRIVER = "driver"
    STORE_OWNER = "store_owner"
    SUPERVISOR = "supervisor"
    HQ = "hq"
    DEVICE = "device"


PERSON_ROLES = frozenset({Role.PICKER, Role.SORTER, Role.DRIVER, Role.STORE_OWNER, Role.SUPERVISOR})
MACHINE_ROLES = frozenset({Role.HQ, Role.DEVICE})

#: Wrong PINs allowed before a lock, per scope: an account is guessed at from anywhere, a device or
#: an address may guess at many accounts (a shared PDA sees honest typos from a whole shift).
FREE_PIN_ATTEMPTS = 3
FREE_ATTEMPTS = {"account": FREE_PIN_ATTEMPTS, "device": 10, "address": 30}
MAX_LOCK = dt.timedelta(minutes=15)
#: Failures are forgotten after this long without another one.
QUIET = dt.timedelta(hours=1)
#: New people get PINs of at least this many digits; the demo's older 4-digit PINs stay valid.
NEW_PIN_DIGITS = 6


@dataclass(frozen=True)
class Principal:
    """The signed-in caller of a request."""

    kind: str  # "person" or "machine"
    subject_id: str
    role: Role
    name: str
    device_id: str | None = None
    store_id: str | None = None
    session_id: str | None = None  # a person's session (token id); None for machines

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.subject_id}"


def lock_after_failure(failures: int, now: dt.datetime, free: int = FREE_PIN_ATTEMPTS) -> dt.datetime | None:
    """After the free attempts, each further wrong PIN locks for twice as long (2 s, 4 s, ...)."""
    if failures < free:
        return None
    delay = dt.timedelta(seconds=2 ** min(failures - free + 1, 20))
    return now + min(delay, MAX_LOCK)


def failures_so_far(failures: int, last_failure: dt.datetime, now: dt.datetime) -> int:
    """The count that still stands: a quiet spell wipes it."""
    return 0 if now - last_failure >= QUIET else failures


def valid_pin(pin: str, min_digits: int = 4) -> bool:
    return ascii_digits(pin) and min_digits <= len(pin) <= 8


def idle_expired(last_seen: dt.datetime, now: dt.datetime, idle: dt.timedelta) -> bool:
    return now - last_seen >= idle
