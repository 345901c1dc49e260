"""One asyncio task per configured device; readings go out on one bus.

Each task loops open → step → publish forever. Whatever a device does — dies, babbles
garbage, hangs, or raises something nobody expected — costs only its own task a counted
error, an `unavailable` status with the reason, and a backoff; no other device waits on it and
no exception ends the loop for good (Home Assistant's coordinator pattern).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from drivers.bus import Bus, Subscription
from drivers.devices.base import Device
from drivers.errors import DecodeError, DeviceTimeout, TransportError
from drivers.readings import Reading
from drivers.transports.backoff import Backoff

log = logging.getLogger(__name__)

State = Literal["starting", "online", "unavailable", "stopped"]


@dataclass(frozen=True)
class ReadingEvent:
    """A decoded reading with the device it came from and when the edge received it (UTC)."""

    device_id: str
    reading: Reading
    received_at: datetime


@dataclass
class DeviceStatus:
    device_id: str
    kind: str
    profile: str | None
    link: str = ""
    state: State = "starting"
    reason: str | None = None
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    frames: int = 0
    errors: int = 0
    reconnects: int = 0
    last_error: str | None = None
    last_reading: Reading | None = None
    last_reading_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["since"] = self.since.isoformat()
        out["last_reading_at"] = self.last_reading_at.isoformat() if self.last_reading_at else None
        out["last_reading"] = self.last_reading.to_json() if self.last_reading else None
        return out


BusEvent = ReadingEvent | DeviceStatus


class Supervisor:
    """Runs the devices of a site. `Supervisor(site_config, bus)` builds them from profiles;
    tests and embedders may pass ready `devices` instead."""

    def __init__(self, site_config: object | None = None, bus: Bus[BusEvent] | None = None, *,
                 devices: list[Device] | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.bus: Bus[BusEvent] = bus or Bus()
        self._clock = clock or (lambda: datetime.now(UTC))
        if devices is None:
            from drivers.devices.factory import build_devices
            from drivers.site import SiteConfig

            if not isinstance(site_config, SiteConfig):
                raise TypeError("Supervisor needs a SiteConfig (drivers.site.load_site) or devices=")
            devices = build_devices(site_config)
        self.devices = devices
        self._status = {d.id: DeviceStatus(d.id, d.kind, d.profile_name, d.link) for d in devices}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    def subscribe(self, maxsize: int = 1000) -> Subscription[BusEvent]:
        return self.bus.subscribe(maxsize)

    def status(self) -> list[DeviceStatus]:
        return [dataclasses.replace(s) for s in self._status.values()]

    async def start(self) -> None:
        self._stopping = False
        for device in self.devices:
            if device.id not in self._tasks:
                self._tasks[device.id] = asyncio.create_task(self._run(device), name=f"device:{device.id}")

    async def stop(self) -> None:
        self._stopping = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for device in self.devices:
            with contextlib.suppress(Exception):  # shutting down: a failing close must not block the others
                await asyncio.wait_for(device.close(), 2.0)
            self._set(self._status[device.id], "stopped", None)

    async def __aenter__(self) -> Supervisor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _set(self, st: DeviceStatus, state: State, reason: str | None) -> None:
        if st.state != state or st.reason != reason:
            st.state, st.reason, st.since = state, reason, self._clock()
            self.bus.publish(dataclasses.replace(st))

    def _error(self, st: DeviceStatus, reason: str) -> None:
        st.errors += 1
        st.last_error = reason
        self._set(st, "unavailable", reason)

    async def _run(self, device: Device) -> None:
        st = self._status[device.id]
        crash_backoff = Backoff(initial=0.5, cap=30.0)
        while not self._stopping:
            try:
                await device.open()
                st.link = device.link
                items = await device.step()
            except asyncio.CancelledError:
                raise
            except DeviceTimeout as exc:
                self._error(st, f"timeout: {exc}")
                continue
            except DecodeError as exc:
                self._error(st, f"bad answer: {exc}")
                continue
            except TransportError as exc:
                self._error(st, f"link down: {exc}")
                await self._safe_close(device)
                continue
            except Exception as exc:  # a driver bug must not end the loop; log it and back off
                log.exception("device %s: unexpected error", device.id)
                self._error(st, f"internal error: {type(exc).__name__}: {exc}")
                await self._safe_close(device)
                await asyncio.sleep(crash_backoff.next_delay())
                continue
            finally:
                st.reconnects = device.reconnects
            self._handle(st, items)
            crash_backoff.reset()

    def _handle(self, st: DeviceStatus, items: list[Reading | DecodeError]) -> None:
        good = False
        for item in items:
            if isinstance(item, DecodeError):
                st.errors += 1
                st.last_error = f"undecodable frame: {item}"
                continue
            now = self._clock()
            reading = item.with_device(st.device_id)
            st.frames += 1
            st.last_reading, st.last_reading_at = reading, now
            good = True
            self.bus.publish(ReadingEvent(st.device_id, reading, now))
        if good or not items:
            self._set(st, "online", None)
        else:
            self._set(st, "unavailable", st.last_error)

    async def _safe_close(self, device: Device) -> None:
        try:
            await asyncio.wait_for(device.close(), 2.0)
        except Exception as exc:
            log.warning("device %s: close failed: %s", device.id, exc)
