"""The daily cold-chain report of a warehouse: a table per asset and a chart, as PNG or PDF.

Drawn with matplotlib's object API (no pyplot state, safe in a worker thread). Asset names are
Chinese on the floor; when no CJK font is installed (fonts-noto-cjk), the report falls back to
asset ids instead of printing empty boxes.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from matplotlib import font_manager, rc_context
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from edge.services.coldchain_exposure import DEFAULT_DH_OVER_R, daily, local_day
from edge.store import Store
from edge.store.db import parse_utc, utc_text

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN")


@dataclass(frozen=True)
class DailyReport:
    warehouse_id: str
    day: dt.date
    time_zone: str
    generated_at: dt.datetime
    rows: list[dict[str, Any]]
    curves: dict[str, list[tuple[dt.datetime, float, float, float]]]  # asset -> (local time, min, mean, max)

    def as_json(self) -> dict[str, Any]:
        return {"warehouse_id": self.warehouse_id, "date": self.day.isoformat(), "time_zone": self.time_zone,
                "generated_at": utc_text(self.generated_at), "assets": self.rows}


def build_daily_report(store: Store, day: dt.date, *, warehouse_id: str, zone: Any, now: dt.datetime,
                       dh_over_r: float = DEFAULT_DH_OVER_R) -> DailyReport:
    rows = daily(store, day, zone, dh_over_r=dh_over_r)
    start, end = local_day(day, zone)
    curves = {}
    for row in rows:
        sensor = min(row["sensors"], default=None)
        if sensor is None:
            continue
        points = store.conn.execute(
            "SELECT bucket, min_c, mean_c, max_c FROM cold_rollups_1m WHERE sensor_id = ? AND bucket >= ?"
            " AND bucket < ? ORDER BY bucket", (sensor, utc_text(start), utc_text(end)))
        curves[row["asset_id"]] = [(parse_utc(b).astimezone(zone), lo, mean, hi) for b, lo, mean, hi in points]
    return DailyReport(warehouse_id, day, str(zone), now, rows, curves)


@cache
def cjk_family() -> str | None:
    """An installed font family that has Chinese glyphs, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def _label(row: dict[str, Any], cjk: bool) -> str:
    name = row["name"]
    if cjk or name.isascii():
        return f"{row['asset_id']} {name}"
    return row["asset_id"]


def _fmt(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _band_text(band: dict[str, float | None]) -> str:
    low, high = band["low_c"], band["high_c"]
    return f"{'' if low is None else f'{low:g}'}…{'' if high is None else f'{high:g}'}"


def render(report: DailyReport, fmt: Literal["png", "pdf"]) -> bytes:
    """The report as one page: chart above, table below."""
    family = cjk_family()
    figure = Figure(figsize=(11.7, 8.3), dpi=100, layout="constrained")
    chart, table_ax = figure.subplots(2, 1, height_ratios=(3, 2))
    font = {"family": [family, "DejaVu Sans"]} if family else {"family": ["DejaVu Sans"]}
    title = "冷链日报" if family else "Cold-chain daily report"
    figure.suptitle(f"{title} {report.warehouse_id} {report.day.isoformat()} ({report.time_zone})", fontdict=font)
    for row in report.rows:
        points = report.curves.get(row["asset_id"], [])
        if points:
            times = [p[0] for p in points]
            line, = chart.plot(times, [p[2] for p in points], label=_label(row, bool(family)), linewidth=1.2)
            chart.fill_between(times, [p[1] for p in points], [p[3] for p in points], alpha=0.15,
                               color=line.get_color())
            for limit in (row["band"]["low_c"], row["band"]["high_c"]):
                if limit is not None:
                    chart.axhline(limit, color=line.get_color(), linestyle="--", linewidth=0.8)
    chart.set_ylabel("°C")
    chart.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=ZoneInfo(report.time_zone)))
    chart.grid(True, alpha=0.3)
    if chart.lines and any(report.curves.values()):
        chart.legend(loc="upper right", prop=font_manager.FontProperties(family=font["family"]), fontsize=8)
    table_ax.axis("off")
    header = ["asset", "band °C", "min", "max", "mean", "MKT", "out of band min", "°C·min", "alarms"]
    cells = [[_label(r, bool(family)), _band_text(r["band"]), _fmt(r["min_c"]), _fmt(r["max_c"]), _fmt(r["mean_c"]),
              _fmt(r["mkt_c"], 2), _fmt(r["out_of_range_s"] / 60, 0), _fmt(r["degree_minutes"], 0), str(r["alarms"])]
             for r in report.rows]
    if cells:
        table = table_ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        for cell in table.get_celld().values():
            cell.get_text().set_fontfamily(font["family"])
    out = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}):  # embed TrueType so Chinese stays text in the PDF
        figure.savefig(out, format=fmt, metadata={"Title": f"{report.warehouse_id} cold chain {report.day}"}
                       if fmt == "pdf" else None)
    return out.getvalue()
