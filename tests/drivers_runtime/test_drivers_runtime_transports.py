"""Transports over real ptys, sockets and a real Mosquitto."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.broker import Broker
from drivers.errors import DeviceTimeout, TransportError
from drivers.simulators.pty import PtyPort
from drivers.transports import Backoff, MqttTransport, SerialSettings, SerialTransport, TcpTransport

FAST = dict(initial=0.01, cap=0.05)


async def test_serial_reads_lines_and_writes_on_a_pty() -> None:
    port = PtyPort()
    transport = SerialTransport(port.path, SerialSettings(baudrate=4800, parity="O"))
    await transport.ensure_open()
    port.write(b"1.35210,12.340\r\npartial")
    assert await transport.read_until(b"\r\n", timeout=1) == b"1.35210,12.340\r\n"
    with pytest.raises(DeviceTimeout):
        await transport.read_until(b"\r\n", timeout=0.1)
    await transport.write(b"R\r\n")
    assert await port.read(1) == b"R\r\n"
    await transport.close()
    port.close()


async def test_serial_finds_replugged_adapter_through_by_id_link(tmp_path: Path) -> None:
    link = tmp_path / "serial" / "by-id" / "usb-FTDI_FT232R_A1B2C3-if00-port0"
    port = PtyPort(link)
    first_pts = port.slave_name
    transport = SerialTransport(str(link), backoff=Backoff(**FAST))
    await transport.ensure_open()
    assert transport.resolved_path == first_pts
    port.unplug()
    with pytest.raises(TransportError):
        await transport.read_some(timeout=1)
    assert not transport.is_open
    with pytest.raises(TransportError):  # link is gone while unplugged
        await transport.ensure_open()
    other = PtyPort()  # occupy a pts number so the replug lands on a different one
    port.replug()
    assert port.slave_name != first_pts
    await transport.ensure_open()
    assert transport.resolved_path == port.slave_name
    port.write(b"after\r\n")
    assert await transport.read_until(b"\r\n", timeout=1) == b"after\r\n"
    assert transport.reconnects == 1
    await transport.close()
    port.close()
    other.close()


async def test_rs485_settings_are_rejected_by_a_pty_with_a_clear_reason() -> None:
    settings = SerialSettings.from_mapping({"baudrate": 9600, "parity": "even", "rs485": True})
    assert settings.parity == "E" and settings.rs485 is not None
    port = PtyPort()
    with pytest.raises(TransportError, match="RS-485"):
        await SerialTransport(port.path, settings).ensure_open()
    port.close()


async def test_tcp_transport_reconnects_after_peer_closes() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        writer.write(b"hello\n")
        await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    transport = TcpTransport(host, port, backoff=Backoff(**FAST))
    await transport.ensure_open()
    assert await transport.read_until(b"\n", 1) == b"hello\n"
    accepted[0].close()
    with pytest.raises(TransportError):
        await transport.read_some(1)
    await transport.ensure_open()
    assert await transport.read_until(b"\n", 1) == b"hello\n"
    assert transport.reconnects == 1
    await transport.close()
    for writer in accepted:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_tcp_connect_refused_is_retryable_error() -> None:
    from drivers.broker import free_port

    transport = TcpTransport("127.0.0.1", free_port(), backoff=Backoff(**FAST))
    with pytest.raises(TransportError) as info:
        await transport.ensure_open()
    assert info.value.retryable


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_mqtt_subscribe_and_publish_through_mosquitto(mosquitto: Broker, protocol: str) -> None:
    sub_side = MqttTransport(mosquitto.host, mosquitto.port, protocol=protocol)
    pub_side = MqttTransport(mosquitto.host, mosquitto.port, protocol=protocol)
    sub = sub_side.subscribe(f"tele/{protocol}/+/SENSOR")
    await sub_side.ensure_open()
    await pub_side.ensure_open()
    await asyncio.sleep(0.1)  # SUBACK
    await pub_side.publish(f"tele/{protocol}/room1/SENSOR", b'{"x":1}', qos=1)
    message = await sub.get(timeout=3)
    assert message.topic == f"tele/{protocol}/room1/SENSOR" and message.payload == b'{"x":1}'
    with pytest.raises(DeviceTimeout):
        await sub.get(timeout=0.1)
    await sub_side.close()
    await pub_side.close()


async def test_mqtt_reconnects_and_resubscribes_after_broker_restart(tmp_path: Path) -> None:
    from drivers.broker import start_broker

    broker = start_broker(tmp_path / "b")
    transport = MqttTransport(broker.host, broker.port, backoff=Backoff(initial=0.05, cap=0.2))
    sub = transport.subscribe("t/#")
    await transport.ensure_open()
    broker.stop()
    for _ in range(100):
        if not transport.is_open:
            break
        await asyncio.sleep(0.02)
    assert not transport.is_open
    broker2 = start_broker(tmp_path / "b", port=broker.port)
    try:
        await transport.ensure_open(timeout=5)
        await asyncio.sleep(0.1)
        publisher = MqttTransport(broker2.host, broker2.port)
        await publisher.ensure_open()
        await publisher.publish("t/a", b"1", qos=1)
        assert (await sub.get(3)).payload == b"1"
        assert transport.reconnects == 1
        await publisher.close()
    finally:
        await transport.close()
        broker2.stop()
