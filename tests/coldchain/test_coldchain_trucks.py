"""Truck compartments: watched from the first crate loaded to the last handoff; a logger read out on
return runs through the alarms in event-time order, and the alarm keeps its real times."""

from __future__ import annotations

import datetime as dt

from edge.domain.coldchain.alarm_engine import AlarmKind, AlarmRule, Change, SensorWatch, Window
from edge.domain.coldchain.bands import Band
from edge.services import alarms, telemetry
from edge.services.telemetry import Sample
from edge.store import Store
from edge.store.db import utc_text
from tests.coldchain.conftest import T0

OPEN = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def test_coldchain_truck_is_watched_only_while_loaded() -> None:
    watch = SensorWatch(AlarmRule(Band(0.0, 4.0), heartbeat_s=600), started_at=at(0), known=True)
    watch.loaded = [Window(at(30), at(90), "loaded")]
    changes = [(m, t) for m in range(0, 120) if m < 100 for t in watch.observe(at(m), 9.0)]
    changes += [(m, t) for m in range(100, 200, 10) for t in watch.check(at(m))]  # logger off when parked
    assert [(t.kind, t.change, t.at, t.severity.value) for _, t in changes] == [
        (AlarmKind.TEMP_HIGH, Change.RAISED, at(35), "critical"),  # 5 K over from the first crate: 5 minutes
        (AlarmKind.TEMP_HIGH, Change.CLEARED, at(90), "critical")]  # the last handoff ends it
    assert changes[1][1].detail.startswith("compartment emptied")


def load(store: Store, compartment: str, loaded: dt.datetime, delivered: dt.datetime | None) -> None:
    store_id = store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    with store.write("test", loaded) as w:
        w.conn.execute("INSERT OR IGNORE INTO vehicles (vehicle_id, name) VALUES ('TRUCK-01', 'truck 1')")
        w.conn.execute("INSERT OR IGNORE INTO routes (route_id, delivery_date, route_no, vehicle_id, distance_m,"
                       " duration_s, planned_at, status) VALUES ('R1', '2026-07-01', 1, 'TRUCK-01', 1000, 3600, ?,"
                       " 'departed')", (utc_text(loaded),))
        sscc = f"0069{abs(hash((compartment, loaded))) % 10**14:014d}"
        w.conn.execute("INSERT INTO crates (sscc, delivery_date, store_id, temp_class, crate_no, status, opened_at)"
                       " VALUES (?, '2026-07-01', ?, 'chilled', 1, 'loaded', ?)", (sscc, store_id, utc_text(loaded)))
        for kind, when in (("loaded", loaded), ("delivered", delivered)):
            if when is not None:
                w.conn.execute("INSERT INTO crate_scans (sscc, kind, compartment_id, route_id, scanned_at, actor)"
                               " VALUES (?, ?, ?, 'R1', ?, 'test')", (sscc, kind, compartment, utc_text(when)))


def test_coldchain_truck_logger_read_out_on_return_alarms_with_real_times(cold_store: Store) -> None:
    load(cold_store, "TRUCK-01-C", at(60), at(150))
    monitor = alarms.AlarmMonitor(cold_store, at(0) - dt.timedelta(hours=1))
    # The logger had no link on the road: nothing arrives until the truck is back at minute 200.
    ticked = [c.transition for c in monitor.tick(at(120)) if c.sensor_id == "TRUCK-01-C-T"]
    assert [(t.kind.value, t.at) for t in ticked] == [("sensor_silent", at(70))]  # loaded at 60, no reading since
    backlog = [Sample("TRUCK-01-C-T", at(m), 9.0 if 80 <= m < 120 else 2.5) for m in range(60, 200)]
    result = telemetry.ingest(cold_store, backlog, received_at=at(200))
    changes = [c for c in monitor.observe(result.accepted, at(200)) if c.sensor_id == "TRUCK-01-C-T"]
    kinds = [(c.transition.kind.value, c.transition.change.value) for c in changes]
    assert ("temp_high", "raised") in kinds and ("temp_high", "cleared") in kinds
    row = cold_store.query("SELECT * FROM cold_alarms WHERE sensor_id = 'TRUCK-01-C-T' AND kind = 'temp_high'")[0]
    assert (row["started_at"], row["raised_at"]) == (utc_text(at(80)), utc_text(at(85)))  # real times, not 200
    assert row["cleared_at"] <= utc_text(at(130))
    silent = cold_store.query("SELECT raised_at, cleared_at FROM cold_alarms WHERE sensor_id = 'TRUCK-01-C-T'"
                              " AND kind = 'sensor_silent'")
    # Raised live (nothing had arrived); the backlog shows readings from minute 60: cleared as of its raise.
    assert [(s["raised_at"], s["cleared_at"]) for s in silent] == [(utc_text(at(70)), utc_text(at(70)))]
    # After the last handoff the parked, empty truck raises nothing, however warm.
    warm = [Sample("TRUCK-01-C-T", at(m), 20.0) for m in range(200, 260)]
    parked = monitor.observe(telemetry.ingest(cold_store, warm, received_at=at(260)).accepted, at(260))
    parked += monitor.tick(at(300))
    assert [c for c in parked if c.sensor_id == "TRUCK-01-C-T"] == []


def test_coldchain_truck_never_loaded_by_the_floor_is_watched_all_the_time(cold_store: Store) -> None:
    monitor = alarms.AlarmMonitor(cold_store, at(0))
    samples = [Sample("TRUCK-01-C-T", at(m), 9.0) for m in range(20, 40)]
    changes = monitor.observe(telemetry.ingest(cold_store, samples, received_at=at(40)).accepted, at(40))
    assert [(c.transition.kind.value, c.transition.change.value) for c in changes
            if c.sensor_id == "TRUCK-01-C-T" and c.transition.kind.value == "temp_high"] == [("temp_high", "raised")]
