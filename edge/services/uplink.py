"""The HQ uplink: publish the spool over MQTT 5, QoS 1, persistent session, in seq order.

One pump thread reads the spool in seq order and hands at most `inflight` messages to paho;
a message leaves the spool only when a PUBACK without a failure reason arrives (a refused one is
sent again). While the link is down nothing is handed over and the spool grows (bounded by its
disk budget); when the link returns, paho first
re-sends what was on the wire (same client, same session), then the pump continues from where
it stopped, so HQ receives everything in order. After a restart of the edge the whole spool is
sent again from its oldest row: HQ drops the few it already had by (edge, epoch, seq).
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge.services import uplink_feed
from edge.services import uplink_spool as spool
from edge.services.uplink_config import UplinkSettings
from edge.services.uplink_topics import envelope
from edge.store import Store
from edge.store.db import utc_text

log = logging.getLogger(__name__)

#: How often the pump looks for new spool rows when nothing woke it.
POLL_S = 0.05
#: After the broker refused a message (a PUBACK with a failure reason), wait this long before resending.
REFUSED_RETRY_S = 1.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_client(settings: UplinkSettings, client_id: str) -> paho.Client:
    """A paho MQTT 5 client with the uplink's credentials and TLS, not yet connected."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    if settings.tls:
        client.tls_set(
            ca_certs=str(settings.ca_file) if settings.ca_file else None,
            certfile=str(settings.cert_file) if settings.cert_file else None,
            keyfile=str(settings.key_file) if settings.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    client.reconnect_delay_set(settings.reconnect_min_s, settings.reconnect_max_s)
    client.max_inflight_messages_set(settings.inflight)
    return client


def session_properties(expiry_s: int) -> Properties:
    """CONNECT properties asking the broker to keep our session (and its QoS 1 queue) that long."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry_s
    return props


class UplinkPublisher:
    """Publishes the edge's spool to HQ's broker until stopped."""

    def __init__(self, store: Store, settings: UplinkSettings, *, edge_id: str, warehouse_id: str,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.store = store
        self.settings = settings
        self.edge_id = edge_id
        self.warehouse_id = warehouse_id
        self.clock = clock
        self._next_collect = 0.0
        self.client_id = settings.client_id or f"haolin-uplink-{edge_id}"
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._acked_mids: deque[int] = deque()  # filled by paho's thread, drained by the pump
        self._refused_mids: deque[tuple[int, str]] = deque()  # PUBACKs with a failure reason, same way
        self._resend_at = 0.0
        self._outstanding: dict[int, int] = {}  # mid -> seq, pump thread only
        self._last_handed = 0
        self._epoch = ""
        self._thread: threading.Thread | None = None
        self._client = make_client(settings, self.client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    # --- paho's network thread ----------------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            self._link_changed(False, f"broker refused the uplink: {reason}")
            return
        self.connected.set()
        self._link_changed(True, None)
        self._wake.set()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: paho.DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self.connected.clear()
        self._link_changed(False, None if self._stop.is_set() else f"uplink lost: {reason}")

    def _on_publish(self, client: paho.Client, userdata: object, mid: int, reason: ReasonCode,
                    properties: Properties | None) -> None:
        if reason.is_failure:  # the broker did not take it (quota, not authorised, ...): keep it, send again
            self._refused_mids.append((mid, str(reason)))
        else:
            self._acked_mids.append(mid)  # under paho's own mutex: no lock of ours here
        self._wake.set()

    def _link_changed(self, up: bool, error: str | None) -> None:
        try:
            spool.record_link(self.store, connected=up, error=error)
        except Exception:  # a busy database must not kill paho's thread; the status is advisory
            log.exception("could not record the uplink's state")

    # --- the pump -----------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (reconnecting with backoff) and start pumping the spool."""
        if self._thread is not None:
            return
        self._epoch = spool.epoch(self.store)
        self._client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive_s,
                                   clean_start=False, properties=session_properties(self.settings.session_expiry_s))
        self._client.loop_start()
        self._thread = threading.Thread(target=self._pump, name="uplink-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop pumping and disconnect; what was not acknowledged stays in the spool."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._client.disconnect()
        self._client.loop_stop()

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                self._collect()
                self._settle_acks()
                if self.connected.is_set():
                    self._hand_over()
            except Exception:
                log.exception("uplink pump step failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(POLL_S)
            self._wake.clear()
        self._settle_acks()
        self.store.close()

    def _collect(self) -> None:
        """Spool new rollups and alarm transitions, whether or not the link is up."""
        if time.monotonic() < self._next_collect:
            return
        self._next_collect = time.monotonic() + self.settings.collect_every_s
        uplink_feed.collect(self.store, warehouse=self.warehouse_id, now=self.clock(),
                            budget_bytes=self.settings.budget_bytes,
                            grace=dt.timedelta(seconds=self.settings.closed_grace_s))

    def _settle_acks(self) -> None:
        refused = []
        while self._refused_mids:
            mid, reason = self._refused_mids.popleft()
            seq = self._outstanding.pop(mid, None)
            if seq is not None:
                refused.append(seq)
                log.warning("broker refused uplink message %d (%s); it stays in the spool", seq, reason)
        if refused:  # hand over again from the first refused one (HQ drops repeats by seq)
            self._last_handed = min(self._last_handed, min(refused) - 1)
            self._resend_at = time.monotonic() + REFUSED_RETRY_S
            self._link_changed(True, f"broker refused message {min(refused)}; resending")
        seqs = []
        while self._acked_mids:
            seq = self._outstanding.pop(self._acked_mids.popleft(), None)
            if seq is not None:
                seqs.append(seq)
        if seqs:
            spool.acknowledge(self.store, seqs, utc_text(_now()))

    def _hand_over(self) -> None:
        room = self.settings.inflight - len(self._outstanding)
        if room <= 0 or time.monotonic() < self._resend_at:
            return
        for item in spool.pending(self.store, self._last_handed, room):
            payload = envelope(self.edge_id, self._epoch, item.seq, item.payload)
            info = self._client.publish(item.topic, payload, qos=1)
            if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
                log.warning("uplink publish of seq %d refused locally: %s", item.seq, paho.error_string(info.rc))
                return  # try again on the next round, in order
            # NO_CONN: paho queued it and sends it on reconnect, in order with the rest
            self._outstanding[info.mid] = item.seq
            self._last_handed = item.seq

    def drained(self) -> bool:
        """True when the spool is empty and nothing waits for an acknowledgement."""
        return not self._outstanding and spool.status(self.store, self.settings.budget_bytes).depth == 0

