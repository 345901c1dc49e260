"""The daily warehouse report (JSON or PDF, and its event to HQ), lots near expiry, and write-offs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, SettingsDep, StoreDep, requires
from edge.api.floor_common import floor_errors
from edge.domain.auth import Principal, Role
from edge.services import daily_report

router = APIRouter(prefix="/api/v1", tags=["reports"])
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]
SupervisorOrHq = Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]
DateQuery = Annotated[dt.date, Query(description="delivery date")]


class LossIn(BaseModel):
    sku_id: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    units: int = Field(gt=0)
    reason: Literal["damage", "spoilage", "count_difference", "expired"]
    note: str = Field(default="", max_length=500)


class DateIn(BaseModel):
    delivery_date: dt.date


@router.get("/reports/daily", response_model=None)
async def daily(store: StoreDep, settings: SettingsDep, date: DateQuery, _: SupervisorOrHq,
                format: Literal["json", "pdf"] = "json") -> dict[str, Any] | Response:
    report = daily_report.figures(store, date, settings.zone).as_json()
    if format == "json":
        return report
    pdf = await run_in_threadpool(daily_report.render_pdf, report, settings.warehouse_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="daily-{date.isoformat()}.pdf"'})


@router.post("/reports/daily/send")
def send(body: DateIn, store: StoreDep, settings: SettingsDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    return daily_report.send(store, body.delivery_date, settings.zone, actor=who.actor, now=now)


@router.get("/stock/near-expiry")
def near_expiry(store: StoreDep, settings: SettingsDep, now: NowDep, _: SupervisorOrHq,
                days: Annotated[int, Query(ge=0, le=60)] = daily_report.NEAR_EXPIRY_DAYS) -> list[dict[str, Any]]:
    return daily_report.lots_near_expiry(store, now.astimezone(settings.zone).date(), days)


@router.post("/stock/losses")
def write_off(body: LossIn, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return daily_report.record_loss(store, sku_id=body.sku_id, lot=body.lot, units=body.units,
                                        reason=body.reason, note=body.note, actor=who.actor, now=now)
