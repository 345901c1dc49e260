"""What the supervisor needs from a device: open, one step of work, close, link counters.

A `step()` does one unit of work (read what arrived, or one poll cycle) and returns decoded
readings and rejected frames. It raises only `DriverError`s: `TransportError` when the link
is gone (the supervisor closes and reopens with backoff), `DeviceTimeout` when the device is
silent, `DecodeError` when a whole answer is unusable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from drivers.codecs.base import Item


class Device(ABC):
    """A configured device instance driven by one supervisor task."""

    kind: str = "device"

    def __init__(self, device_id: str, profile_name: str | None) -> None:
        self.id = device_id
        self.profile_name = profile_name

    @abstractmethod
    async def open(self) -> None:
        """Make sure the link is up (waits the transport's backoff after a failure)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def step(self) -> list[Item]: ...

    @property
    def reconnects(self) -> int:
        return 0

    @property
    def link(self) -> str:
        """Where the device is, for status pages."""
        return ""
