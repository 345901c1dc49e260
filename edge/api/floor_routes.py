"""Floor API, delivery side: fleet, delivery routes, loading the trucks, handoff at the stores."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from edge.api.deps import NowDep, SettingsDep, StoreDep, requires
from edge.api.floor_common import MAX_BATCH, floor_errors, locale_of, localise, run_batch
from edge.api.site_dep import SiteDep
from edge.domain.auth import Principal, Role
from edge.services.floor import eta, fleet, handoff, loading, owner_approval, ownership, plan_jobs, routes
from edge.services.floor.handoff import Confirmation, HandoffScan
from edge.services.floor.scanlog import ScanIn

router = APIRouter(prefix="/api/v1/floor", tags=["floor"])
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]
Driver = Annotated[Principal, requires(Role.DRIVER)]
DriverOrSupervisor = Annotated[Principal, requires(Role.DRIVER, Role.SUPERVISOR)]
DateQuery = Annotated[dt.date, Query(description="delivery date")]


class PlanRequest(BaseModel):
    delivery_date: dt.date
    time_limit_s: float | None = Field(default=None, ge=1, le=300, description="default: the site's"
                                       " route_time_limit_s")


class Position(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class DriverRequest(BaseModel):
    driver_id: str = Field(min_length=1, max_length=64)


class OverrideRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class LoadBatch(BaseModel):
    scans: list[ScanIn] = Field(min_length=1, max_length=MAX_BATCH)


class HandoffBatch(BaseModel):
    scans: list[HandoffScan] = Field(min_length=1, max_length=MAX_BATCH)


@router.get("/fleet")
def get_fleet(store: StoreDep, _: Supervisor) -> dict[str, Any]:
    return fleet.get_fleet(store)


@router.put("/fleet")
def put_fleet(body: fleet.Fleet, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return fleet.put_fleet(store, body, who=who, now=now)


@router.post("/routes/plan")
def plan(body: PlanRequest, store: StoreDep, settings: SettingsDep, now: NowDep, who: Supervisor,
         site: SiteDep) -> dict[str, Any]:
    with floor_errors():
        return routes.plan_routes(store, body.delivery_date, site=site, who=who, now=now, zone=settings.zone,
                                  time_limit_s=body.time_limit_s or settings.route_time_limit_s)


@router.post("/routes/plan-jobs", status_code=202)
def start_plan_job(body: PlanRequest, request: Request, store: StoreDep, settings: SettingsDep, now: NowDep,
                   who: Supervisor, site: SiteDep) -> dict[str, Any]:
    """Plan in the background; poll the job for progress and the result."""
    budget = body.time_limit_s or settings.route_time_limit_s
    with floor_errors():
        job = plan_jobs.of(request.app).start(str(body.delivery_date), budget, lambda progress: routes.plan_routes(
            store, body.delivery_date, site=site, who=who, now=now, zone=settings.zone, time_limit_s=budget,
            progress=progress))
    return {"job_id": job.job_id}


@router.get("/routes/plan-jobs/{job_id}")
def plan_job(job_id: str, request: Request, _: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return plan_jobs.of(request.app).get(job_id).view()


@router.get("/routes")
def list_routes(store: StoreDep, date: DateQuery, who: DriverOrSupervisor) -> list[dict[str, Any]]:
    return routes.list_routes(store, date, who.subject_id if who.role == Role.DRIVER else None)


@router.post("/routes/{route_id}/assign")
def assign(route_id: str, body: DriverRequest, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return routes.assign_driver(store, route_id, body.driver_id, who=who, now=now)


@router.get("/routes/{route_id}/manifest")
def manifest(route_id: str, store: StoreDep, who: DriverOrSupervisor) -> dict[str, Any]:
    with floor_errors():
        ownership.require_route(store, route_id, who)
        return loading.manifest(store, route_id)


@router.post("/routes/{route_id}/load-scans")
def load_scan(route_id: str, scan: ScanIn, request: Request, store: StoreDep, now: NowDep,
              who: Driver) -> dict[str, Any]:
    with floor_errors():
        return localise(loading.load_scan(store, route_id, scan, driver=who, now=now), locale_of(request))


@router.post("/routes/{route_id}/load-scans/batch")
def load_batch(route_id: str, body: LoadBatch, request: Request, store: StoreDep, now: NowDep,
               who: Driver) -> dict[str, Any]:
    with floor_errors():
        ownership.require_route(store, route_id, who)
        return run_batch(body.scans, lambda s: loading.load_scan(store, route_id, s, driver=who, now=now),
                         locale_of(request))


@router.post("/routes/{route_id}/overrides")
def override(route_id: str, body: OverrideRequest, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return loading.add_override(store, route_id, body.reason, supervisor=who, now=now)


@router.post("/routes/{route_id}/depart")
def depart(route_id: str, store: StoreDep, settings: SettingsDep, now: NowDep, who: DriverOrSupervisor,
           site: SiteDep) -> dict[str, Any]:
    with floor_errors():
        gone = loading.depart(store, route_id, who=who, now=now)
        eta.after(store, route_id, site=site, zone=settings.zone, who=who, now=now, basis="departure")
        return gone


@router.post("/routes/{route_id}/position")
def position(route_id: str, body: Position, store: StoreDep, settings: SettingsDep, now: NowDep, who: Driver,
             site: SiteDep) -> list[dict[str, Any]]:
    """The driver's phone shares the truck's position: the rest of the route is re-timed, ETAs sent."""
    with floor_errors():
        return eta.share_position(store, route_id, (body.latitude, body.longitude), site=site, zone=settings.zone,
                                  driver=who, now=now)


@router.get("/routes/late-stops")
def late_stops(store: StoreDep, date: DateQuery, now: NowDep, _: Supervisor) -> list[dict[str, Any]]:
    """Stops expected after their store's window closes (or whose window has closed), for a call in time."""
    return eta.late_stops(store, date, now)


@router.get("/routes/{route_id}/stops/{stop_no}")
def stop(route_id: str, stop_no: int, store: StoreDep, now: NowDep, who: DriverOrSupervisor) -> dict[str, Any]:
    with floor_errors():
        ownership.require_route(store, route_id, who)
        return handoff.stop_view(store, route_id, stop_no, now=now)


@router.post("/routes/{route_id}/stops/{stop_no}/scans")
def handoff_scan(route_id: str, stop_no: int, scan: HandoffScan, request: Request, store: StoreDep, now: NowDep,
                 who: Driver) -> dict[str, Any]:
    with floor_errors():
        return localise(handoff.handoff_scan(store, route_id, stop_no, scan, driver=who, now=now), locale_of(request))


@router.post("/routes/{route_id}/stops/{stop_no}/scans/batch")
def handoff_batch(route_id: str, stop_no: int, body: HandoffBatch, request: Request, store: StoreDep, now: NowDep,
                  who: Driver) -> dict[str, Any]:
    with floor_errors():
        handoff.stop_exists(store, route_id, stop_no)
        ownership.require_route(store, route_id, who)
        return run_batch(body.scans, lambda s: handoff.handoff_scan(store, route_id, stop_no, s, driver=who, now=now),
                         locale_of(request))


@router.post("/routes/{route_id}/stops/{stop_no}/photo")
async def photo(route_id: str, stop_no: int, request: Request, store: StoreDep, settings: SettingsDep, now: NowDep,
                who: Driver) -> dict[str, Any]:
    body = await request.body()  # bounded by `body_limit` as it arrives
    with floor_errors():
        return await run_in_threadpool(lambda: handoff.save_photo(store, settings.data_dir, route_id, stop_no, body,
                                                                  driver=who, now=now))


class OwnerPin(BaseModel):
    owner_code: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=16)


@router.post("/routes/{route_id}/stops/{stop_no}/owner-approval")
def approve(route_id: str, stop_no: int, body: OwnerPin, request: Request, store: StoreDep, now: NowDep,
            who: Driver) -> dict[str, Any]:
    """The owner's PIN, checked now and forgotten, for a signed approval the phone may queue instead."""
    with floor_errors():
        ownership.require_route(store, route_id, who)
        return owner_approval.approve(store, route_id, stop_no, body.owner_code, body.pin, now=now,
                                      device_id=who.device_id, address=request.client.host if request.client else None)


@router.get("/handoff-code")
def handoff_code(store: StoreDep, now: NowDep, date: DateQuery,
                 who: Annotated[Principal, requires(Role.STORE_OWNER)]) -> dict[str, Any]:
    """The owner's own store's code for the date, to give a driver whose phone is offline at the door."""
    with floor_errors():
        return owner_approval.owner_day_code(store, who, date, now=now)


@router.post("/routes/{route_id}/stops/{stop_no}/confirm")
def confirm(route_id: str, stop_no: int, body: Confirmation, store: StoreDep, settings: SettingsDep, now: NowDep,
            who: Driver, site: SiteDep) -> dict[str, Any]:
    with floor_errors():
        proof = handoff.confirm(store, settings.data_dir, route_id, stop_no, body, driver=who, now=now)
        eta.after(store, route_id, site=site, zone=settings.zone, who=who, now=now, basis="handoff")
        return proof
