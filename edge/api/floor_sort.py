"""Floor API, sort side: the put wall's plan and scans, crates, labels, staging in cold rooms."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, requires
from edge.api.floor_common import MAX_BATCH, floor_errors, locale_of, localise, run_batch
from edge.domain.auth import Principal, Role
from edge.services.floor import crates, label_preview, ownership, put_wall, sorting
from edge.services.floor.crates import LabelOutput, StageScan
from edge.services.floor.sorting import SortScan

router = APIRouter(prefix="/api/v1/floor", tags=["floor"])
Sorter = Annotated[Principal, requires(Role.SORTER)]
SorterOrSupervisor = Annotated[Principal, requires(Role.SORTER, Role.SUPERVISOR)]
DateQuery = Annotated[dt.date, Query(description="delivery date")]


class SortBatch(BaseModel):
    scans: list[SortScan] = Field(min_length=1, max_length=MAX_BATCH)


class StageBatch(BaseModel):
    scans: list[StageScan] = Field(min_length=1, max_length=MAX_BATCH)


class ReprintRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


def label_printer(request: Request) -> LabelOutput | None:
    """The crate-label printer the node's runtime wired in (`app.state.label_printer`), if any."""
    return getattr(request.app.state, "label_printer", None)


@router.get("/sort/plan")
def sort_plan(store: StoreDep, date: DateQuery, _: SorterOrSupervisor) -> dict[str, Any]:
    return sorting.plan(store, date)


@router.get("/sort/slots")
def sort_slots(store: StoreDep, date: DateQuery, now: NowDep, who: SorterOrSupervisor) -> list[dict[str, Any]]:
    """The put wall's slot labels for the date: slot, code, Code 128 bars, store."""
    return put_wall.slot_labels(store, date, actor=who.actor, now=now)


@router.post("/sort/scans")
def sort_scan(scan: SortScan, request: Request, store: StoreDep, now: NowDep, who: Sorter) -> dict[str, Any]:
    answer = sorting.sort_scan(store, scan, sorter=who, now=now)
    return localise(crates.print_opened(store, answer, label_printer(request), who=who, now=now), locale_of(request))


@router.post("/sort/scans/batch")
def sort_batch(body: SortBatch, request: Request, store: StoreDep, now: NowDep, who: Sorter) -> dict[str, Any]:
    printer = label_printer(request)
    return run_batch(body.scans, lambda s: crates.print_opened(store, sorting.sort_scan(store, s, sorter=who, now=now),
                                                               printer, who=who, now=now), locale_of(request))


@router.get("/crates")
def list_crates(store: StoreDep, date: DateQuery,
                who: Annotated[Principal, requires(Role.SORTER, Role.DRIVER, Role.SUPERVISOR)],
                store_id: str | None = None) -> list[dict[str, Any]]:
    listed = crates.list_crates(store, date, store_id)
    if who.role == Role.DRIVER:  # a driver sees the crates of their own routes only
        mine = ownership.own_route_ids(store, who)
        return [c for c in listed if c["route_id"] in mine]
    return listed


@router.post("/crates/{sscc}/close")
def close_crate(sscc: str, request: Request, store: StoreDep, now: NowDep, who: SorterOrSupervisor) -> dict[str, Any]:
    with floor_errors():
        return crates.close_crate(store, sscc, label_printer(request), who=who, now=now)


@router.post("/crates/{sscc}/reprint")
def reprint(sscc: str, body: ReprintRequest, request: Request, store: StoreDep, now: NowDep,
            who: SorterOrSupervisor) -> dict[str, Any]:
    with floor_errors():
        return crates.reprint(store, sscc, body.reason, label_printer(request), who=who, now=now)


@router.get("/crates/{sscc}/label.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the label as its printer prints it"}})
def crate_label_png(sscc: str, request: Request, store: StoreDep, _: SorterOrSupervisor) -> Response:
    with floor_errors():
        png = label_preview.crate_label_png(store, sscc, label_printer(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/crates/stage-scans")
def stage_scan(scan: StageScan, request: Request, store: StoreDep, now: NowDep,
               who: Annotated[Principal, requires(Role.SORTER, Role.DRIVER)]) -> dict[str, Any]:
    return localise(crates.stage_scan(store, scan, who=who, now=now), locale_of(request))


@router.post("/crates/stage-scans/batch")
def stage_batch(body: StageBatch, request: Request, store: StoreDep, now: NowDep,
                who: Annotated[Principal, requires(Role.SORTER, Role.DRIVER)]) -> dict[str, Any]:
    return run_batch(body.scans, lambda s: crates.stage_scan(store, s, who=who, now=now), locale_of(request))
