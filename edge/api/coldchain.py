"""Cold chain over HTTP: configuration, live temperatures and history, alarms for the supervisor
page (acknowledge with a reason), suppression windows, exposure of crates and trips, daily report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, SettingsDep, StoreDep, refusal, requires
from edge.domain.auth import Principal, Role
from edge.services import alarms, coldchain_exposure, coldchain_notify, coldchain_report, telemetry
from edge.services.coldchain_assets import ColdChainSpec, apply_spec
from edge.services.floor import ownership

router = APIRouter(prefix="/api/v1/coldchain", tags=["coldchain"])
Viewer = Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]


class Acknowledgement(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="what was seen and done")


class SuppressionRequest(BaseModel):
    asset_id: str
    reason: Literal["defrost", "startup", "maintenance"]
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str = Field(default="", max_length=500)


def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise HTTPException(422, f"{name} needs a time zone (e.g. 2026-07-01T08:00:00+08:00)")
    return moment


@router.get("/assets")
def list_assets(store: StoreDep, _: Viewer) -> list[dict[str, Any]]:
    return telemetry.asset_overview(store)


@router.get("/notifications/status")
def notification_status(store: StoreDep, _: Viewer) -> dict[str, Any]:
    """Alarm notifications (WeCom, webhooks): pending, sent, given up, and why the oldest is still pending."""
    return coldchain_notify.status(store)


@router.put("/config")
def configure(store: StoreDep, now: NowDep, principal: Supervisor,
              spec: Annotated[ColdChainSpec, Body()]) -> dict[str, int]:
    return apply_spec(store, spec, actor=principal.actor, now=now, device_id=principal.device_id)


@router.get("/series/{sensor_id}")
def series(store: StoreDep, _: Viewer, sensor_id: str, start: Annotated[dt.datetime, Query(alias="from")],
           end: Annotated[dt.datetime, Query(alias="to")],
           resolution: Literal["raw", "1m", "1h"] = "1m") -> list[dict[str, Any]]:
    start, end = _aware(start, "from"), _aware(end, "to")
    if resolution == "raw" and end - start > dt.timedelta(days=2):
        raise HTTPException(422, "raw readings are served for at most 2 days at a time: use 1m or 1h")
    return telemetry.series(store, sensor_id, start, end, resolution)


@router.get("/alarms")
def list_alarms(store: StoreDep, _: Viewer, open_only: bool = True, asset_id: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    return alarms.list_alarms(store, open_only=open_only, asset_id=asset_id, limit=limit)


@router.get("/alarms/{alarm_id}/audit")
def alarm_audit(store: StoreDep, _: Viewer, alarm_id: int) -> list[dict[str, Any]]:
    try:
        return alarms.audit_trail(store, alarm_id)
    except alarms.AlarmNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/alarms/{alarm_id}/acknowledge")
def acknowledge(store: StoreDep, now: NowDep, principal: Supervisor, alarm_id: int,
                body: Acknowledgement) -> dict[str, Any]:
    try:
        return alarms.acknowledge(store, alarm_id, actor=principal.actor, reason=body.reason, now=now,
                                  device_id=principal.device_id)
    except alarms.AlarmNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except alarms.AlarmAlreadyAcknowledged as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/suppressions", status_code=201)
def suppress(store: StoreDep, now: NowDep, principal: Supervisor, body: SuppressionRequest) -> dict[str, int]:
    window_id = alarms.add_suppression(
        store, body.asset_id, body.reason, _aware(body.starts_at, "starts_at"), _aware(body.ends_at, "ends_at"),
        actor=principal.actor, now=now, note=body.note, device_id=principal.device_id)
    return {"window_id": window_id}


@router.get("/exposure/crates/{sscc}")
def crate_exposure(store: StoreDep, now: NowDep, sscc: str, request: Request,
                   principal: Annotated[Principal, requires(Role.SUPERVISOR, Role.DRIVER, Role.STORE_OWNER, Role.HQ)],
                   ) -> dict[str, Any]:
    if not ownership.may_see_crate(store, sscc, principal):
        raise HTTPException(404, refusal(request, "security.object.crate_not_yours", sscc=sscc))
    try:
        return coldchain_exposure.crate_exposure(store, sscc, now=now)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/exposure/trips/{route_id}")
def trip_exposure(store: StoreDep, now: NowDep, route_id: str, request: Request,
                  who: Annotated[Principal, requires(Role.SUPERVISOR, Role.DRIVER, Role.HQ)]) -> dict[str, Any]:
    if who.role == Role.DRIVER and route_id not in ownership.own_route_ids(store, who):
        raise HTTPException(403, refusal(request, "security.object.route_not_yours", route_id=route_id))
    try:
        return coldchain_exposure.trip_exposure(store, route_id, now)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/reports/daily", response_model=None)
def daily_report(store: StoreDep, settings: SettingsDep, now: NowDep, _: Viewer, date: dt.date,
                 format: Literal["json", "png", "pdf", "csv"] = "json") -> dict[str, Any] | Response:
    report = coldchain_report.build_daily_report(store, date, warehouse_id=settings.warehouse_id,
                                                 zone=settings.zone, now=now)
    if format == "json":
        return report.as_json()
    media = {"png": "image/png", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}[format]
    name = f"coldchain-{settings.warehouse_id}-{date.isoformat()}.{format}"
    return Response(coldchain_report.render(report, format), media_type=media,
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
