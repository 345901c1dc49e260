"""HQ's cold-chain dashboard: first a summary per warehouse (assets in band, out of band, degraded;
open alarms; crates delivered out of band), then the open alarms as the edges count them, the warm
deliveries, and per warehouse its rooms, freezers and trucks with 24-hour charts.

Rendered on the server as HTML with inline SVG charts: no scripts, nothing from a CDN, so it
works on HQ's wall screen as it is. Chinese by default (`?lang=en` for English); times are shown
in the sites' zone, never as ISO UTC strings. Behind HQ's admin token (bearer header or `hq_admin` cookie).
"""

from __future__ import annotations

import datetime as dt
import hmac
from html import escape
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hq_sync.reference_hq.coldchain.db import ColdChainDb
from hq_sync.reference_hq.coldchain.summary import (
    AlarmView,
    Point,
    SensorView,
    WarehouseSummary,
    asset_states,
    buckets,
    open_alarms,
    sensor_views,
    warehouse_summaries,
)

WINDOW = dt.timedelta(hours=24)
At = Annotated[dt.datetime | None, Query(description="end of the 24-hour window (default: now)")]
Lang = Literal["zh-CN", "en"]
CHART_W, CHART_H = 480, 120
SHANGHAI = ZoneInfo("Asia/Shanghai")

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "冷链监控", "window": "24 小时，截至 {end}（{zone}）", "summary": "各仓概况", "warehouse": "仓库",
        "assets": "资产", "in_band": "温区内", "out_of_band": "超出温区", "degraded": "数据异常",
        "open_alarms": "未关闭告警", "warm_crates": "温区外送达的周转箱", "asset": "资产", "sensor": "传感器",
        "kind": "类型", "severity": "级别", "state": "状态", "started": "开始", "raised": "报警", "peak": "峰值",
        "acked": "已确认", "now": "当前", "band": "温区", "mkt": "24 小时 MKT", "chart": "24 小时曲线",
        "rooms": "冷库与冷冻库", "trucks": "冷藏车", "sscc": "周转箱 SSCC", "store": "门店", "delivered": "送达",
        "max": "最高", "out": "超温区时长", "yes": "是", "no": "否", "none": "无",
        "temp_high": "温度过高", "temp_low": "温度过低", "sensor_silent": "传感器无数据", "door_open": "门未关",
        "sensor_degraded": "传感器数据异常", "warning": "警告", "critical": "严重", "active": "进行中",
        "cleared": "已恢复", "other_lang": "English", "other_lang_code": "en",
    },
    "en": {
        "title": "Cold chain", "window": "24 hours to {end} ({zone})", "summary": "Warehouses",
        "warehouse": "warehouse", "assets": "assets", "in_band": "in band", "out_of_band": "out of band",
        "degraded": "degraded",
        "open_alarms": "Open alarms", "warm_crates": "Crates delivered out of band", "asset": "asset",
        "sensor": "sensor", "kind": "kind", "severity": "severity", "state": "state", "started": "began",
        "raised": "raised", "peak": "peak", "acked": "acknowledged", "now": "now", "band": "band",
        "mkt": "MKT 24 h", "chart": "24 h", "rooms": "Cold rooms and freezers", "trucks": "Trucks", "sscc": "SSCC",
        "store": "store", "delivered": "delivered", "max": "max", "out": "out of band", "yes": "yes", "no": "no",
        "none": "none", "temp_high": "too warm", "temp_low": "too cold", "sensor_silent": "sensor silent",
        "door_open": "door left open", "sensor_degraded": "sensor data degraded", "warning": "warning",
        "critical": "critical", "active": "active", "cleared": "cleared", "other_lang": "中文",
        "other_lang_code": "zh-CN",
    },
}


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _local(moment: dt.datetime | str | None, zone: ZoneInfo) -> str:
    """A time as the site reads it: its own zone, no seconds, no offset."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def load(db: ColdChainDb, end: dt.datetime) -> tuple[list[SensorView], list[AlarmView]]:
    """The window's rollups and every alarm message, turned into views."""
    start = end - WINDOW
    rollups = db.query(
        "SELECT kind, warehouse, asset, sensor, event_time, body FROM cc_messages"
        " WHERE kind IN ('rollup.1m', 'rollup.1h') AND event_time >= ? AND event_time <= ?",
        (_utc(start), _utc(end)))
    alarms = db.query("SELECT edge, warehouse, asset, sensor, event_time, body FROM cc_messages"
                      " WHERE kind = 'alarm' ORDER BY arrival")
    return sensor_views(rollups), open_alarms(alarms)


def svg_chart(points: list[Point], start: dt.datetime, end: dt.datetime,
              band: tuple[float | None, float | None], zone: ZoneInfo = SHANGHAI) -> str:
    """The band as a green strip, readings as a mean line over their min-max area (red where outside
    the band), the limits labelled, start and end in local time; y scaled to data and band."""
    shown = buckets(points, start, end)
    values = [v for p in shown for v in (p.min_c, p.max_c)] + [b for b in band if b is not None]
    if not shown:
        return f'<svg class="chart" width="{CHART_W}" height="{CHART_H}" role="img"><text x="8" y="20">—</text></svg>'
    low, high = min(values) - 0.5, max(values) + 0.5
    span = (end - start).total_seconds()

    def x(at: dt.datetime) -> float:
        return round((at - start).total_seconds() / span * CHART_W, 1)

    def y(value: float) -> float:
        return round(CHART_H - (value - low) / (high - low) * CHART_H, 1)

    band_low, band_high = band
    top, bottom = y(band_high if band_high is not None else high), y(band_low if band_low is not None else low)
    strip = f'<rect class="band" x="0" y="{top}" width="{CHART_W}" height="{round(bottom - top, 1)}" fill="#d9f0d3"/>'
    area = " ".join(f"{x(p.at)},{y(p.max_c)}" for p in shown) + " " + " ".join(
        f"{x(p.at)},{y(p.min_c)}" for p in reversed(shown))
    line = " ".join(f"{x(p.at)},{y(p.mean_c)}" for p in shown)
    outside = "".join(
        f'<circle class="out" cx="{x(p.at)}" cy="{y(p.mean_c)}" r="1.8" fill="#c0392b"/>' for p in shown
        if (band_high is not None and p.max_c > band_high) or (band_low is not None and p.min_c < band_low))
    limits = "".join(
        f'<line class="limit" x1="0" x2="{CHART_W}" y1="{y(b)}" y2="{y(b)}" stroke="#c0392b" stroke-dasharray="4 3"/>'
        f'<text x="{CHART_W - 4}" y="{y(b) - 2}" font-size="10" text-anchor="end">{b:g} °C</text>'
        for b in band if b is not None)
    return (f'<svg class="chart" width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" role="img"'
            f' aria-label="24 h">{strip}{limits}<polygon points="{area}" fill="#9ecae1" opacity="0.5"/>'
            f'<polyline points="{line}" fill="none" stroke="#08519c" stroke-width="1.5"/>{outside}'
            f'<text x="4" y="12" font-size="10">{high:.1f}</text>'
            f'<text x="4" y="{CHART_H - 3}" font-size="10">{low:.1f}</text>'
            f'<text x="40" y="{CHART_H - 3}" font-size="10">{_local(start, zone)}</text>'
            f'<text x="{CHART_W - 40}" y="{CHART_H - 3}" font-size="10" text-anchor="end">'
            f'{_local(end, zone)}</text></svg>')


def _num(value: float | None, unit: str = " °C") -> str:
    return "—" if value is None else f"{value:.1f}{unit}"


def _sensor_rows(views: list[SensorView], alarms: list[AlarmView], states: dict[tuple[str, str], str],
                 start: dt.datetime, end: dt.datetime, zone: ZoneInfo, t: dict[str, str]) -> str:
    rows = []
    for v in views:
        count = sum(1 for a in alarms if a.warehouse == v.warehouse and a.asset == v.asset)
        state = states.get((v.warehouse, v.asset), "in_band")
        band = f"{_num(v.band_min_c, '')} … {_num(v.band_max_c, '')}"
        rows.append(
            f'<tr class="{state}" data-asset="{escape(v.asset)}" data-sensor="{escape(v.sensor)}">'
            f"<td>{escape(v.asset)}<br><small>{escape(v.asset_kind)} · {escape(v.sensor)}</small></td>"
            f'<td class="now">{_num(v.current_c)}<br><small>{_local(v.current_at, zone)}</small></td>'
            f'<td>{band}</td><td class="mkt">{_num(v.mkt_c)}</td><td class="alarms">{count}</td>'
            f'<td class="state">{t[state]}</td>'
            f"<td>{svg_chart(v.points, start, end, (v.band_min_c, v.band_max_c), zone)}</td></tr>")
    return "".join(rows)


def _crate_rows(crates: list[dict[str, Any]], zone: ZoneInfo) -> str:
    return "".join(
        f'<tr class="crate" data-sscc="{escape(c["sscc"])}"><td>{escape(c["warehouse"])}</td><td>{escape(c["sscc"])}'
        f'</td><td>{escape(c["store_id"] or "")}</td><td>{_local(c["delivered_at"], zone)}</td><td>{_num(c["max_c"])}'
        f'</td><td>{_num(c["mkt_c"])}</td><td>{_num((c["out_of_range_s"] or 0) / 60, " min")}</td></tr>'
        for c in crates)


def _alarm_rows(alarms: list[AlarmView], zone: ZoneInfo, t: dict[str, str]) -> str:
    return "".join(
        f'<tr class="alarm {escape(a.severity)}" data-alarm="{escape(a.edge)}/{escape(a.alarm_id)}">'
        f"<td>{escape(a.warehouse)}</td><td>{escape(a.asset)}</td><td>{escape(a.sensor)}</td>"
        f"<td>{escape(t.get(a.kind, a.kind or a.reason))}</td><td>{escape(t.get(a.severity, a.severity))}</td>"
        f"<td>{escape(t.get(a.state, a.state))}</td><td class=\"started\">{_local(a.since, zone)}</td>"
        f"<td class=\"raised\">{_local(a.raised_at, zone)}</td><td>{_num(a.value_c)}</td>"
        f"<td>{t['yes'] if a.acknowledged_at else t['no']}</td></tr>" for a in alarms)


def _summary_rows(summaries: list[WarehouseSummary]) -> str:
    return "".join(
        f'<tr class="summary" data-warehouse="{escape(s.warehouse)}"><th><a href="#wh-{escape(s.warehouse)}">'
        f'{escape(s.warehouse)}</a></th><td>{s.assets}</td><td class="in_band">{s.in_band}</td>'
        f'<td class="{"out_of_band" if s.out_of_band else ""}">{s.out_of_band}</td>'
        f'<td class="{"degraded" if s.degraded else ""}">{s.degraded}</td>'
        f'<td class="{"alarms" if s.open_alarms else ""}">{s.open_alarms}</td><td>{s.warm_crates}</td></tr>'
        for s in summaries)


STYLE = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:1rem;background:#fafafa}"
    "table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
    "tr.out_of_band td,td.out_of_band,td.alarms,tr.alarm.critical td{background:#fde2e1}"
    "tr.degraded td,td.degraded,tr.alarm.warning td{background:#fff3cd}td.in_band{background:#e6f4ea}"
    ".now{font-size:1.4em;font-weight:bold}#summary td{font-size:1.4em;text-align:center}"
)


def render_page(views: list[SensorView], alarms: list[AlarmView], end: dt.datetime,
                crates: list[dict[str, Any]] | None = None, *, zone: ZoneInfo = SHANGHAI,
                lang: Lang = "zh-CN") -> str:
    t = TEXTS[lang]
    crates = crates or []
    start = end - WINDOW
    states = asset_states(views, alarms)
    head = (f"<tr><th>{t['asset']}</th><th>{t['now']}</th><th>{t['band']}</th><th>{t['mkt']}</th>"
            f"<th>{t['open_alarms']}</th><th>{t['state']}</th><th>{t['chart']}</th></tr>")
    sections = []
    for warehouse in sorted({v.warehouse for v in views} | {a.warehouse for a in alarms}):
        mine = [v for v in views if v.warehouse == warehouse]
        rooms = _sensor_rows([v for v in mine if not v.is_truck], alarms, states, start, end, zone, t)
        trucks = _sensor_rows([v for v in mine if v.is_truck], alarms, states, start, end, zone, t)
        sections.append(
            f'<section class="warehouse" id="wh-{escape(warehouse)}" data-warehouse="{escape(warehouse)}">'
            f"<h2>{escape(warehouse)}</h2><h3>{t['rooms']}</h3><table class=\"rooms\">{head}{rooms}</table>"
            f"<h3>{t['trucks']}</h3><table class=\"trucks\">{head}{trucks}</table></section>")
    summaries = warehouse_summaries(views, alarms, crates)
    other = t["other_lang_code"]
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t["title"]} · HQ</title>'
        f'<meta http-equiv="refresh" content="60"><style>{STYLE}</style></head><body>'
        f'<h1>{t["title"]}</h1><p>{t["window"].format(end=_local(end, zone), zone=zone.key)}'
        f' · <a href="?lang={other}">{t["other_lang"]}</a></p>'
        f'<h2>{t["summary"]}</h2><table id="summary"><tr><th>{t["warehouse"]}</th><th>{t["assets"]}</th>'
        f'<th>{t["in_band"]}</th><th>{t["out_of_band"]}</th><th>{t["degraded"]}</th><th>{t["open_alarms"]}</th>'
        f'<th>{t["warm_crates"]}</th></tr>{_summary_rows(summaries)}</table>'
        f'<h2>{t["open_alarms"]} (<span id="alarm-count">{len(alarms)}</span>)</h2><table id="alarms"><tr>'
        f'<th>{t["warehouse"]}</th><th>{t["asset"]}</th><th>{t["sensor"]}</th><th>{t["kind"]}</th>'
        f'<th>{t["severity"]}</th><th>{t["state"]}</th><th>{t["started"]}</th><th>{t["raised"]}</th>'
        f'<th>{t["peak"]}</th><th>{t["acked"]}</th></tr>{_alarm_rows(alarms, zone, t)}</table>'
        f'<h2>{t["warm_crates"]} ({len(crates)})</h2><table id="crates"><tr><th>{t["warehouse"]}</th>'
        f'<th>{t["sscc"]}</th><th>{t["store"]}</th><th>{t["delivered"]}</th><th>{t["max"]}</th><th>MKT</th>'
        f'<th>{t["out"]}</th></tr>{_crate_rows(crates, zone)}</table>'
        f"{''.join(sections)}</body></html>")


def summary_json(views: list[SensorView], alarms: list[AlarmView],
                 crates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "warehouses": [s.__dict__ for s in warehouse_summaries(views, alarms, crates or [])],
        "sensors": [{"warehouse": v.warehouse, "asset": v.asset, "sensor": v.sensor, "asset_kind": v.asset_kind,
                     "truck": v.is_truck, "current_c": v.current_c,
                     "current_at": _utc(v.current_at) if v.current_at else None, "band_min_c": v.band_min_c,
                     "band_max_c": v.band_max_c, "mkt_c": v.mkt_c, "points": len(v.points)} for v in views],
        "open_alarms": [a.__dict__ for a in alarms],
    }


def coldchain_router(db: ColdChainDb, admin_token: str, zone: ZoneInfo = SHANGHAI) -> APIRouter:
    """`/coldchain` (the page, times in `zone`) and `/coldchain/api/*` (the same data as JSON), for HQ's admins."""

    def admin(request: Request) -> None:
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else \
            request.cookies.get("hq_admin", "")
        if not hmac.compare_digest(given.encode(), admin_token.encode()):
            raise HTTPException(401, "HQ's cold-chain dashboard needs the admin token")

    router = APIRouter(prefix="/coldchain", dependencies=[Depends(admin)], tags=["coldchain"])

    def window_end(at: dt.datetime | None) -> dt.datetime:
        if at is None:
            return dt.datetime.now(dt.UTC)
        return at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    def warm_crates(end: dt.datetime) -> list[dict[str, Any]]:
        return [c for c in db.crate_exposures(since=end - WINDOW, out_of_range=True) if c["delivered_at"] <= _utc(end)]

    @router.get("", response_class=HTMLResponse)
    def page(at: At = None, lang: Lang = "zh-CN") -> HTMLResponse:
        end = window_end(at)
        return HTMLResponse(render_page(*load(db, end), end, warm_crates(end), zone=zone, lang=lang))

    @router.get("/api/summary")
    def summary(at: At = None) -> dict[str, Any]:
        end = window_end(at)
        return summary_json(*load(db, end), warm_crates(end))

    @router.get("/api/crates")
    def crates(sscc: str | None = None, warehouse: str | None = None, out_of_range: bool = False,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
        """Delivered crates' temperature histories (the edges' `exposure` messages), newest first."""
        return db.crate_exposures(sscc=sscc, warehouse=warehouse, out_of_range=out_of_range, limit=limit)

    @router.get("/api/stats")
    def stats() -> dict[str, int]:
        return db.counters()

    return router


def sign_in_router(admin_token: str) -> APIRouter:
    """`/coldchain-sign-in?token=…` turns the admin token into a cookie, so a browser can open the page."""
    router = APIRouter(tags=["coldchain"])

    @router.get("/coldchain-sign-in")
    def sign_in(token: str) -> RedirectResponse:
        if not hmac.compare_digest(token.encode(), admin_token.encode()):
            raise HTTPException(401, "wrong admin token")
        response = RedirectResponse("/coldchain", status_code=303)
        response.set_cookie("hq_admin", token, httponly=True, samesite="strict")
        return response

    return router


def mount_coldchain(app: FastAPI, db: ColdChainDb, admin_token: str, zone: ZoneInfo = SHANGHAI) -> None:
    """Add the dashboard to the reference HQ's app (its one call site); `zone` is the sites' time zone."""
    app.include_router(coldchain_router(db, admin_token, zone))
    app.include_router(sign_in_router(admin_token))
