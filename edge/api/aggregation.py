"""Purchase lists, the pick-by-SKU list and the sort-to-store plan for a delivery date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from edge.api.deps import StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services import aggregation

router = APIRouter(prefix="/api/v1/aggregation", tags=["aggregation"])
DateQuery = Annotated[dt.date, Query(description="delivery date, the day after the livestream")]


@router.get("/purchase", response_model=None)
def purchase(store: StoreDep, date: DateQuery, _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)],
             format: Literal["json", "csv"] = "json") -> dict[str, Any] | PlainTextResponse:
    lists = aggregation.purchase(store, date)
    if format == "csv":
        return PlainTextResponse(aggregation.purchase_as_csv(lists), media_type="text/csv; charset=utf-8")
    return aggregation.purchase_as_json(lists, date)


@router.get("/picking")
def picking(store: StoreDep, date: DateQuery,
            _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]) -> dict[str, Any]:
    plan, sorting = aggregation.picking(store, date)
    return aggregation.picking_as_json(plan, sorting, date)
