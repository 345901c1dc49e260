"""Live Brix (an SSE stream the owner's livestream overlay listens to) and receiving QC.

The stream replays from `Last-Event-ID` (the reading id) after a reconnect, so a page that lost
its connection shows what it missed; without one it starts with the latest readings for the chart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, requires
from edge.api.pages import register_page, render
from edge.domain.auth import Principal, Role
from edge.domain.brix import BrixSpec, verdict
from edge.domain.digits import ascii_digits
from edge.services import qc
from edge.services.brix_feed import BrixFeed
from edge.store import Store

HISTORY = 30  # readings a fresh page gets for its chart
REPLAY_MAX = 500
HEARTBEAT_S = 15.0
VIEWERS = (Role.STORE_OWNER, Role.SUPERVISOR)
QC_ROLES = (Role.SUPERVISOR, Role.PICKER)  # dock staff sample each lot as they receive it


@contextlib.asynccontextmanager
async def brix_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the app's lifespan (after the device runtime starts): the feed follows its bus."""
    runtime = getattr(app.state, "device_runtime", None)
    if runtime is None:
        app.state.brix_feed = None
        yield
        return
    feed = BrixFeed(app.state.store, runtime.bus, app.state.clock)
    await feed.start()
    app.state.brix_feed = feed
    try:
        yield
    finally:
        await feed.stop()


router = APIRouter(tags=["brix"], lifespan=brix_lifespan)
register_page("/brix", "brix.title")


@router.get("/brix", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    """The live page (public shell: the readings come from the stream behind sign-in)."""
    return render(request, "brix.html")


def _event(reading: qc.StoredReading, spec: BrixSpec | None) -> str:
    data: dict[str, Any] = reading.to_json()
    if spec is not None:
        data["verdict"] = verdict(reading.brix, spec)
        data["spec"] = {"brix_min": spec.brix_min, "brix_max": spec.brix_max}
    return f"id: {reading.reading_id}\nevent: brix\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _spec_or_404(store: Store, sku_id: str | None) -> BrixSpec | None:
    if sku_id is None:
        return None
    try:
        return qc.sku_spec(store, sku_id)
    except qc.QcNotFound as missing:
        raise HTTPException(404, str(missing)) from None


@router.get("/api/v1/brix/stream")
async def stream(
    request: Request, store: StoreDep, _: Annotated[Principal, requires(*VIEWERS)],
    device_id: Annotated[str | None, Query(max_length=64)] = None,
    sku_id: Annotated[str | None, Query(max_length=64, description="judge readings against its Brix spec")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events, one `brix` event per reading (id = reading id), a comment as heartbeat."""
    feed: BrixFeed | None = request.app.state.brix_feed if hasattr(request.app.state, "brix_feed") else None
    spec = await asyncio.to_thread(_spec_or_404, store, sku_id)
    after = int(last_event_id) if last_event_id and ascii_digits(last_event_id) else None

    async def events() -> AsyncIterator[str]:
        listener = feed.listen() if feed is not None else None
        try:
            yield "retry: 1000\n\n"
            start = after
            if start is None:
                start = max(0, await asyncio.to_thread(qc.latest_reading_id, store, device_id) - HISTORY)
            last = start
            for reading in await asyncio.to_thread(qc.readings_after, store, start, device_id=device_id,
                                                   limit=REPLAY_MAX):
                yield _event(reading, spec)
                last = reading.reading_id
            if listener is None:
                return  # no device runtime in this process: nothing live to wait for
            while True:
                try:
                    reading = await listener.get(timeout=HEARTBEAT_S)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if reading.reading_id <= last or (device_id is not None and reading.device_id != device_id):
                    continue
                yield _event(reading, spec)
                last = reading.reading_id
        finally:
            if listener is not None:
                listener.close()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/v1/brix/skus")
def skus_with_spec(store: StoreDep, _: Annotated[Principal, requires(*VIEWERS)]) -> list[dict[str, Any]]:
    """SKUs that have a Brix spec, for the page's picker."""
    return store.query("SELECT sku_id, name_zh, name_en, brix_min, brix_max FROM skus"
                       " WHERE brix_min IS NOT NULL OR brix_max IS NOT NULL ORDER BY sku_id")


class OpenCheck(BaseModel):
    sku_id: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    device_id: str | None = Field(default=None, max_length=64, description="meter whose readings attach")
    min_readings: int = Field(default=qc.DEFAULT_MIN_READINGS, ge=2, le=100)


class ManualReading(BaseModel):
    brix: float
    temperature_c: float | None = None


def _found(call: Any) -> Any:
    try:
        return call()
    except qc.QcNotFound as missing:
        raise HTTPException(404, str(missing)) from None


@router.post("/api/v1/qc/checks", status_code=201)
def open_check(body: OpenCheck, store: StoreDep, now: NowDep,
               who: Annotated[Principal, requires(*QC_ROLES)]) -> dict[str, Any]:
    qc_id = _found(lambda: qc.open_check(store, sku_id=body.sku_id, lot=body.lot, device_id=body.device_id,
                                         actor=who.actor, now=now, min_readings=body.min_readings,
                                         acting_device=who.device_id))
    return dict(qc.check(store, qc_id))


@router.post("/api/v1/qc/checks/{qc_id}/readings", status_code=201)
def add_reading(qc_id: int, body: ManualReading, store: StoreDep, now: NowDep,
                who: Annotated[Principal, requires(*QC_ROLES)]) -> dict[str, Any]:
    stored = _found(lambda: qc.add_manual_reading(store, qc_id, brix=body.brix, temperature_c=body.temperature_c,
                                                  actor=who.actor, now=now, acting_device=who.device_id))
    return dict(stored.to_json())


@router.post("/api/v1/qc/checks/{qc_id}/close")
def close_check(qc_id: int, store: StoreDep, now: NowDep,
                who: Annotated[Principal, requires(*QC_ROLES)]) -> dict[str, Any]:
    result = _found(lambda: qc.close_check(store, qc_id, actor=who.actor, now=now, acting_device=who.device_id))
    return dict(result.to_json())


@router.get("/api/v1/qc/checks/{qc_id}")
def get_check(qc_id: int, store: StoreDep, _: Annotated[Principal, requires(*QC_ROLES, Role.HQ)]) -> dict[str, Any]:
    return dict(_found(lambda: qc.check(store, qc_id)))


@router.get("/api/v1/qc/lots/{sku_id}/{lot}")
def lot_result(sku_id: str, lot: str, store: StoreDep,
               _: Annotated[Principal, requires(Role.SUPERVISOR, Role.SORTER, Role.HQ)]) -> dict[str, Any]:
    """The lot's latest QC result (what its crate labels print)."""
    result = qc.qc_result_for_lot(store, sku_id, lot)
    if result is None:
        raise HTTPException(404, f"lot {lot} of {sku_id} has no closed QC check")
    return dict(result.to_json())
