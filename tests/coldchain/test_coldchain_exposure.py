"""Crate exposure from crate scans and asset telemetry; asset day and trip summaries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edge.services import telemetry
from edge.services.coldchain_exposure import asset_exposure, crate_exposure, daily, trip_exposure
from edge.services.telemetry import Sample
from edge.store import Store
from edge.store.db import utc_text
from tests.coldchain.conftest import T0

SSCC = "003456789012345675"


def readings(store: Store, sensor: str, start: dt.datetime, minutes: int, temp: float) -> None:
    samples = [Sample(sensor, start + dt.timedelta(minutes=m), temp) for m in range(0, minutes, 5)]
    telemetry.ingest(store, samples, received_at=start + dt.timedelta(minutes=minutes))


def crate_with_scans(store: Store) -> None:
    store_id = store.scalar("SELECT store_id FROM stores ORDER BY store_id LIMIT 1")
    with store.write("test", T0) as w:
        w.conn.execute("INSERT INTO crates (sscc, delivery_date, store_id, temp_class, crate_no, status, opened_at)"
                       " VALUES (?, '2026-07-02', ?, 'chilled', 1, 'delivered', ?)", (SSCC, store_id, utc_text(T0)))
        w.conn.execute("INSERT INTO crate_lines VALUES (?, 'BLU-125', 12)", (SSCC,))
        w.conn.execute("INSERT INTO vehicles (vehicle_id, name) VALUES ('TRUCK-01', 'truck 1')")
        w.conn.execute("INSERT INTO routes (route_id, delivery_date, route_no, vehicle_id, distance_m, duration_s,"
                       " planned_at, departed_at, status) VALUES ('R1', '2026-07-02', 1, 'TRUCK-01', 1000, 3600, ?, ?,"
                       " 'departed')", (utc_text(T0), utc_text(T0 + dt.timedelta(hours=2))))
        for kind, asset, compartment, hours in (("sorted", "CR-BERRY", None, 0), ("loaded", None, "TRUCK-01-C", 2),
                                                ("delivered", None, None, 4)):
            w.conn.execute("INSERT INTO crate_scans (sscc, kind, asset_id, compartment_id, route_id, scanned_at, actor)"
                           " VALUES (?, ?, ?, ?, 'R1', ?, 'test')",
                           (SSCC, kind, asset, compartment, utc_text(T0 + dt.timedelta(hours=hours))))


def test_coldchain_crate_exposure_judges_each_leg_against_the_crates_sku_band(cold_store: Store) -> None:
    crate_with_scans(cold_store)
    readings(cold_store, "CR-BERRY-T", T0, 120, 1.0)
    readings(cold_store, "TRUCK-01-C-T", T0 + dt.timedelta(hours=2), 120, 3.0)  # fine for the truck, warm for berries
    exposure = crate_exposure(cold_store, SSCC)
    assert exposure["band"] == {"low_c": 0.0, "high_c": 2.0} and exposure["warning"] is None
    assert [(leg["asset_id"], leg["scan"], leg["above_s"]) for leg in exposure["legs"]] == [
        ("CR-BERRY", "sorted", 0.0), ("TRUCK-01-C", "loaded", 7200.0)]
    assert (exposure["min_c"], exposure["max_c"], exposure["out_of_range_s"]) == (1.0, 3.0, 7200.0)
    assert exposure["degree_minutes"] == pytest.approx(120.0)
    assert 1.0 < exposure["mean_c"] < exposure["mkt_c"] < 3.0 and exposure["unmonitored_s"] == 0
    truck = asset_exposure(cold_store, "TRUCK-01-C", T0 + dt.timedelta(hours=2), T0 + dt.timedelta(hours=4))
    assert truck["out_of_range_s"] == 0 and truck["mkt_c"] == pytest.approx(3.0)
    with pytest.raises(LookupError):
        crate_exposure(cold_store, "000000000000000000")


def test_coldchain_crate_leg_without_readings_counts_as_unmonitored(cold_store: Store) -> None:
    crate_with_scans(cold_store)
    readings(cold_store, "CR-BERRY-T", T0, 60, 1.0)  # the last hour in the room and the truck have no data
    exposure = crate_exposure(cold_store, SSCC)
    assert exposure["covered_s"] == 3600 and exposure["unmonitored_s"] == 3 * 3600


def test_coldchain_trip_and_day_summaries(cold_store: Store) -> None:
    crate_with_scans(cold_store)
    readings(cold_store, "TRUCK-01-C-T", T0 + dt.timedelta(hours=2), 120, 5.0)
    trip = trip_exposure(cold_store, "R1", now=T0 + dt.timedelta(hours=4))
    assert (trip["from"], trip["to"], trip["finished"]) == ("2026-07-01T02:00:00.000Z", "2026-07-01T04:00:00.000Z",
                                                            False)
    assert [(c["asset_id"], c["out_of_range_s"]) for c in trip["compartments"]] == [("TRUCK-01-C", 7200.0)]
    day = {r["asset_id"]: r for r in daily(cold_store, dt.date(2026, 7, 1), ZoneInfo("Asia/Shanghai"))}
    # The last reading (03:55) holds for the truck's heartbeat (10 min) when nothing follows it.
    assert day["TRUCK-01-C"]["max_c"] == 5.0 and day["TRUCK-01-C"]["out_of_range_s"] == 7200.0 + 300
    assert day["FZ-1"]["mkt_c"] is None and day["FZ-1"]["covered_s"] == 0
