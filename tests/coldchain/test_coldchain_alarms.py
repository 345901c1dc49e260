"""The alarm monitor over a real store: rows, append-only audit, the node's events, acknowledgement."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from edge.domain.problems import InputRejected
from edge.services import alarms, telemetry
from edge.services.coldchain_assets import apply_spec, parse_spec
from edge.services.telemetry import Sample
from edge.store import Store
from tests.coldchain.conftest import T0

SERIES_77 = [(0, 2.1), (5, 2.0), (10, 2.2), (15, 4.6), (20, 6.8), (25, 7.9), (30, 6.1), (35, 4.4),
             (40, 3.2), (45, 2.6), (50, 2.3)]


def reefer(store: Store) -> None:
    """TRUCK-01-C with the §7.7 rule: delay 15 min, clear at once below 3.0 °C, no start-up hold."""
    apply_spec(store, parse_spec({"assets": [{
        "asset_id": "TRUCK-01-C", "kind": "truck_compartment", "name": "reefer", "temp_class": "chilled",
        "levels": [{"severity": "warning", "for_s": 900}], "verify_normal_s": 0, "startup_s": 0,
        "heartbeat_s": 600}]}), actor="t", now=T0)


def run(store: Store, monitor: alarms.AlarmMonitor, series: list[tuple[int, float]]) -> list[alarms.AlarmChange]:
    out = []
    for minute, temp in series:
        at = T0 + dt.timedelta(minutes=minute)
        result = telemetry.ingest(store, [Sample("TRUCK-01-C-T", at, temp)], received_at=at)
        out += monitor.observe(result.accepted, at)
    return out


def test_coldchain_series_77_is_stored_audited_and_logged(cold_store: Store) -> None:
    reefer(cold_store)
    monitor = alarms.AlarmMonitor(cold_store, T0)
    changes = run(cold_store, monitor, SERIES_77)
    assert [(c.transition.change.value, c.transition.at) for c in changes] == [
        ("raised", T0 + dt.timedelta(minutes=30)), ("cleared", T0 + dt.timedelta(minutes=45))]
    row = cold_store.query("SELECT * FROM cold_alarms")[0]
    assert (row["kind"], row["state"], row["started_at"], row["raised_at"], row["cleared_at"]) == (
        "temp_high", "cleared", "2026-07-01T00:15:00.000Z", "2026-07-01T00:30:00.000Z", "2026-07-01T00:45:00.000Z")
    assert (row["peak_c"], row["degree_minutes"], row["limit_c"]) == (7.9, pytest.approx(49.0), 4.0)
    logged = cold_store.conn.execute(
        "SELECT kind, payload, occurred_at FROM events WHERE kind LIKE 'coldchain.alarm.%' ORDER BY event_id")
    assert [(kind, json.loads(payload)["alarm_id"], at) for kind, payload, at in logged] == [
        ("coldchain.alarm.raised", row["alarm_id"], "2026-07-01T00:30:00.000Z"),
        ("coldchain.alarm.cleared", row["alarm_id"], "2026-07-01T00:45:00.000Z")]

    acked = alarms.acknowledge(cold_store, row["alarm_id"], actor="SUP01", reason="door seal checked, load cooled",
                               now=T0 + dt.timedelta(hours=1), device_id="pda-7")
    assert acked["acknowledged_by"] == "SUP01" and alarms.list_alarms(cold_store) == []
    with pytest.raises(alarms.AlarmAlreadyAcknowledged, match="SUP01"):
        alarms.acknowledge(cold_store, row["alarm_id"], actor="X", reason="again", now=T0)
    with pytest.raises(InputRejected, match="reason"):
        alarms.acknowledge(cold_store, row["alarm_id"], actor="X", reason="  ", now=T0)
    with pytest.raises(alarms.AlarmNotFound):
        alarms.acknowledge(cold_store, 999, actor="X", reason="r", now=T0)
    trail = alarms.audit_trail(cold_store, row["alarm_id"])
    assert [(a["transition"], a["actor"], a["device_id"]) for a in trail] == [
        ("raised", "system:coldchain", None), ("cleared", "system:coldchain", None), ("acknowledged", "SUP01", "pda-7")]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        cold_store.conn.execute("DELETE FROM cold_alarm_audit")


def test_coldchain_open_alarm_survives_a_restart_without_a_second_raise(cold_store: Store) -> None:
    reefer(cold_store)
    first = alarms.AlarmMonitor(cold_store, T0)
    assert len(run(cold_store, first, SERIES_77[:7])) == 1
    second = alarms.AlarmMonitor(cold_store, T0 + dt.timedelta(minutes=31))
    changes = run(cold_store, second, SERIES_77[7:])
    assert [c.transition.change.value for c in changes] == ["cleared"]
    assert cold_store.scalar("SELECT count(*) FROM cold_alarms") == 1


def test_coldchain_silent_sensor_and_suppression_window(cold_store: Store) -> None:
    reefer(cold_store)
    monitor = alarms.AlarmMonitor(cold_store, T0)
    run(cold_store, monitor, [(0, 2.0)])
    assert [c for c in monitor.tick(T0 + dt.timedelta(minutes=9)) if c.sensor_id == "TRUCK-01-C-T"] == []
    silent = [c for c in monitor.tick(T0 + dt.timedelta(minutes=10)) if c.sensor_id == "TRUCK-01-C-T"]
    assert [(c.transition.kind.value, c.transition.change.value) for c in silent] == [("sensor_silent", "raised")]
    alarms.add_suppression(cold_store, "TRUCK-01-C", "defrost", T0 + dt.timedelta(minutes=20),
                           T0 + dt.timedelta(minutes=50), actor="SUP01", now=T0)
    changes = run(cold_store, monitor, [(m, 9.0) for m in range(20, 50, 5)])
    assert [(c.transition.kind.value, c.transition.change.value) for c in changes] == [("sensor_silent", "cleared")]
    with pytest.raises(InputRejected) as bad:
        alarms.add_suppression(cold_store, "NOPE", "party", T0, T0 + dt.timedelta(hours=5), actor="x", now=T0)
    assert {p.path for p in bad.value.problems} == {"asset_id", "reason", "ends_at"}


def test_coldchain_restart_holds_back_nothing_for_known_sensors(cold_store: Store) -> None:
    """Start-up suppression is for a sensor never seen: after a node restart a freezer that dies
    is critical as soon as its levels say, and a brand-new sensor still gets its settling time."""
    before = [Sample("FZ-1-T", T0 + dt.timedelta(minutes=m), -20.0) for m in range(30)]
    telemetry.ingest(cold_store, before, received_at=T0 + dt.timedelta(minutes=30))
    restart = T0 + dt.timedelta(minutes=31)
    monitor = alarms.AlarmMonitor(cold_store, restart)  # the node starts again
    assert monitor.watches["FZ-1-T"].known and not monitor.watches["CR-1-T"].known
    warm = [Sample("FZ-1-T", restart + dt.timedelta(minutes=m), -10.0) for m in range(6)]
    warm += [Sample("CR-1-T", restart + dt.timedelta(minutes=m), 12.0) for m in range(6)]  # new: settling
    now = restart + dt.timedelta(minutes=6)
    changes = monitor.observe(telemetry.ingest(cold_store, warm, received_at=now).accepted, now)
    assert [(c.sensor_id, c.transition.kind.value, c.transition.severity.value, c.transition.at) for c in changes] == [
        ("FZ-1-T", "temp_high", "critical", restart + dt.timedelta(minutes=2))]
