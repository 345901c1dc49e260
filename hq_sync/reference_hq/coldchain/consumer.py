"""HQ's MQTT consumer of the edges' uplink: persistent session, QoS 1, store before acknowledging.

With manual acknowledgement, the PUBACK of a QoS 1 message goes out only after the message is
in HQ's database; one that could not be stored is delivered again. The broker
keeps our session (subscriptions and queued messages) while HQ is away, for `session_expiry_s`.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hq_sync.reference_hq.coldchain.db import ColdChainDb

log = logging.getLogger(__name__)
TOPIC_FILTER = "haolin/v1/#"


@dataclass(frozen=True)
class BrokerLink:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "haolin-hq-coldchain"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    session_expiry_s: int = 7 * 86400


class UplinkConsumer:
    """Subscribes to every edge's uplink and records each message in `db`."""

    def __init__(self, db: ColdChainDb, link: BrokerLink) -> None:
        self.db = db
        self.link = link
        self.connected = threading.Event()
        self.received = 0
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=link.client_id, protocol=MQTTProtocolVersion.MQTTv5,
                             manual_ack=True)
        if link.username is not None:
            client.username_pw_set(link.username, link.password)
        if link.tls:
            client.tls_set(ca_certs=str(link.ca_file) if link.ca_file else None, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags, reason: ReasonCode,
                    properties: Properties | None) -> None:
        if reason.is_failure:
            log.warning("HQ consumer refused by the broker: %s", reason)
            return
        client.subscribe(TOPIC_FILTER, qos=1)
        self.connected.set()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: paho.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:
        self.connected.clear()

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        self.received += 1
        try:
            self.db.record(message.topic, bytes(message.payload), dt.datetime.now(dt.UTC))
        except Exception:  # not acknowledged: the broker delivers it again on the next session
            log.exception("HQ could not store an uplink message from %s", message.topic)
            return
        client.ack(message.mid, message.qos)

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.link.session_expiry_s
        self._client.connect_async(self.link.host, self.link.port, 30, clean_start=False, properties=props)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
