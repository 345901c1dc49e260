"""HQ sync as the supervisor and HQ see it: lag, queue depth, and what reconciliation left to decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException

from edge.api.deps import NowDep, StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services import hq_port

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])


@router.get("/status")
def status(store: StoreDep, now: NowDep,
           _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]) -> dict[str, Any]:
    return hq_port.sync_status(store, now)


@router.get("/exceptions")
def exceptions(store: StoreDep, _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)],
               include_resolved: bool = False) -> list[dict[str, Any]]:
    return hq_port.list_exceptions(store, include_resolved=include_resolved)


@router.post("/exceptions/{exception_id}/resolve")
def resolve(exception_id: int, store: StoreDep, now: NowDep,
            principal: Annotated[Principal, requires(Role.SUPERVISOR)]) -> dict[str, Any]:
    if not hq_port.resolve_exception(store, exception_id, actor=principal.actor, now=now):
        raise HTTPException(404, f"no open exception {exception_id}")
    return {"exception_id": exception_id, "resolved_by": principal.actor}
