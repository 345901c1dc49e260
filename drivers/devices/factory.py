"""Build device objects from a site configuration and the profiles it names.

Links shared by several devices (one RS-485 bus with many unit ids, one Modbus TCP gateway,
one MQTT broker) get one transport each, so their requests are serialised on the wire.
"""

from __future__ import annotations

from drivers.codecs.modbus import RegisterMap
from drivers.codecs.mqtt import MqttMapping
from drivers.profiles import Profile, load_profile
from drivers.site import DeviceConfig, SiteConfig, SiteError
from drivers.transports import ModbusEndpoint, ModbusTransport, MqttTransport, SerialSettings
from drivers.transports.serial_port import SerialTransport
from drivers.transports.stream import StreamTransport
from drivers.transports.tcp import TcpTransport

from .base import Device
from .climate import ModbusClimateSensor, MqttClimateSensor
from .line import LineDevice, Refractometer, Scale, Scanner


class TransportPool:
    """Shares Modbus and MQTT transports between devices on the same link."""

    def __init__(self, site: SiteConfig) -> None:
        self.site = site
        self.modbus: dict[str, ModbusTransport] = {}
        self.mqtt: dict[str, MqttTransport] = {}

    def modbus_for(self, endpoint: ModbusEndpoint, timeout: float) -> ModbusTransport:
        if endpoint.key not in self.modbus:
            self.modbus[endpoint.key] = ModbusTransport(endpoint, timeout=timeout)
        return self.modbus[endpoint.key]

    def mqtt_for(self, protocol: str) -> MqttTransport:
        broker = self.site.mqtt
        if broker is None:
            raise SiteError("an MQTT device is configured but the site has no `mqtt:` broker section")
        key = f"{broker.host}:{broker.port}:{protocol}"
        if key not in self.mqtt:
            self.mqtt[key] = MqttTransport(broker.host, broker.port, protocol=protocol,
                                           username=broker.username, password=broker.password)
        return self.mqtt[key]


def serial_settings(profile: Profile, cfg: DeviceConfig) -> SerialSettings:
    return (profile.transport.serial or SerialSettings()).merged(cfg.serial)


def stream_transport(profile: Profile, cfg: DeviceConfig) -> StreamTransport:
    if cfg.port is not None:
        return SerialTransport(cfg.port, serial_settings(profile, cfg))
    if cfg.host is not None:
        port = cfg.tcp_port or profile.transport.tcp_port
        if port is None:
            raise SiteError(f"device {cfg.id}: host given but no tcp_port (profile {profile.name} has none)")
        return TcpTransport(cfg.host, port)
    raise SiteError(f"device {cfg.id}: needs `port` (serial) or `host` (network)")


def build_device(cfg: DeviceConfig, pool: TransportPool) -> Device:
    if cfg.driver == "camera":
        from .camera import CameraScanner

        assert cfg.camera is not None
        scanner_profile = load_profile(cfg.profile, pool.site.profile_dirs) if cfg.profile else None
        return CameraScanner(cfg.id, cfg.camera.source, profile=scanner_profile,
                             interval_s=cfg.camera.interval_s, dedupe_s=cfg.camera.dedupe_s)
    assert cfg.profile is not None
    profile = load_profile(cfg.profile, pool.site.profile_dirs)
    t = profile.transport
    timeout = cfg.timeout_s or t.timeout_s
    poll = cfg.poll_interval_s or t.poll_interval_s or 1.0
    line_devices: dict[str, type[LineDevice]] = {"refractometer": Refractometer, "scale": Scale, "scanner": Scanner}
    if profile.kind in line_devices:
        cls = line_devices[profile.kind]
        return cls(cfg.id, profile.name, stream_transport(profile, cfg), profile.make_decoder(), mode=t.mode,
                   request=t.request, poll_interval_s=poll, timeout_s=timeout)
    if profile.kind == "climate" and isinstance(profile.spec, RegisterMap):
        modbus = t.modbus
        if cfg.port is not None:
            endpoint = ModbusEndpoint(port=cfg.port, serial=serial_settings(profile, cfg))
        elif cfg.host is not None:
            endpoint = ModbusEndpoint(host=cfg.host, tcp_port=cfg.tcp_port or (modbus.port if modbus else 502))
        else:
            raise SiteError(f"device {cfg.id}: a Modbus sensor needs `port` or `host`")
        unit = cfg.unit_id if cfg.unit_id is not None else (modbus.unit_id if modbus else 1)
        timeout = cfg.timeout_s or (modbus.timeout_s if modbus else timeout)
        return ModbusClimateSensor(cfg.id, profile.name, pool.modbus_for(endpoint, timeout), profile.spec, unit,
                                   poll_interval_s=poll)
    if profile.kind == "climate" and isinstance(profile.spec, MqttMapping):
        mqtt = t.mqtt
        topics = [cfg.topic] if cfg.topic else list(mqtt.subscribe if mqtt and mqtt.subscribe
                                                    else profile.spec.subscriptions)
        return MqttClimateSensor(cfg.id, profile.name, pool.mqtt_for(mqtt.protocol if mqtt else "5"), topics,
                                 profile.spec, stale_after_s=cfg.stale_after_s or 3 * poll + 30,
                                 qos=mqtt.qos if mqtt else 0)
    if profile.kind == "printer":
        from .printer import LabelPrinter

        return LabelPrinter.from_profile(cfg, profile, stream_transport(profile, cfg))
    raise SiteError(f"device {cfg.id}: no driver for kind {profile.kind!r} / codec {profile.family!r}")


def build_devices(site: SiteConfig) -> list[Device]:
    pool = TransportPool(site)
    return [build_device(cfg, pool) for cfg in site.devices if cfg.enabled]
