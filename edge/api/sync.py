"""HQ sync as the supervisor and HQ see it: lag, queue depth, what reconciliation left to decide, refused events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services import hq_port, sync_dead_letters
from hq_sync.protocol import MAX_TEXT

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


class Settle(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="why, for the audit trail (and HQ on discard)")


@router.get("/dead-letters")
def dead_letters(store: StoreDep, _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)],
                 include_resolved: bool = False) -> list[dict[str, Any]]:
    return sync_dead_letters.list_dead_letters(store, include_resolved=include_resolved)


@router.post("/dead-letters/{dead_id}/{action}")
def settle_dead_letter(dead_id: int, action: Literal["retry", "discard"], body: Settle, store: StoreDep,
                       now: NowDep, principal: Annotated[Principal, requires(Role.SUPERVISOR)]) -> dict[str, Any]:
    settle = sync_dead_letters.retry if action == "retry" else sync_dead_letters.discard
    try:
        return settle(store, dead_id, actor=principal.actor, reason=body.reason, now=now)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
