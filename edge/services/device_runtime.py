"""The edge's device runtime: the drivers' Supervisor inside the app, climate readings routed to
telemetry and alarms, and the bus open to any other feature (live Brix page, printers).

Readings are batched (up to `batch_max`, or what arrived within `batch_wait_s`) and written in a
worker thread, so SQLite never blocks the event loop; the alarm monitor sees exactly the
samples ingest accepted, and its timers (heartbeats, door limits) tick on the app's clock.
Configuration changes (assets, sensors) are picked up at the next tick, which also feeds the
devices' frame counters to the alarm monitor (degraded sensors) and plans alarm notifications;
a loop of its own sends them, so a slow webhook never holds up the alarms.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from drivers.bus import Bus, Subscription
from drivers.devices.printer import LabelPrinter
from drivers.readings import ClimateReading
from drivers.site import SiteConfig, load_site
from drivers.supervisor import BusEvent, ReadingEvent, Supervisor
from edge.services import coldchain_notify, retention, telemetry
from edge.services.alarms import AlarmChange, AlarmMonitor
from edge.services.coldchain_assets import (
    ColdChainSpec,
    SensorInfo,
    apply_spec,
    load_spec_file,
    parse_spec,
    sensors_from_site,
)
from edge.services.device_status import save_statuses
from edge.services.floor.printing import SupervisedPrinter
from edge.services.telemetry import Retention, Sample
from edge.site.node import device_sources, seed_fleet
from edge.store import Store

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def samples_from(event: ReadingEvent, by_device: Mapping[str, list[SensorInfo]]) -> list[Sample]:
    """One sample per sensor configured on the reading's device (main temperature or a named probe)."""
    reading = event.reading
    if not isinstance(reading, ClimateReading):
        return []
    at = reading.event_time or event.received_at
    out = []
    for sensor in by_device.get(event.device_id, ()):
        temp = reading.temperature_c if not sensor.probe else reading.probes.get(sensor.probe)
        out.append(Sample(sensor.sensor_id, at, temp, reading.humidity_pct, reading.door_open))
    return out


@dataclass
class RuntimeStats:
    batches: int = 0
    stored: int = 0
    rejected: int = 0
    alarm_changes: int = 0


class DeviceRuntime:
    """Owns the Supervisor and the cold-chain pipeline for one store."""

    def __init__(self, store: Store, supervisor: Supervisor, *, clock: Clock, retention: Retention = Retention(),
                 batch_max: int = 500, batch_wait_s: float = 0.5, tick_s: float = 5.0,
                 retention_every: dt.timedelta = dt.timedelta(hours=1),
                 zone: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> None:
        self.store = store
        self.zone = zone
        self.supervisor = supervisor
        self.clock = clock
        self.retention = retention
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.tick_s = tick_s
        self.retention_every = retention_every
        self.stats = RuntimeStats()
        self.monitor: AlarmMonitor | None = None
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._readings: Subscription[BusEvent] | None = None
        self._by_device: dict[str, list[SensorInfo]] = {}
        self._last_retention: dt.datetime | None = None

    @property
    def bus(self) -> Bus[BusEvent]:
        """Readings and device statuses of every device; subscribe to get your own queue."""
        return self.supervisor.bus

    def subscribe(self, maxsize: int = 1000) -> Subscription[BusEvent]:
        return self.supervisor.subscribe(maxsize)

    async def start(self) -> None:
        self.monitor = await asyncio.to_thread(AlarmMonitor, self.store, self.clock())
        self._index()
        self._readings = self.supervisor.subscribe(maxsize=50_000)
        await self.supervisor.start()
        await asyncio.to_thread(save_statuses, self.store, self.supervisor.status(), self.clock())
        self._tasks = [asyncio.create_task(self._ingest_loop(), name="coldchain:ingest"),
                       asyncio.create_task(self._tick_loop(), name="coldchain:tick"),
                       asyncio.create_task(self._notify_loop(), name="coldchain:notify")]

    async def stop(self) -> None:
        """Stop our loops before the supervisor: its last status events must not race their cancellation
        (on 3.11 a cancel landing while `wait_for` gets an item can be swallowed, and stop would hang)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.supervisor.stop()
        await asyncio.to_thread(save_statuses, self.store, self.supervisor.status(), self.clock())
        if self._readings is not None:
            self._readings.close()
            if self._readings.pending():  # what arrived before the stop is still stored
                await self._flush(self._drain(), self.clock())

    def _index(self) -> None:
        assert self.monitor is not None
        by_device: dict[str, list[SensorInfo]] = {}
        for sensor in self.monitor.sensors.values():
            by_device.setdefault(sensor.device_id, []).append(sensor)
        self._by_device = by_device

    def _drain(self) -> list[Sample]:
        assert self._readings is not None
        batch: list[Sample] = []
        while len(batch) < self.batch_max and (event := self._readings.get_nowait()) is not None:
            if isinstance(event, ReadingEvent):
                batch += samples_from(event, self._by_device)
        return batch

    async def _ingest_loop(self) -> None:
        assert self._readings is not None
        while True:
            first = await self._readings.get()
            batch = samples_from(first, self._by_device) if isinstance(first, ReadingEvent) else []
            deadline = asyncio.get_running_loop().time() + self.batch_wait_s
            while len(batch) < self.batch_max:
                batch += self._drain()
                left = deadline - asyncio.get_running_loop().time()
                if len(batch) >= self.batch_max or left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    event = await self._readings.get(timeout=left)
                    if isinstance(event, ReadingEvent):
                        batch += samples_from(event, self._by_device)
            if batch:
                try:
                    await self._flush(batch, self.clock())
                except Exception:  # a bad batch must not stop the cold chain; it is logged whole
                    log.exception("cold chain: a batch of %d samples could not be stored", len(batch))

    async def _flush(self, batch: list[Sample], now: dt.datetime) -> list[AlarmChange]:
        async with self._lock:
            return await asyncio.to_thread(self._commit, batch, now)

    def _commit(self, batch: list[Sample], now: dt.datetime) -> list[AlarmChange]:
        assert self.monitor is not None
        result = telemetry.ingest(self.store, batch, received_at=now, retention=self.retention,
                                  known=self.monitor.sensors)
        changes = self.monitor.observe(result.accepted, now)
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.rejected += len(result.rejected)
        self.stats.alarm_changes += len(changes)
        if result.rejected:
            log.warning("cold chain: %d samples refused, first: %s", len(result.rejected), result.rejected[0])
        return changes

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                async with self._lock:
                    await asyncio.to_thread(self._tick, self.clock())
            except Exception:  # keep ticking: a failed tick is retried at the next one
                log.exception("cold chain: alarm tick failed")

    def _tick(self, now: dt.datetime) -> None:
        assert self.monitor is not None
        self.monitor.reload(now)
        self._index()
        self.stats.alarm_changes += len(self.monitor.tick(now))
        statuses = self.supervisor.status()
        self.stats.alarm_changes += len(self.monitor.frames([(s.device_id, s.frames, s.errors) for s in statuses], now))
        save_statuses(self.store, statuses, now)
        coldchain_notify.plan(self.store, now, self.zone)
        if self._last_retention is None or now - self._last_retention >= self.retention_every:
            telemetry.enforce_retention(self.store, now, self.retention)
            retention.prune(self.store, self.store.path.parent, now)  # outbox, scans, photos
            self._last_retention = now


    async def _notify_loop(self) -> None:
        with httpx.Client() as client:
            while True:
                await asyncio.sleep(self.tick_s)
                try:
                    sent = await asyncio.to_thread(coldchain_notify.deliver, self.store, self.clock(), client)
                    if sent.errors:
                        log.warning("cold chain: %d notifications not taken yet: %s", sent.failed, sent.errors[0])
                except Exception:  # keep the spool's loop alive: what failed is retried at the next round
                    log.exception("cold chain: notification delivery failed")


def register_site_sensors(store: Store, site: SiteConfig, now: dt.datetime) -> int:
    """Sensors for the site's devices that name a cold asset (`asset:` in the site file)."""
    known = {r[0] for r in store.conn.execute("SELECT asset_id FROM cold_assets")}
    specs = sensors_from_site(site.devices, known)
    fresh = [s for s in specs if store.scalar("SELECT 1 FROM cold_sensors WHERE sensor_id = ?", (s.sensor_id,)) is None]
    if fresh:
        apply_spec(store, parse_spec({"sensors": [s.model_dump() for s in fresh]}), actor="system:site", now=now)
    return len(fresh)


def crate_label_printer(supervisor: Supervisor, device_id: str | None) -> LabelPrinter | None:
    """The printer for crate labels: the one named in settings, else the site's first label printer."""
    printers = [d for d in supervisor.devices if isinstance(d, LabelPrinter)]
    if device_id is None:
        return printers[0] if printers else None
    named = [p for p in printers if p.id == device_id]
    if not named:
        raise ValueError(f"crate_label_printer {device_id!r} is not a label printer of the site")
    return named[0]


def apply_coldchain_file(store: Store, path: Path, now: dt.datetime) -> dict[str, int]:
    """The cold-chain file is the configuration at start: its assets, sensors and bands are upserted
    (what the API changed since stays only where the file says nothing). A bad file stops the start,
    InputRejected naming the file and each bad field."""
    return apply_spec(store, load_spec_file(path), actor="system:coldchain-config", now=now)


def runtime_for(store: Store, site_path: object, clock: Clock, *, retention: Retention = Retention(),
                coldchain_config: ColdChainSpec | Path | None = None,
                zone: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> DeviceRuntime:
    """The runtime of the devices (a SiteConfig or its file; none: no devices, but the bus is there
    for publishers).

    The cold chain (a document or its file) goes first, so the site's devices can name its assets."""
    if isinstance(coldchain_config, ColdChainSpec):
        apply_spec(store, coldchain_config, actor="system:site-file", now=clock())
    elif coldchain_config is not None:
        apply_coldchain_file(store, coldchain_config, clock())
    if site_path is None:
        return DeviceRuntime(store, Supervisor(devices=[], clock=clock), clock=clock, retention=retention, zone=zone)
    site = site_path if isinstance(site_path, SiteConfig) else load_site(str(site_path))
    register_site_sensors(store, site, clock())
    return DeviceRuntime(store, Supervisor(site, clock=clock), clock=clock, retention=retention, zone=zone)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """FastAPI lifespan: devices run while the app serves; `app.state.device_runtime` holds the runtime."""
    settings = app.state.settings
    seed_fleet(app.state.store, app.state.site, app.state.clock())
    devices, coldchain = device_sources(settings, app.state.site)
    runtime = runtime_for(app.state.store, devices, app.state.clock, retention=settings.retention,
                          coldchain_config=coldchain, zone=settings.zone)
    app.state.device_runtime = runtime
    await runtime.start()
    printer = crate_label_printer(runtime.supervisor, app.state.settings.crate_label_printer)
    if printer is not None:
        app.state.label_printer = SupervisedPrinter(printer, asyncio.get_running_loop())
    try:
        yield
    finally:
        await runtime.stop()
