"""The daily report renders from stored telemetry, as PNG and PDF, with or without a CJK font."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from matplotlib.image import imread

from edge.services import telemetry
from edge.services.coldchain_report import build_daily_report, render
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
