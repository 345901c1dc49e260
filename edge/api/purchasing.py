"""Purchase orders to the suppliers, their confirmations, and shortage allocation before the wave."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, requires
from edge.api.floor_common import floor_errors
from edge.domain.auth import Principal, Role
from edge.services import purchasing
from hq_sync.protocol import ConfirmedLines

router = APIRouter(prefix="/api/v1/purchasing", tags=["purchasing"])
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]
SupervisorOrHq = Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]
DateQuery = Annotated[dt.date, Query(description="delivery date")]


class DateRequest(BaseModel):
    delivery_date: dt.date


class Confirmation(BaseModel):
    """The supplier's answer to one PO version: units it will bring per SKU (fewer is allowed)."""

    version: int = Field(ge=1)
    lines: ConfirmedLines


@router.get("/orders")
def list_orders(store: StoreDep, date: DateQuery, _: SupervisorOrHq) -> list[dict[str, Any]]:
    return purchasing.list_purchase_orders(store, date)


@router.post("/orders/issue")
def issue(body: DateRequest, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return purchasing.issue_purchase_orders(store, body.delivery_date, actor=who.actor, now=now)


@router.get("/orders/{po_id}")
def get_order(po_id: str, store: StoreDep, _: SupervisorOrHq) -> dict[str, Any]:
    with floor_errors():
        return purchasing.purchase_order(store, po_id)


@router.post("/orders/{po_id}/confirmation")
def confirm(po_id: str, body: Confirmation, store: StoreDep, now: NowDep, who: SupervisorOrHq) -> dict[str, Any]:
    with floor_errors():
        return purchasing.confirm(store, po_id, body.version, body.lines, actor=who.actor, now=now)


@router.post("/allocation")
def allocate(body: DateRequest, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    with floor_errors():
        return purchasing.allocate_shortages(store, body.delivery_date, actor=who.actor, now=now)
