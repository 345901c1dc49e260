"""The reference HQ's HTTP API: the edge's signed `/v1` side and HQ's own `/admin` side."""


import asyncio
import datetime as dt
import hmac
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from hq_sync.protocol import (
    DigestLeaf,
    DigestLeaves,
    DigestLeavesRequest,
    DigestNodes,
    DigestNodesRequest,
    ErrorBody,
    EventAcks,
    EventBatch,
    FulfillmentRepair,
    Order,
    OrdersFound,
    OrdersLookup,
    RepairAck,
    ShippingNotice,
    SkuRecord,
    StoreRecord,
    SupplierConfirmation,
)
from hq_sync.reference_hq.db import HqDb, OrderDraft, UnknownOrder
from hq_sync.reference_hq.faults import Faults, FaultState
from hq_sync.signing import HEADER_HQ_TIME, TOLERANCE_SECONDS, SignatureRefused, verify

M = TypeVar("M", bound=BaseModel)
MAX_PAGE = 5000


class ApiRefusal(Exception):
    def __init__(self, status: int, code: str, detail: str):
        self.status, self.code, self.detail = status, code, detail
        super().__init__(detail)


def create_app(
    db_path: Path,
    edge_secrets: dict[str, str],
    admin_token: str,
    *,
    clock_skew: float = 0.0,
    allow_faults: bool = False,
) -> FastAPI:
    """`clock_skew` shifts HQ's clock (seconds) to test the edge against a drifting HQ."""
    db = HqDb(db_path)
    faults = FaultState()
    app = FastAPI(title="Haolin reference HQ", version="1")
    app.state.db = db
    app.state.faults = faults

    def clock() -> float:
        return time.time() + clock_skew

    @app.exception_handler(ApiRefusal)
    async def _refused(request: Request, error: ApiRefusal) -> JSONResponse:
        return JSONResponse(ErrorBody(code=error.code, detail=error.detail).model_dump(), status_code=error.status)

    @app.middleware("http")
    async def _clock(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers[HEADER_HQ_TIME] = f"{clock():.3f}"
        return response

    @app.middleware("http")
    async def _nemesis(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not allow_faults or not request.url.path.startswith("/v1/"):
            return await call_next(request)
        current = faults.faults
        if current.delay_seconds:
            faults.count("delay")
            await asyncio.sleep(current.delay_seconds)
        if faults.draw() < current.hang_rate:
            faults.count("hang")
            await asyncio.sleep(current.hang_seconds)
        if faults.draw() < current.error_rate:
            after = faults.draw() < 0.5
            if after:
                await call_next(request)
            faults.count("error_after" if after else "error_before")
            return JSONResponse(ErrorBody(code="injected", detail="injected fault").model_dump(), status_code=500)
        return await call_next(request)

    async def signed_edge(request: Request) -> str:
        body = await request.body()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            edge_id, nonce, stamp = verify(edge_secrets, dict(request.headers), request.method, path, body, clock())
        except SignatureRefused as refusal:
            raise ApiRefusal(401, refusal.code, refusal.detail) from None
        if not db.use_nonce(edge_id, nonce, stamp, clock(), 2 * TOLERANCE_SECONDS):
            raise ApiRefusal(401, "nonce_reused", "this nonce was already used: a replayed request is refused")
        return edge_id

    Edge = Annotated[str, Depends(signed_edge)]

    def admin(authorization: Annotated[str, Header()] = "") -> None:
        if not hmac.compare_digest(authorization.encode(), f"Bearer {admin_token}".encode()):
            raise ApiRefusal(401, "admin_only", "HQ's admin calls need the admin bearer token")

    Admin = Depends(admin)

    async def parsed(request: Request, model: type[M]) -> M:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as error:
            where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:10])
            raise ApiRefusal(422, "invalid_body", f"not a valid {model.__name__}: {where}") from None

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/feed")
    def feed(edge: Edge, after: Annotated[int, Query(ge=0)] = 0,
             limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200) -> Response:
        page = db.feed_page(after, limit)
        current = faults.faults
        if allow_faults and (current.duplicate_feed or current.shuffle_feed) and page.changes:
            changes = list(page.changes)
            if current.duplicate_feed:
                extra = changes[: max(1, len(changes) // 3)]
                faults.count("feed_dup", len(extra))
                changes += extra
            if current.shuffle_feed:
                faults.rng.shuffle(changes)
            page = page.model_copy(update={"changes": changes})
        return Response(page.model_dump_json(), media_type="application/json")

    @app.post("/v1/events")
    async def events(edge: Edge, request: Request) -> Response:
        batch = await parsed(request, EventBatch)
        acks = await asyncio.to_thread(db.apply_events, edge, batch.events)
        return Response(EventAcks(acks=acks).model_dump_json(), media_type="application/json")

    @app.post("/v1/digest/nodes")
    async def digest_nodes(edge: Edge, request: Request) -> Response:
        ask = await parsed(request, DigestNodesRequest)
        tree = await asyncio.to_thread(db.digest_tree, ask.delivery_date, ask.depth)
        try:
            nodes = {"": tree.root, **tree.children(ask.prefixes)}
        except ValueError as error:
            raise ApiRefusal(422, "bad_prefix", str(error)) from None
        answer = DigestNodes(delivery_date=ask.delivery_date, depth=ask.depth, orders=tree.orders, nodes=nodes)
        return Response(answer.model_dump_json(), media_type="application/json")

    @app.post("/v1/digest/leaves")
    async def digest_leaves(edge: Edge, request: Request) -> Response:
        ask = await parsed(request, DigestLeavesRequest)
        tree = await asyncio.to_thread(db.digest_tree, ask.delivery_date, ask.depth)
        leaves = {
            bucket: [DigestLeaf(hq_order_id=k, row_hash=v) for k, v in sorted(tree.leaf_rows(bucket).items())]
            for bucket in ask.buckets
        }
        return Response(DigestLeaves(leaves=leaves).model_dump_json(), media_type="application/json")

    @app.post("/v1/orders/lookup")
    async def lookup(edge: Edge, request: Request) -> Response:
        ask = await parsed(request, OrdersLookup)
        found: OrdersFound = await asyncio.to_thread(db.lookup, ask.hq_order_ids)
        return Response(found.model_dump_json(), media_type="application/json")

    @app.post("/v1/fulfillment/repair")
    async def repair(edge: Edge, request: Request) -> Response:
        ask = await parsed(request, FulfillmentRepair)
        applied, unknown = await asyncio.to_thread(db.repair_fulfillment, ask.facts)
        return Response(RepairAck(applied=applied, unknown=unknown).model_dump_json(), media_type="application/json")

    # --- HQ's own side: drive the edge, look inside -------------------------------------------

    @app.put("/admin/stores", dependencies=[Admin])
    def put_stores(stores: list[StoreRecord]) -> dict[str, int]:
        db.put_stores(stores)
        return {"stores": len(stores)}

    @app.put("/admin/skus", dependencies=[Admin])
    def put_skus(skus: list[SkuRecord]) -> dict[str, int]:
        db.put_skus(skus)
        return {"skus": len(skus)}

    @app.post("/admin/orders", dependencies=[Admin])
    def put_orders(drafts: list[OrderDraft]) -> list[Order]:
        """Create orders, or change existing ones (each call is a new version)."""
        return db.put_orders(drafts)

    @app.post("/admin/orders/{hq_order_id}/cancel", dependencies=[Admin])
    def cancel(hq_order_id: str) -> Order:
        try:
            return db.cancel_order(hq_order_id)
        except UnknownOrder as error:
            raise ApiRefusal(404, "unknown_order", str(error)) from None

    @app.post("/admin/po-confirmations", dependencies=[Admin])
    def put_confirmation(confirmation: SupplierConfirmation) -> dict[str, str]:
        """A supplier's confirmation, passed on to the warehouse through the feed."""
        db.put_confirmation(confirmation)
        return {"po_id": confirmation.po_id}

    @app.post("/admin/asns", dependencies=[Admin])
    def put_shipping_notice(notice: ShippingNotice) -> dict[str, str]:
        """A supplier's shipping notice, passed on to the warehouse through the feed."""
        db.put_shipping_notice(notice)
        return {"asn_id": notice.asn_id}

    @app.get("/admin/stats", dependencies=[Admin])
    def stats() -> dict[str, Any]:
        return {**db.stats(), "faults_injected": dict(faults.injected)}

    @app.get("/admin/digest/{delivery_date}", dependencies=[Admin])
    def root(delivery_date: dt.date, depth: Annotated[int, Query(ge=1, le=6)] = 2) -> dict[str, Any]:
        tree = db.digest_tree(delivery_date, depth)
        return {"root": tree.root, "orders": tree.orders}

    @app.get("/admin/orders", dependencies=[Admin])
    def orders() -> list[dict[str, Any]]:
        return db.order_versions()

    @app.get("/admin/event-keys", dependencies=[Admin])
    def event_keys() -> list[str]:
        return db.event_keys()

    @app.get("/admin/exceptions", dependencies=[Admin])
    def exceptions() -> list[dict[str, Any]]:
        return db.exceptions()

    @app.put("/admin/faults", dependencies=[Admin])
    def set_faults(wanted: Faults) -> dict[str, Any]:
        if not allow_faults:
            raise ApiRefusal(403, "faults_disabled", "start HQ with --allow-faults to inject faults")
        faults.set(wanted)
        return wanted.model_dump()

    return app
