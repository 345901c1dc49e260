"""Receiving at the dock: ASNs from HQ, receipts against POs, case scans, lot decisions, damage photos."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, SettingsDep, StoreDep, requires
from edge.api.floor_common import MAX_BATCH, explain, floor_errors, locale_of
from edge.domain.auth import Principal, Role
from edge.domain.receiving import LotDecision
from edge.services import purchasing, receiving
from edge.services.device_status import load_statuses
from hq_sync.protocol import PalletSscc, ShippingNotice

router = APIRouter(prefix="/api/v1/receiving", tags=["receiving"])
#: Dock work is done by the floor's own people in the morning (signed in as pickers) or the supervisor.
Dock = Annotated[Principal, requires(Role.PICKER, Role.SUPERVISOR)]
HqOrSupervisor = Annotated[Principal, requires(Role.HQ, Role.SUPERVISOR)]
Code = Annotated[str, Field(min_length=1, max_length=64)]


class ReceiptStart(BaseModel):
    po_id: Code
    asn_id: Code | None = Field(default=None, description="default: the PO's latest shipping notice")
    blind: bool = Field(default=False, description="receive without a shipping notice")


class CaseScan(BaseModel):
    scan_id: Code
    raw: str = Field(min_length=1, max_length=512)
    cases: int = Field(default=1, ge=1, le=999)
    pallet_sscc: PalletSscc | None = None
    scale_id: Code | None = None


class CaseScans(BaseModel):
    scans: list[CaseScan] = Field(min_length=1, max_length=MAX_BATCH)


class LotDecisionIn(BaseModel):
    sku_id: Code
    lot: Code
    decision: LotDecision | None = None
    remark: str = Field(default="", max_length=500)
    damaged_units: int = Field(default=0, ge=0)


class CloseIn(BaseModel):
    final: bool = Field(description="the last receipt of the PO: what never came is short")


def _localised(answer: dict[str, Any], locale: str) -> dict[str, Any]:
    if answer.get("ok", True) or "message_key" not in answer:
        return answer
    return answer | {"message": explain(answer["message_key"], answer["values"], locale)}


@router.get("/purchase-orders")
def purchase_orders(store: StoreDep, date: Annotated[dt.date, Query()], _: Dock) -> list[dict[str, Any]]:
    return purchasing.list_purchase_orders(store, date)


@router.get("/scales")
def scales(store: StoreDep, now: NowDep, _: Dock) -> list[dict[str, Any]]:
    """The site's scales and what each last weighed, for the dock page's choice of scale."""
    return [{"device_id": d["device_id"], "state": d["state"], "stale": d["stale"], "last_reading": d["last_reading"]}
            for d in load_statuses(store, now) if d["kind"] == "scale"]


@router.post("/asns")
def asn(body: ShippingNotice, store: StoreDep, now: NowDep, who: HqOrSupervisor) -> dict[str, Any]:
    """A shipping notice HQ passes on directly (it also comes through HQ's change feed)."""
    with floor_errors():
        return receiving.record_asn(store, body, actor=who.actor, now=now)


@router.post("/receipts")
def start(body: ReceiptStart, store: StoreDep, now: NowDep, who: Dock) -> dict[str, Any]:
    with floor_errors():
        return receiving.start(store, body.po_id, asn_id=body.asn_id, blind=body.blind, actor=who.actor, now=now)


@router.get("/receipts/{receipt_id}")
def get_receipt(receipt_id: int, store: StoreDep, _: Dock) -> dict[str, Any]:
    with floor_errors():
        return receiving.receipt(store, receipt_id)


@router.post("/receipts/{receipt_id}/scans/batch")
def scans(receipt_id: int, body: CaseScans, request: Request, store: StoreDep, now: NowDep,
          who: Dock) -> dict[str, Any]:
    """Single and queued scans alike, in the order sent; each answers on its own (an accepted case
    with the receipt as it then stands, so the page needs no second request)."""
    locale = locale_of(request)
    with floor_errors():
        results = [_localised(receiving.scan(store, receipt_id, scan_id=s.scan_id, raw=s.raw, cases=s.cases,
                                             pallet_sscc=s.pallet_sscc, scale_id=s.scale_id, actor=who.actor,
                                             device_id=who.device_id, now=now), locale) for s in body.scans]
    return {"results": results}


@router.post("/receipts/{receipt_id}/lots")
def decide(receipt_id: int, body: LotDecisionIn, request: Request, store: StoreDep, now: NowDep,
           who: Dock) -> dict[str, Any]:
    with floor_errors():
        return _localised(receiving.decide_lot(store, receipt_id, sku_id=body.sku_id, lot=body.lot,
                                               decision=body.decision, remark=body.remark,
                                               damaged_units=body.damaged_units, actor=who.actor, now=now),
                          locale_of(request))


@router.post("/receipts/{receipt_id}/photos")
async def photo(receipt_id: int, request: Request, store: StoreDep, settings: SettingsDep, now: NowDep, who: Dock,
                sku_id: Annotated[str | None, Query(max_length=64)] = None,
                lot: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    body = await request.body()  # bounded by the body limit as it arrives
    with floor_errors():
        return await run_in_threadpool(lambda: receiving.add_photo(store, settings.data_dir, receipt_id, body,
                                                                   sku_id=sku_id, lot=lot, actor=who.actor, now=now))


@router.post("/receipts/{receipt_id}/close")
def close(receipt_id: int, body: CloseIn, store: StoreDep, now: NowDep, who: Dock) -> dict[str, Any]:
    with floor_errors():
        return receiving.close(store, receipt_id, final=body.final, actor=who.actor, now=now)
