"""Transports: the only code in `drivers` that touches ports and sockets.

Each owns its timeouts and reconnects with capped, jittered exponential backoff.
"""

from drivers.serial_settings import Rs485Config, SerialSettings
from drivers.transports.backoff import Backoff
from drivers.transports.modbus import ModbusEndpoint, ModbusTransport
from drivers.transports.mqtt import MqttMessage, MqttSubscription, MqttTransport
from drivers.transports.serial_port import SerialTransport
from drivers.transports.stream import StreamTransport
from drivers.transports.tcp import TcpTransport

__all__ = [
    "Backoff",
    "ModbusEndpoint",
    "ModbusTransport",
    "MqttMessage",
    "MqttSubscription",
    "MqttTransport",
    "Rs485Config",
    "SerialSettings",
    "SerialTransport",
    "StreamTransport",
    "TcpTransport",
]
