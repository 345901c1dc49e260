"""Who may do what, and how hard a wrong PIN is punished. Pure: time is passed in."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


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

#: Wrong PINs allowed before the account is locked for a growing while.
FREE_PIN_ATTEMPTS = 3
MAX_LOCK = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Principal:
    """The signed-in caller of a request."""

    kind: str  # "person" or "machine"
    subject_id: str
    role: Role
    name: str
    device_id: str | None = None
    store_id: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.subject_id}"


def lock_after_failure(failed_pins: int, now: dt.datetime) -> dt.datetime | None:
    """After the free attempts, each further wrong PIN locks for twice as long (2 s, 4 s, ...)."""
    if failed_pins < FREE_PIN_ATTEMPTS:
        return None
    delay = dt.timedelta(seconds=2 ** (failed_pins - FREE_PIN_ATTEMPTS + 1))
    return now + min(delay, MAX_LOCK)


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 8
