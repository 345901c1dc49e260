"""A PUBACK whose reason is a failure (quota exceeded, not authorised) leaves the message in the
spool and it is sent again, in order; a PUBACK that succeeds removes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from edge.services import uplink_spool as spool
from edge.services.uplink import UplinkPublisher
from edge.services.uplink_config import UplinkSettings
from edge.services.uplink_topics import UplinkMessage
from edge.store import Store

T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def test_a_refused_puback_keeps_the_message_and_sends_it_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "edge.sqlite3")
    with store.write("uplink-test", T0) as w:
        seqs = spool.enqueue(w.conn, [UplinkMessage("alarm", "WH", "CR-01", "_", T0, {"alarm_id": f"A{i}"})
                                      for i in range(3)], budget_bytes=10**9, created_at=w.now_text)
    publisher = UplinkPublisher(store, UplinkSettings(port=1), edge_id="e1", warehouse_id="WH")
    publisher._epoch = spool.epoch(store)
    publisher._hand_over()  # no broker: paho queues them, each with its message id
    mids = {seq: mid for mid, seq in publisher._outstanding.items()}
    assert sorted(mids) == seqs
    ok, refused = ReasonCode(PacketTypes.PUBACK, identifier=0), ReasonCode(PacketTypes.PUBACK, identifier=0x97)
    for seq in seqs:
        publisher._on_publish(publisher._client, None, mids[seq], refused if seq == seqs[1] else ok, None)
    publisher._settle_acks()
    assert [p.seq for p in spool.pending(store, 0, 10)] == [seqs[1]]
    assert "refused" in (spool.status(store, 10**9).last_error or "")
    publisher._resend_at = 0.0
    publisher._hand_over()
    assert list(publisher._outstanding.values()) == [seqs[1]]  # handed over again
    store.close()
