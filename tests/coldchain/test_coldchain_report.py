"""The daily report renders from stored telemetry, as PNG and PDF, with or without a CJK font."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from matplotlib.image import imread

from edge.domain.coldchain.bands import Band
from edge.domain.coldchain.exposure import Held, excursions
from edge.services import alarms, telemetry
from edge.services.coldchain_report import CSV_COLUMNS, build_daily_report, render
from edge.services.telemetry import Sample
from edge.store import Store
from tests.coldchain.conftest import T0

ZONE = ZoneInfo("Asia/Shanghai")


def test_coldchain_daily_report_table_chart_png_and_pdf(cold_store: Store) -> None:
    samples = [Sample("CR-1-T", T0 + dt.timedelta(minutes=m), 3.0 + (4.0 if 60 <= m < 90 else 0.0))
               for m in range(0, 180, 2)]
    samples += [Sample("FZ-1-T", T0 + dt.timedelta(minutes=m), -20.0) for m in range(0, 180, 2)]
    telemetry.ingest(cold_store, samples, received_at=T0 + dt.timedelta(hours=3))
    report = build_daily_report(cold_store, dt.date(2026, 7, 1), warehouse_id="WH-SH-01", zone=ZONE,
                                now=T0 + dt.timedelta(hours=4))
    rows = {r["asset_id"]: r for r in report.as_json()["assets"]}
    assert rows["CR-1"]["max_c"] == 7.0 and rows["CR-1"]["out_of_range_s"] == 30 * 60
    assert rows["FZ-1"]["out_of_range_s"] == 0 and rows["CR-BERRY"]["samples"] == 0
    assert len(report.curves["CR-1"]) == 90
    png = render(report, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert imread(io.BytesIO(png)).shape[:2] == (830, 1170)
    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF-") and b"WH-SH-01 cold chain 2026-07-01" in pdf


def test_coldchain_daily_report_of_an_empty_day_still_renders(cold_store: Store) -> None:
    report = build_daily_report(cold_store, dt.date(2026, 1, 1), warehouse_id="WH", zone=ZONE, now=T0)
    assert all(r["covered_s"] == 0 for r in report.rows)
    assert render(report, "png").startswith(b"\x89PNG")


def test_coldchain_daily_record_lists_excursions_and_corrective_actions(cold_store: Store) -> None:
    """GB 31605's record: interval, numbers, each excursion with duration and K·min, each alarm with
    who acknowledged it and what was done; PDF with a page per asset, CSV for Excel."""
    held = [Held(T0 + dt.timedelta(minutes=m), 60.0, t) for m, t in enumerate([3.0, 5.0, 6.0, 3.5, 5.0])]
    found = excursions(held, Band(0.0, 4.0))
    assert [(e.start, e.duration_s, e.peak_c, e.degree_minutes) for e in found] == [
        (T0 + dt.timedelta(minutes=1), 120.0, 6.0, 3.0), (T0 + dt.timedelta(minutes=4), 60.0, 5.0, 1.0)]

    monitor = alarms.AlarmMonitor(cold_store, T0 - dt.timedelta(hours=1))
    samples = [Sample("CR-1-T", T0 + dt.timedelta(minutes=m), 10.0 if 60 <= m < 90 else 3.0) for m in range(180)]
    monitor.observe(telemetry.ingest(cold_store, samples, received_at=T0 + dt.timedelta(hours=3)).accepted,
                    T0 + dt.timedelta(hours=3))
    [alarm] = [a for a in alarms.list_alarms(cold_store, asset_id="CR-1") if a["kind"] == "temp_high"]
    alarms.acknowledge(cold_store, alarm["alarm_id"], actor="person:SUP01", reason="门封条更换，货物已转移至冷藏库 2",
                       now=T0 + dt.timedelta(hours=3))
    report = build_daily_report(cold_store, dt.date(2026, 7, 1), warehouse_id="WH-SH-01", zone=ZONE,
                                now=T0 + dt.timedelta(hours=4))
    row = {r["asset_id"]: r for r in report.rows}["CR-1"]
    assert row["recording_interval_s"] == 60.0
    assert [(e["start"], e["duration_s"], e["peak_c"], e["degree_minutes"]) for e in row["excursions"]] == [
        ("2026-07-01T01:00:00.000Z", 1800.0, 10.0, 180.0)]
    assert [(a["kind"], a["acknowledged_by"], a["ack_reason"]) for a in row["alarm_log"]] == [
        ("sensor_silent", None, None),  # before its first reading
        ("temp_high", "person:SUP01", "门封条更换，货物已转移至冷藏库 2")]

    lines = render(report, "csv").decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    excursion = next(line for line in lines if line.startswith("excursion,CR-1"))
    assert "2026-07-01T09:00:00+08:00" in excursion and "2026-07-01T09:30:00+08:00" in excursion  # local, with offset
    assert any(line.startswith("alarm,CR-1") and "门封条更换" in line for line in lines)
    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1 + len(report.rows)
