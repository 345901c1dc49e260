"""HQ's cold-chain dashboard: warehouses and trucks, current temperature, open alarms, MKT, 24 h charts,
and the crates delivered in the window that spent time out of their band.

Rendered on the server as HTML with inline SVG charts: no scripts, nothing from a CDN, so it
works on HQ's wall screen as it is. Behind HQ's admin token (bearer header or `hq_admin` cookie).
"""

from __future__ import annotations

import datetime as dt
import hmac
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hq_sync.reference_hq.coldchain.db import ColdChainDb
from hq_sync.reference_hq.coldchain.summary import (
    AlarmView,
    Point,
    SensorView,
    buckets,
    open_alarms,
    sensor_views,
)

WINDOW = dt.timedelta(hours=24)
At = Annotated[dt.datetime | None, Query(description="end of the 24-hour window (default: now)")]
CHART_W, CHART_H = 480, 120


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def load(db: ColdChainDb, end: dt.datetime) -> tuple[list[SensorView], list[AlarmView]]:
    """The window's rollups and every alarm message, turned into views."""
    start = end - WINDOW
    rollups = db.query(
        "SELECT kind, warehouse, asset, sensor, event_time, body FROM cc_messages"
        " WHERE kind IN ('rollup.1m', 'rollup.1h') AND event_time >= ? AND event_time <= ?",
        (_utc(start), _utc(end)))
    alarms = db.query("SELECT warehouse, asset, sensor, event_time, body FROM cc_messages"
                      " WHERE kind = 'alarm' ORDER BY event_time, arrival")
    return sensor_views(rollups), open_alarms(alarms)


def svg_chart(points: list[Point], start: dt.datetime, end: dt.datetime,
              band: tuple[float | None, float | None]) -> str:
    """Mean line over a min-max area, the band's limits dashed; y scaled to data and band."""
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

    area = " ".join(f"{x(p.at)},{y(p.max_c)}" for p in shown) + " " + " ".join(
        f"{x(p.at)},{y(p.min_c)}" for p in reversed(shown))
    line = " ".join(f"{x(p.at)},{y(p.mean_c)}" for p in shown)
    limits = "".join(
        f'<line class="limit" x1="0" x2="{CHART_W}" y1="{y(b)}" y2="{y(b)}" stroke="#c0392b" stroke-dasharray="4 3"/>'
        for b in band if b is not None)
    return (f'<svg class="chart" width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" role="img"'
            f' aria-label="24 h">{limits}<polygon points="{area}" fill="#9ecae1" opacity="0.5"/>'
            f'<polyline points="{line}" fill="none" stroke="#08519c" stroke-width="1.5"/>'
            f'<text x="4" y="12" font-size="10">{high:.1f}</text>'
            f'<text x="4" y="{CHART_H - 3}" font-size="10">{low:.1f}</text></svg>')


def _num(value: float | None, unit: str = " °C") -> str:
    return "—" if value is None else f"{value:.1f}{unit}"


def _sensor_rows(views: list[SensorView], alarms: list[AlarmView], start: dt.datetime, end: dt.datetime) -> str:
    rows = []
    for v in views:
        count = sum(1 for a in alarms if a.warehouse == v.warehouse and a.asset == v.asset)
        cls = ' class="bad"' if v.out_of_band or count else ""
        band = f"{_num(v.band_min_c, '')} … {_num(v.band_max_c, '')}"
        rows.append(
            f'<tr{cls} data-asset="{escape(v.asset)}" data-sensor="{escape(v.sensor)}">'
            f"<td>{escape(v.asset)}<br><small>{escape(v.asset_kind)} · {escape(v.sensor)}</small></td>"
            f'<td class="now">{_num(v.current_c)}<br><small>{_utc(v.current_at) if v.current_at else ""}</small></td>'
            f"<td>{band}</td><td class=\"mkt\">{_num(v.mkt_c)}</td><td class=\"alarms\">{count}</td>"
            f"<td>{svg_chart(v.points, start, end, (v.band_min_c, v.band_max_c))}</td></tr>")
    return "".join(rows)


def _crate_rows(crates: list[dict[str, Any]]) -> str:
    return "".join(
        f'<tr class="crate" data-sscc="{escape(c["sscc"])}"><td>{escape(c["warehouse"])}</td><td>{escape(c["sscc"])}'
        f'</td><td>{escape(c["store_id"] or "")}</td><td>{escape(c["delivered_at"])}</td><td>{_num(c["max_c"])}</td>'
        f'<td>{_num(c["mkt_c"])}</td><td>{_num((c["out_of_range_s"] or 0) / 60, " min")}</td></tr>' for c in crates)


def render_page(views: list[SensorView], alarms: list[AlarmView], end: dt.datetime,
                crates: list[dict[str, Any]] | None = None) -> str:
    start = end - WINDOW
    head = "<tr><th>asset</th><th>now</th><th>band</th><th>MKT 24 h</th><th>open alarms</th><th>24 h</th></tr>"
    sections = []
    for warehouse in sorted({v.warehouse for v in views} | {a.warehouse for a in alarms}):
        mine = [v for v in views if v.warehouse == warehouse]
        rooms = [v for v in mine if not v.is_truck]
        trucks = [v for v in mine if v.is_truck]
        sections.append(
            f'<section class="warehouse" data-warehouse="{escape(warehouse)}"><h2>{escape(warehouse)}</h2>'
            f'<h3>Cold rooms and freezers</h3><table class="rooms">{head}{_sensor_rows(rooms, alarms, start, end)}'
            f'</table><h3>Trucks</h3><table class="trucks">{head}{_sensor_rows(trucks, alarms, start, end)}</table>'
            "</section>")
    alarm_rows = "".join(
        f'<tr class="alarm"><td>{escape(a.warehouse)}</td><td>{escape(a.asset)}</td><td>{escape(a.sensor)}</td>'
        f"<td>{escape(a.severity)}</td><td>{escape(a.reason)}</td><td>{escape(a.state)}</td>"
        f"<td>{escape(a.since)}</td><td>{_num(a.value_c)}</td></tr>" for a in alarms)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cold chain · HQ</title>'
        '<meta http-equiv="refresh" content="60"><style>'
        "body{font-family:sans-serif;margin:1rem;background:#fafafa}table{border-collapse:collapse;margin-bottom:1rem}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}tr.bad td{background:#fde2e1}"
        ".now{font-size:1.4em;font-weight:bold}</style></head><body>"
        f"<h1>Cold chain</h1><p>24 hours to {_utc(end)}</p>"
        f'<h2>Open alarms ({len(alarms)})</h2><table id="alarms"><tr><th>warehouse</th><th>asset</th><th>sensor</th>'
        f"<th>severity</th><th>reason</th><th>state</th><th>since</th><th>value</th></tr>{alarm_rows}</table>"
        f"<h2>Crates delivered out of band ({len(crates or [])})</h2><table id=\"crates\"><tr><th>warehouse</th>"
        "<th>SSCC</th><th>store</th><th>delivered</th><th>max</th><th>MKT</th><th>out of band</th></tr>"
        f"{_crate_rows(crates or [])}</table>"
        f"{''.join(sections)}</body></html>")


def summary_json(views: list[SensorView], alarms: list[AlarmView]) -> dict[str, Any]:
    return {
        "sensors": [{"warehouse": v.warehouse, "asset": v.asset, "sensor": v.sensor, "asset_kind": v.asset_kind,
                     "truck": v.is_truck, "current_c": v.current_c,
                     "current_at": _utc(v.current_at) if v.current_at else None, "band_min_c": v.band_min_c,
                     "band_max_c": v.band_max_c, "mkt_c": v.mkt_c, "points": len(v.points)} for v in views],
        "open_alarms": [a.__dict__ for a in alarms],
    }


def coldchain_router(db: ColdChainDb, admin_token: str) -> APIRouter:
    """`/coldchain` (the page) and `/coldchain/api/*` (the same data as JSON), for HQ's admins."""

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

    @router.get("", response_class=HTMLResponse)
    def page(at: At = None) -> HTMLResponse:
        end = window_end(at)
        warm = [c for c in db.crate_exposures(since=end - WINDOW, out_of_range=True) if c["delivered_at"] <= _utc(end)]
        return HTMLResponse(render_page(*load(db, end), end, warm))

    @router.get("/api/summary")
    def summary(at: At = None) -> dict[str, Any]:
        return summary_json(*load(db, window_end(at)))

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


def mount_coldchain(app: FastAPI, db: ColdChainDb, admin_token: str) -> None:
    """Add the dashboard to the reference HQ's app (its one call site)."""
    app.include_router(coldchain_router(db, admin_token))
    app.include_router(sign_in_router(admin_token))
