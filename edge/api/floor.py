"""Floor API, picking side: waves, tours, pick scans, exceptions and the supervisor's overview."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, requires
from edge.api.floor_common import MAX_BATCH, floor_errors, locale_of, localise, run_batch
from edge.api.site_dep import SiteDep
from edge.domain.auth import Principal, Role
from edge.services.floor import dispatch, owner, picking, supervision, tours
from edge.services.floor.errors import Forbidden
from edge.services.floor.picking import PickScan

router = APIRouter(prefix="/api/v1/floor", tags=["floor"])
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]
Picker = Annotated[Principal, requires(Role.PICKER)]
DateQuery = Annotated[dt.date, Query(description="delivery date")]


class WaveRequest(BaseModel):
    delivery_date: dt.date
    cart_volume_ml: int = Field(default=tours.DEFAULT_CART_ML, ge=10_000, le=2_000_000)


class AssignRequest(BaseModel):
    picker_id: str = Field(min_length=1, max_length=64)


class PickBatch(BaseModel):
    scans: list[PickScan] = Field(min_length=1, max_length=MAX_BATCH)


class ResolveRequest(BaseModel):
    note: str = Field(min_length=1, max_length=500)


@router.post("/waves", status_code=201)
def build_wave(body: WaveRequest, store: StoreDep, now: NowDep, who: Supervisor, site: SiteDep) -> dict[str, Any]:
    with floor_errors():
        return tours.build_wave(store, body.delivery_date, site=site, actor=who.actor, now=now,
                                cart_volume_ml=body.cart_volume_ml)


@router.get("/waves")
def wave(store: StoreDep, date: DateQuery, _: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return tours.wave_progress(store, date)


@router.post("/tours/next")
def next_tour(store: StoreDep, now: NowDep, who: Picker) -> dict[str, Any]:
    with floor_errors():
        return tours.next_tour(store, who, now)


@router.get("/tours/{tour_id}")
def tour(tour_id: str, store: StoreDep,
         who: Annotated[Principal, requires(Role.PICKER, Role.SUPERVISOR)]) -> dict[str, Any]:
    with floor_errors():
        view = tours.tour_view(store, tour_id)
        if who.role == Role.PICKER and view["picker_id"] != who.subject_id:
            raise Forbidden("not_your_tour", f"tour {tour_id} is not yours")
        return view


@router.post("/tours/{tour_id}/assign")
def assign(tour_id: str, body: AssignRequest, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return tours.reassign(store, tour_id, body.picker_id, supervisor=who, now=now)


@router.post("/tours/{tour_id}/scans")
def pick_scan(tour_id: str, scan: PickScan, request: Request, store: StoreDep, now: NowDep,
              who: Picker) -> dict[str, Any]:
    with floor_errors():
        return localise(picking.pick_scan(store, tour_id, scan, picker=who, now=now), locale_of(request))


@router.post("/tours/{tour_id}/scans/batch")
def pick_batch(tour_id: str, body: PickBatch, request: Request, store: StoreDep, now: NowDep,
               who: Picker) -> dict[str, Any]:
    with floor_errors():
        picking.tour_exists(store, tour_id)
        return run_batch(body.scans, lambda s: picking.pick_scan(store, tour_id, s, picker=who, now=now),
                         locale_of(request))


@router.get("/supervisor/overview")
def overview(store: StoreDep, date: DateQuery, _: Supervisor) -> dict[str, Any]:
    return supervision.overview(store, date)


@router.get("/supervisor/map")
def route_map(store: StoreDep, date: DateQuery, _: Supervisor, site: SiteDep) -> dict[str, Any]:
    return dispatch.route_map(store, date, site.position, site.document.map)


@router.get("/owner/today")
def owner_today(store: StoreDep, date: DateQuery, now: NowDep,
                who: Annotated[Principal, requires(Role.STORE_OWNER)]) -> dict[str, Any]:
    """The signed-in owner's own store only: deliveries, crate temperatures, products."""
    with floor_errors():
        if who.store_id is None:
            raise Forbidden("not_the_owner", "this sign-in has no store")
        return owner.owner_day(store, who.store_id, date, now=now)


@router.get("/drivers")
def drivers(store: StoreDep, _: Supervisor) -> list[dict[str, Any]]:
    return dispatch.drivers(store)


@router.get("/exceptions")
def exceptions(store: StoreDep, date: DateQuery, _: Supervisor, open: bool = True) -> list[dict[str, Any]]:
    return supervision.exceptions(store, date, open_only=open)


@router.post("/exceptions/{exception_id}/resolve")
def resolve(exception_id: int, body: ResolveRequest, store: StoreDep, now: NowDep,
            who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return supervision.resolve_exception(store, exception_id, body.note, supervisor=who, now=now)
