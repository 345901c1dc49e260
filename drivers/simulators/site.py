"""Start a simulator for every device of a site and write the site config that points at them.

Used by `sim start` and the demo: the same device ids and profiles, but ports, hosts and
topics replaced by simulated devices speaking each profile over its real transport. A climate
device reads its `setpoints` temperature (a freezer near −20 °C, not a default of 3.5 °C): Modbus
sensors serve it, MQTT sensors publish only the profile's samples that decode on the device's topic
near it. A device in `failing` loses its cooling that many seconds after start: its temperature
climbs as a freezer's does when the compressor dies (+23.5 K in 10 minutes, at most 25 °C).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.broker import Broker, start_broker
from drivers.codecs.modbus import RegisterMap
from drivers.codecs.mqtt import MqttMapping, decode_payload
from drivers.codecs.printer import PrinterSpec
from drivers.errors import DecodeError
from drivers.profiles import load_profile
from drivers.simulators.line import LineDeviceSim
from drivers.simulators.modbus import ModbusSensorSim, PtyCable
from drivers.simulators.printer import PrinterSim
from drivers.site import DeviceConfig, SiteConfig
from drivers.transports.mqtt import MqttTransport

DEFAULTS = {"temperature_c": 3.5, "humidity_pct": 88.0, "battery_pct": 90.0, "door_open": False}
#: A dead compressor: the temperature rises this much over `FAILURE_S`, up to room temperature.
FAILURE_RISE_K, FAILURE_S, ROOM_C = 23.5, 600.0, 25.0


class MqttSensorSim:
    """Publishes the profile's sample payloads on the device's topic every `interval_s`."""

    def __init__(self, transport: MqttTransport, topic: str, payloads: list[bytes], interval_s: float = 1.0) -> None:
        self.transport, self.topic, self.payloads, self.interval_s = transport, topic, payloads, interval_s
        self.sent = 0
        self.silent = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await self.transport.ensure_open(30)
        while True:
            if not self.silent and self.transport.is_open:
                await self.transport.publish(self.topic, self.payloads[self.sent % len(self.payloads)])
                self.sent += 1
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class SimulatedSite:
    site: SiteConfig
    simulators: list[Any] = field(default_factory=list)
    broker: Broker | None = None
    mqtt: MqttTransport | None = None

    async def stop(self) -> None:
        for sim in self.simulators:
            with contextlib.suppress(Exception):
                result = sim.stop() if hasattr(sim, "stop") else sim.close()
                if asyncio.iscoroutine(result):
                    await result
        if self.mqtt is not None:
            await self.mqtt.close()
        if self.broker is not None:
            self.broker.stop()


def _register_values(spec: RegisterMap, temperature_c: float | None = None) -> dict[str, float | bool | None]:
    values = dict(DEFAULTS, **({} if temperature_c is None else {"temperature_c": temperature_c}))
    return {r.target: values.get(r.target.split(".")[0], values["temperature_c"] if r.type != "bool" else False)
            for r in spec.registers}


def _payloads(mapping: MqttMapping, samples: list[Mapping[str, Any]], topic: str, near_c: float | None) -> list[bytes]:
    """The samples that decode on `topic` (so the device sends no garbage), those near `near_c` if any."""
    decoded = []
    for sample in samples:
        payload = str(sample["input"]).encode()
        try:
            reading = decode_payload(mapping, topic, payload)
        except DecodeError:
            continue
        decoded.append((payload, getattr(reading, "temperature_c", None)))
    close = [p for p, t in decoded if near_c is not None and t is not None and abs(t - near_c) <= 3.0]
    return close or [p for p, _ in decoded] or [str(s["input"]).encode() for s in samples]


class CoolingFailure:
    """Raises a Modbus sensor's temperature as a dead compressor would, from `after_s` on."""

    def __init__(self, sim: ModbusSensorSim, unit: int, spec: RegisterMap, start_c: float, after_s: float) -> None:
        self.sim, self.unit, self.spec, self.start_c, self.after_s = sim, unit, spec, start_c, after_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(self.after_s)
        top = min(self.start_c + FAILURE_RISE_K, max(ROOM_C, self.start_c))
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            share = min(1.0, (loop.time() - began) / FAILURE_S)
            temp = round(self.start_c + (top - self.start_c) * share, 1)
            self.sim.set_values(self.unit, _register_values(self.spec, temp))
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run_site_simulators(site: SiteConfig, workdir: str | Path, *, setpoints: Mapping[str, float] | None = None,
                              failing: Mapping[str, float] | None = None) -> SimulatedSite:
    """Simulate every enabled device of `site`; returns the simulators and the rewritten site.

    `setpoints`: device id -> the temperature it reads; `failing`: device id -> seconds until its cooling dies."""
    setpoints, failing = setpoints or {}, failing or {}
    work = Path(workdir)
    out = SimulatedSite(site)
    devices: list[DeviceConfig] = []
    broker = site.mqtt
    for dev in site.devices:
        if not dev.enabled or dev.profile is None:
            devices.append(dev)
            continue
        profile = load_profile(dev.profile, site.profile_dirs)
        spec = profile.spec
        link = work / "serial" / "by-id" / f"sim-{dev.id}"
        changes: dict[str, Any]
        if isinstance(spec, RegisterMap):
            unit = dev.unit_id or 1
            modbus_sim = ModbusSensorSim(spec, {unit: _register_values(spec, setpoints.get(dev.id))})
            if dev.id in failing:
                failure = CoolingFailure(modbus_sim, unit, spec, setpoints.get(dev.id, DEFAULTS["temperature_c"]),
                                         failing[dev.id])
                failure.start()
                out.simulators.append(failure)
            if dev.host is not None or dev.port is None:
                await modbus_sim.start_tcp()
                changes = {"host": modbus_sim.host, "tcp_port": modbus_sim.port, "port": None}
            else:
                cable: PtyCable = await modbus_sim.start_rtu(link)
                out.simulators.append(cable)
                changes = {"port": cable.path}
            out.simulators.append(modbus_sim)
        elif isinstance(spec, MqttMapping):
            if out.mqtt is None:
                if out.broker is None:
                    out.broker = start_broker(work / "mosquitto")
                broker = site.mqtt.model_copy(update={"host": out.broker.host, "port": out.broker.port}) \
                    if site.mqtt else None
                out.mqtt = MqttTransport(out.broker.host, out.broker.port)
            good = [s for s in profile.samples if "error" not in s and "input" in s]
            topic = dev.topic or str(good[0].get("topic", f"sim/{dev.id}"))
            mqtt_sim = MqttSensorSim(out.mqtt, topic, _payloads(spec, good, topic, setpoints.get(dev.id)))
            mqtt_sim.start()
            out.simulators.append(mqtt_sim)
            changes = {"topic": topic}
        elif isinstance(spec, PrinterSpec):
            printer = PrinterSim(spec.family)
            await printer.start()
            out.simulators.append(printer)
            changes = {"host": printer.host, "tcp_port": printer.port, "port": None}
        else:
            line = LineDeviceSim(profile, link, interval_s=1.0)
            line.start()
            out.simulators.append(line)
            changes = {"port": line.path, "host": None}
        devices.append(dev.model_copy(update=changes))
    if out.broker is not None:
        from drivers.site import BrokerConfig

        broker = broker or BrokerConfig.model_validate({"host": out.broker.host, "port": out.broker.port})
    out.site = site.model_copy(update={"devices": devices, "mqtt": broker})
    return out
