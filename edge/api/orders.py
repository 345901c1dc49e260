"""Order intake from HQ (and supervisors importing a file), and the conflicts it leaves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from edge.api.deps import NowDep, SettingsDep, StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services import conflicts, intake

router = APIRouter(prefix="/api/v1", tags=["orders"])


@router.post("/orders/batches")
async def post_batch(request: Request, store: StoreDep, settings: SettingsDep, now: NowDep,
                     principal: Annotated[Principal, requires(Role.HQ, Role.SUPERVISOR)]) -> dict[str, Any]:
    """Takes the raw body (bounded by `body_limit`) so that every problem is reported with its path, not
    just the first; parsing and ingesting a day's batch run in the thread pool, off the event loop."""
    raw = await request.body()
    batch = await run_in_threadpool(intake.parse_batch, raw)
    result = await run_in_threadpool(lambda: intake.ingest_batch(
        store, batch, warehouse_id=settings.warehouse_id, source="api", actor=principal.actor, now=now,
        zone=settings.zone))
    return result.as_dict()


@router.get("/orders")
def list_orders(store: StoreDep, _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)],
                date: Annotated[dt.date, Query(description="delivery date")],
                status: str | None = None, limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
                offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    where, params = "delivery_date = ?", [date.isoformat()]
    if status:
        where += " AND status = ?"
        params.append(status)
    rows = store.query(
        f"SELECT hq_order_id, version, store_id, campaign_id, delivery_date, status FROM orders WHERE {where}"
        f" ORDER BY hq_order_id LIMIT ? OFFSET ?", (*params, limit, offset))
    total = store.scalar(f"SELECT COUNT(*) FROM orders WHERE {where}", tuple(params))
    return {"total": total, "orders": rows}


@router.get("/conflicts")
def list_conflicts(store: StoreDep, _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)],
                   include_resolved: bool = False) -> list[dict[str, Any]]:
    return conflicts.list_conflicts(store, include_resolved=include_resolved)


@router.post("/conflicts/{conflict_id}/resolve")
def resolve_conflict(conflict_id: int, body: conflicts.Resolution, store: StoreDep, now: NowDep,
                     principal: Annotated[Principal, requires(Role.SUPERVISOR)]) -> dict[str, Any]:
    try:
        return conflicts.resolve(store, conflict_id, body, actor=principal.actor, now=now)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
