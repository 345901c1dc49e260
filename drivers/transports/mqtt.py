"""MQTT transport over paho-mqtt 2.x (MQTT 5 or 3.1.1), one network thread per broker connection.

paho's own reconnect is switched off (reconnect_on_failure=False) so that the thread's loop
reconnects with our jittered backoff. Subscriptions are remembered and re-issued after each
reconnect. Messages cross into asyncio through `call_soon_threadsafe` into bounded queues that
drop the oldest message when a consumer falls behind (a babbling sensor cannot eat memory).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from drivers.errors import DeviceTimeout, TransportError
from drivers.transports.backoff import Backoff

PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}
_client_ids = itertools.count(1)


@dataclass(frozen=True)
class MqttMessage:
    topic: str
    payload: bytes
    received_monotonic: float


class MqttSubscription:
    """A bounded stream of messages matching any of its topic filters."""

    def __init__(self, transport: MqttTransport, topic_filters: tuple[str, ...], qos: int, maxsize: int) -> None:
        self.transport = transport
        self.topic_filters = topic_filters
        self.qos = qos
        self.dropped = 0
        self._queue: deque[MqttMessage] = deque(maxlen=maxsize)
        self._event = asyncio.Event()

    def _put(self, message: MqttMessage) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(message)
        self._event.set()

    async def get(self, timeout: float) -> MqttMessage:
        """Next message; DeviceTimeout when none arrives in time."""
        if not self._queue:
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), timeout)
            except TimeoutError:
                name, topic = self.transport.name, " ".join(self.topic_filters)
                raise DeviceTimeout(f"{name}: nothing on {topic} for {timeout:.3g}s") from None
        return self._queue.popleft()

    def close(self) -> None:
        self.transport._unsubscribe(self)


class MqttTransport:
    """A broker connection kept alive by a background thread; safe to share between devices."""

    def __init__(self, host: str, port: int = 1883, *, protocol: str = "5", client_id: str | None = None,
                 username: str | None = None, password: str | None = None, keepalive: int = 30,
                 backoff: Backoff | None = None) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"MQTT protocol must be one of {sorted(PROTOCOLS)}, got {protocol!r}")
        self.host = host
        self.port = port
        self.name = f"mqtt://{host}:{port}"
        self.keepalive = keepalive
        self.backoff = backoff or Backoff()
        self.opens = 0
        self.last_error: str | None = None
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: list[MqttSubscription] = []
        self._subs_lock = threading.Lock()
        cid = client_id or f"haolin-edge-{threading.get_native_id()}-{next(_client_ids)}"
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=PROTOCOLS[protocol],
                                   reconnect_on_failure=False)
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def key(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self._connected.is_set()

    @property
    def reconnects(self) -> int:
        return max(0, self.opens - 1)

    def start(self) -> None:
        """Start the network thread (idempotent); it connects and keeps reconnecting until `close`."""
        if self._thread is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.host}:{self.port}", daemon=True)
        self._thread.start()

    async def ensure_open(self, timeout: float = 5.0) -> None:
        """Start if needed and wait until connected; TransportError with the last reason otherwise."""
        self.start()
        deadline = time.monotonic() + timeout
        while not self._connected.is_set():
            if time.monotonic() >= deadline:
                raise TransportError(self.last_error or f"{self.name}: not connected")
            await asyncio.sleep(0.05)

    def subscribe(self, topic_filters: str | list[str], *, qos: int = 0, maxsize: int = 1000) -> MqttSubscription:
        filters = (topic_filters,) if isinstance(topic_filters, str) else tuple(topic_filters)
        sub = MqttSubscription(self, filters, qos, maxsize)
        with self._subs_lock:
            self._subs.append(sub)
        if self.is_open:
            for topic_filter in filters:
                self._client.subscribe(topic_filter, qos)
        return sub

    def _unsubscribe(self, sub: MqttSubscription) -> None:
        with self._subs_lock:
            if sub in self._subs:
                self._subs.remove(sub)
            still_used = {f for s in self._subs for f in s.topic_filters}
        if self.is_open:
            for topic_filter in set(sub.topic_filters) - still_used:
                self._client.unsubscribe(topic_filter)

    async def publish(self, topic: str, payload: bytes | str, *, qos: int = 0, retain: bool = False,
                      timeout: float = 5.0) -> None:
        if not self.is_open:
            raise TransportError(f"{self.name}: not connected, cannot publish to {topic}")
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise TransportError(f"{self.name}: publish to {topic} failed: {paho.error_string(info.rc)}")
        if qos > 0:
            deadline = time.monotonic() + timeout
            while not info.is_published():
                if time.monotonic() >= deadline:
                    raise DeviceTimeout(f"{self.name}: publish to {topic} not acknowledged in {timeout}s")
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._stop.set()
        self._client.disconnect()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, 10.0)
        self._connected.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._client.connect(self.host, self.port, self.keepalive)
            except OSError as exc:
                self.last_error = f"{self.name}: connect failed: {exc}"
            else:
                self._client.loop_forever(timeout=1.0)
            self._connected.clear()
            if not self._stop.is_set():
                self._stop.wait(self.backoff.next_delay())

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.last_error = f"{self.name}: broker refused the connection: {reason}"
            return
        with self._subs_lock:
            filters = {f: s.qos for s in self._subs for f in s.topic_filters}
        for topic_filter, qos in filters.items():
            client.subscribe(topic_filter, qos)
        self.opens += 1
        self.last_error = None
        self.backoff.reset()
        self._connected.set()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            self.last_error = f"{self.name}: disconnected: {reason}"

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        received = MqttMessage(message.topic, bytes(message.payload), time.monotonic())
        with self._subs_lock:
            targets = [s for s in self._subs
                       if any(paho.topic_matches_sub(f, message.topic) for f in s.topic_filters)]
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for sub in targets:
            loop.call_soon_threadsafe(sub._put, received)
