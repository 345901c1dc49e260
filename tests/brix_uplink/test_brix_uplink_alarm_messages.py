"""Each alarm message carries the alarm as of its own line in the append-only audit trail, so HQ,
replaying them in order, knows what the edge knew at each step, whatever the clock said."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from edge.services import alarms, telemetry, uplink_feed
from edge.services import uplink_spool as spool
from edge.services.alarms import AlarmMonitor
from tests.brix_uplink.test_brix_uplink_outage import T0, configured_store

TRUCK = "TRUCK-01-C.t1"


def _readings(minutes: range, value: float) -> list[telemetry.Sample]:
    return [telemetry.Sample(TRUCK, T0 + dt.timedelta(minutes=m), value) for m in minutes]


def test_an_alarm_acknowledged_in_the_millisecond_it_was_raised_is_sent_raised_then_acknowledged(
        tmp_path: Path) -> None:
    store = configured_store(tmp_path / "edge.sqlite3")
    monitor = AlarmMonitor(store, T0)
    warm_until = T0 + dt.timedelta(minutes=30)
    warm = telemetry.ingest(store, _readings(range(30), 9.0), received_at=warm_until)
    raised = [c for c in monitor.observe(warm.accepted, warm_until) if c.transition.change.value == "raised"]
    assert raised, "a truck at 9 °C for half an hour raises an alarm"
    # A frozen or coarse clock: the acknowledgement is recorded at the very time of the raise.
    alarms.acknowledge(store, raised[0].alarm_id, actor="person:SUP01", reason="door closed", now=warm_until)
    back_at = T0 + dt.timedelta(minutes=60)
    monitor.observe(telemetry.ingest(store, _readings(range(30, 60), 2.0), received_at=back_at).accepted, back_at)

    uplink_feed.collect(store, warehouse="WH", now=back_at, budget_bytes=10**8)
    bodies = [json.loads(m.payload)["body"] for m in spool.pending(store, 0, 10_000) if m.topic.endswith("/alarm")]
    mine = [(b["transition"], b["state"], b["acknowledged_by"]) for b in bodies
            if b["alarm_id"] == str(raised[0].alarm_id)]
    assert mine[0] == ("raised", "active", None)
    assert ("acknowledged", "active", "person:SUP01") in mine
    assert mine[-1] == ("cleared", "cleared", "person:SUP01")
    acked_from = mine.index(("acknowledged", "active", "person:SUP01"))
    assert all(by is None for _, _, by in mine[:acked_from]) and all(by for _, _, by in mine[acked_from:])
