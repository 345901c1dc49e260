"""The daily cold-chain record of a warehouse, as GB 31605-2020 expects a cold-chain operator to
keep it: per asset the recording interval, min / max / mean / MKT, each excursion (start, end,
duration, peak, degree-minutes) and each alarm with who acknowledged it and the corrective action.

PNG: one overview page (chart and table). PDF: the overview, then one page per asset with its
curve against the band, its excursions and its alarm log. CSV (UTF-8 with BOM, for Excel): one
line per asset-day, excursion and alarm, times in the site's zone with their offset. Drawn with
matplotlib's object API (no pyplot state, safe in a worker thread). Asset names are Chinese on the
floor; when no CJK font is installed (fonts-noto-cjk), the report uses asset ids instead of boxes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from edge.services.coldchain_exposure import DEFAULT_DH_OVER_R, asset_record, daily, local_day
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
        row.update(asset_record(store, row["asset_id"], start, end))
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


def _overview(report: DailyReport, family: str | None) -> Figure:
    """The warehouse's day on one page: chart above, table below."""
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
    return figure


RECORD_TEXTS: dict[bool, dict[str, Any]] = {
    True: {"title": "冷链温度记录", "band": "温区", "interval": "记录间隔", "excursions": "超温区记录",
           "alarms": "报警与纠正措施", "none": "无",
           "exc_head": ["传感器", "开始", "结束", "时长 min", "峰值 °C", "°C·min"],
           "alarm_head": ["类型", "级别", "开始", "报警", "恢复", "确认人", "确认时间", "纠正措施"]},
    False: {"title": "Cold-chain temperature record", "band": "band", "interval": "recording interval",
            "excursions": "Excursions", "alarms": "Alarms and corrective actions", "none": "none",
            "exc_head": ["sensor", "start", "end", "min", "peak °C", "°C·min"],
            "alarm_head": ["kind", "severity", "began", "raised", "cleared", "acknowledged by", "at",
                           "corrective action"]},
}


def _local(text: str | None, zone: ZoneInfo, fmt: str = "%H:%M") -> str:
    return "–" if not text else parse_utc(text).astimezone(zone).strftime(fmt)


def _table(ax: Axes, head: list[str], cells: list[list[str]], family: list[str], empty: str) -> None:
    ax.axis("off")
    if not cells:
        ax.text(0.0, 0.9, empty, fontfamily=family, fontsize=9)
        return
    table = ax.table(cellText=cells, colLabels=head, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    for cell in table.get_celld().values():
        cell.get_text().set_fontfamily(family)


def _asset_page(report: DailyReport, row: dict[str, Any], family: str | None) -> Figure:
    """One asset's record for the day: numbers, curve against the band, excursions, alarm log."""
    zone = ZoneInfo(report.time_zone)
    t = RECORD_TEXTS[family is not None]
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    figure = Figure(figsize=(11.7, 8.3), dpi=100, layout="constrained")
    chart, exc_ax, alarm_ax = figure.subplots(3, 1, height_ratios=(3, 2, 2))
    interval = row.get("recording_interval_s")
    figure.suptitle(
        f"{t['title']} · {_label(row, family is not None)} · {report.warehouse_id} {report.day.isoformat()}\n"
        f"{t['band']} {_band_text(row['band'])} °C · {t['interval']} {_fmt(interval, 0)} s · "
        f"min {_fmt(row['min_c'])} · max {_fmt(row['max_c'])} · mean {_fmt(row['mean_c'])} · "
        f"MKT {_fmt(row['mkt_c'], 2)} °C", fontfamily=fonts, fontsize=11)
    points = report.curves.get(row["asset_id"], [])
    low, high = row["band"]["low_c"], row["band"]["high_c"]
    if points:
        times = [p[0] for p in points]
        chart.plot(times, [p[2] for p in points], linewidth=1.2, color="#08519c")
        chart.fill_between(times, [p[1] for p in points], [p[3] for p in points], alpha=0.2, color="#08519c")
    values = [v for p in points for v in (p[1], p[3])] + [b for b in (low, high) if b is not None]
    if values:
        bottom, top = min(values) - 1, max(values) + 1
        chart.axhspan(low if low is not None else bottom, high if high is not None else top, color="#d9f0d3",
                      zorder=0)
        chart.set_ylim(bottom, top)
    chart.set_ylabel("°C")
    chart.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=zone))
    chart.grid(True, alpha=0.3)
    exc_ax.set_title(t["excursions"], fontfamily=fonts, fontsize=9, loc="left")
    _table(exc_ax, t["exc_head"], [
        [e["sensor_id"], _local(e["start"], zone), _local(e["end"], zone), _fmt(e["duration_s"] / 60, 0),
         _fmt(e["peak_c"]), _fmt(e["degree_minutes"], 1)] for e in row.get("excursions", [])[:12]], fonts, t["none"])
    alarm_ax.set_title(t["alarms"], fontfamily=fonts, fontsize=9, loc="left")
    _table(alarm_ax, t["alarm_head"], [
        [a["kind"], a["severity"], _local(a["started_at"], zone), _local(a["raised_at"], zone),
         _local(a["cleared_at"], zone), a["acknowledged_by"] or "–", _local(a["acknowledged_at"], zone, "%m-%d %H:%M"),
         (a["ack_reason"] or "–")[:60]] for a in row.get("alarm_log", [])[:10]], fonts, t["none"])
    return figure


CSV_COLUMNS = ("record", "asset_id", "name", "band_low_c", "band_high_c", "recording_interval_s", "min_c", "max_c",
               "mean_c", "mkt_c", "out_of_band_min", "sensor_id", "start", "end", "duration_min", "peak_c",
               "degree_minutes", "alarm_id", "kind", "severity", "raised_at", "cleared_at", "acknowledged_at",
               "acknowledged_by", "corrective_action")


def to_csv(report: DailyReport) -> bytes:
    """The record as CSV: `day`, `excursion` and `alarm` lines per asset; local times with offset."""
    zone = ZoneInfo(report.time_zone)

    def local(text: str | None) -> str:
        return "" if not text else parse_utc(text).astimezone(zone).isoformat(timespec="seconds")

    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in report.rows:
        asset = {"asset_id": row["asset_id"], "name": row["name"], "band_low_c": row["band"]["low_c"],
                 "band_high_c": row["band"]["high_c"]}
        writer.writerow({"record": "day", **asset, "recording_interval_s": row.get("recording_interval_s"),
                         "min_c": row["min_c"], "max_c": row["max_c"], "mean_c": row["mean_c"], "mkt_c": row["mkt_c"],
                         "out_of_band_min": round(row["out_of_range_s"] / 60, 1),
                         "degree_minutes": row["degree_minutes"]})
        for e in row.get("excursions", []):
            writer.writerow({"record": "excursion", **asset, "sensor_id": e["sensor_id"], "start": local(e["start"]),
                             "end": local(e["end"]), "duration_min": round(e["duration_s"] / 60, 1),
                             "peak_c": e["peak_c"], "degree_minutes": e["degree_minutes"]})
        for a in row.get("alarm_log", []):
            writer.writerow({"record": "alarm", **asset, "sensor_id": a["sensor_id"], "start": local(a["started_at"]),
                             "peak_c": a["peak_c"], "degree_minutes": a["degree_minutes"], "alarm_id": a["alarm_id"],
                             "kind": a["kind"], "severity": a["severity"], "raised_at": local(a["raised_at"]),
                             "cleared_at": local(a["cleared_at"]), "acknowledged_at": local(a["acknowledged_at"]),
                             "acknowledged_by": a["acknowledged_by"] or "", "corrective_action": a["ack_reason"] or ""})
    return out.getvalue().encode("utf-8-sig")


def render(report: DailyReport, fmt: Literal["png", "pdf", "csv"]) -> bytes:
    """PNG: the overview page; PDF: the overview and one record page per asset; CSV: the record's lines."""
    if fmt == "csv":
        return to_csv(report)
    family = cjk_family()
    out = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}):  # embed TrueType so Chinese stays text in the PDF
        if fmt == "png":
            _overview(report, family).savefig(out, format="png")
            return out.getvalue()
        with PdfPages(out, metadata={"Title": f"{report.warehouse_id} cold chain {report.day}"}) as pdf:
            pdf.savefig(_overview(report, family))
            for row in report.rows:
                pdf.savefig(_asset_page(report, row, family))
    return out.getvalue()
