"""Versioned messages exchanged between HQ and an edge node.

Both sides import these models, so a field changes in one place. Structural rules live here
(types, ranges, GTIN check digits); rules that need the edge's data (does the store exist?)
live in the edge's intake.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

PROTOCOL_VERSION: Literal[1] = 1

#: A line asking for more than this many units of one SKU for one store is a typo, not an order.
MAX_LINE_QUANTITY = 10_000


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate_gtin(value: str) -> str:
    """Accept GTIN-8/12/13/14 with a correct check digit, normalised to 14 digits."""
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise ValueError(f"GTIN must be 8, 12, 13 or 14 digits, got {value!r}")
    if gtin_check_digit(value[:-1]) != int(value[-1]):
        expected = gtin_check_digit(value[:-1])
        raise ValueError(f"GTIN {value} has check digit {value[-1]}, expected {expected}")
    return value.zfill(14)


Gtin = Annotated[str, AfterValidator(validate_gtin)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderLine(_Message):
    """One SKU for one store in one order. `sku_id` is the unified product id."""

    line_no: int = Field(ge=1)
    sku_id: str = Field(min_length=1, max_length=64)
    gtin: Gtin | None = None
    quantity: int = Field(gt=0, le=MAX_LINE_QUANTITY)
    unit_price_fen: int = Field(default=0, ge=0)


class Order(_Message):
    """An order as HQ sees it; a higher `version` replaces a lower one."""

    hq_order_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    store_id: str = Field(min_length=1, max_length=64)
    campaign_id: str | None = Field(default=None, max_length=64)
    delivery_date: dt.date
    status: Literal["confirmed", "cancelled"] = "confirmed"
    lines: list[OrderLine] = Field(min_length=1, max_length=200)


class OrderBatch(_Message):
    """A batch of orders HQ sends to one warehouse; `batch_id` makes a re-send recognisable."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    batch_id: str = Field(min_length=1, max_length=128)
    warehouse_id: str = Field(min_length=1, max_length=64)
    created_at: dt.datetime
    orders: list[Order] = Field(min_length=1, max_length=100_000)


# --- Master data in the change feed -------------------------------------------------------------

TempClass = Literal["chilled", "frozen", "ambient"]
HhMm = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class StoreRecord(_Message):
    """A community store as HQ knows it; the edge upserts it by `store_id`."""

    store_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    owner_name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=400)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    window_start: HhMm = "06:00"
    window_end: HhMm = "12:00"
    active: bool = True


class SkuRecord(_Message):
    """A product as HQ knows it; the edge upserts it (and its supplier) by `sku_id`."""

    sku_id: str = Field(min_length=1, max_length=64)
    gtin: Gtin
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=20)
    temp_class: TempClass
    shelf_life_days: int = Field(gt=0, le=3650)
    case_pack: int = Field(gt=0, le=10_000)
    supplier_id: str = Field(min_length=1, max_length=64)
    supplier_name: str = Field(min_length=1, max_length=200)
    weight_g: int = Field(gt=0, le=1_000_000)
    volume_ml: int = Field(default=1000, gt=0, le=1_000_000)
    brix_min: float | None = Field(default=None, ge=0, le=100)
    brix_max: float | None = Field(default=None, ge=0, le=100)


# --- HQ -> edge: the change feed ----------------------------------------------------------------


class OrderChange(_Message):
    """An order created, changed (higher version) or cancelled (status `cancelled`)."""

    seq: int = Field(ge=1)
    kind: Literal["order"] = "order"
    order: Order


class StoreChange(_Message):
    seq: int = Field(ge=1)
    kind: Literal["store"] = "store"
    store: StoreRecord


class SkuChange(_Message):
    seq: int = Field(ge=1)
    kind: Literal["sku"] = "sku"
    sku: SkuRecord


FeedChange = Annotated[OrderChange | StoreChange | SkuChange, Field(discriminator="kind")]


class FeedPage(_Message):
    """Changes with `seq > after`, in HQ order; the edge stores `next_cursor` with the page applied."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    after: int = Field(ge=0)
    next_cursor: int = Field(ge=0)
    head_seq: int = Field(ge=0, description="HQ's newest seq, so the edge can tell its lag")
    changes: list[FeedChange] = Field(max_length=10_000)


# --- Edge -> HQ: fulfillment events from the outbox ---------------------------------------------


class EdgeEvent(_Message):
    """One outbox row. HQ applies it at most once per `idempotency_key`."""

    seq: int = Field(ge=1, description="the edge's outbox order")
    idempotency_key: str = Field(min_length=8, max_length=64)
    kind: str = Field(min_length=1, max_length=64)
    subject: str = Field(max_length=128)
    actor: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    occurred_at: AwareDatetime
    payload: dict[str, Any]


class EventBatch(_Message):
    protocol_version: Literal[1] = PROTOCOL_VERSION
    events: list[EdgeEvent] = Field(min_length=1, max_length=1000)


class EventAck(_Message):
    """`applied` the first time; `duplicate` for a replay, which carries the first result."""

    idempotency_key: str
    status: Literal["applied", "duplicate"]
    hq_event_id: int


class EventAcks(_Message):
    acks: list[EventAck]


# Payloads of the event kinds HQ understands; other kinds are stored and acknowledged as they are.


class LinePickedPayload(_Message):
    """`order.line_picked`: the cumulative quantity picked for a line (short when below ordered)."""

    hq_order_id: str = Field(min_length=1, max_length=64)
    line_no: int = Field(ge=1)
    sku_id: str = Field(min_length=1, max_length=64)
    picked_qty: int = Field(ge=0)
    ordered_qty: int = Field(ge=0)
    short_reason: str | None = Field(default=None, max_length=200)


class SubstitutedPayload(_Message):
    """`order.line_substituted`: another SKU was sent in place of the ordered one."""

    hq_order_id: str
    line_no: int = Field(ge=1)
    sku_id: str
    substitute_sku_id: str
    quantity: int = Field(gt=0)


class CratePackedPayload(_Message):
    """`crate.packed`: units of an order went into a crate labelled with an SSCC-18."""

    sscc: str = Field(pattern=r"^\d{18}$")
    hq_order_id: str
    store_id: str
    lines: dict[int, int] = Field(description="line_no -> units in this crate")


class LoadedPayload(_Message):
    """`crate.loaded`: a crate went onto a vehicle for a route."""

    sscc: str = Field(pattern=r"^\d{18}$")
    vehicle_id: str
    route_id: str


class DeliveredPayload(_Message):
    """`order.delivered`: handed over at the store, with proof."""

    hq_order_id: str
    store_id: str
    crates: list[str]
    proof: Literal["owner_pin", "photo", "signature", "qr_scan"]
    proof_ref: str = Field(max_length=200)


class ExposureBand(_Message):
    """A temperature band in degrees C; None is an open side (frozen has no lower limit)."""

    low_c: float | None = None
    high_c: float | None = None


class CrateExposure(_Message):
    """A crate's temperature history from packing to handoff, judged against its own band.

    Degrees C and seconds as measured (readings are decimals, not counts). Time the crate spent
    where no sensor watched it is `unmonitored_s`; `alarms` are the edge's alarm ids on the
    assets it was in while it was there.
    """

    band: ExposureBand
    warning: str | None = Field(default=None, description="e.g. a mixed crate judged by its class band")
    samples: int = Field(ge=0)
    covered_s: float = Field(ge=0)
    unmonitored_s: float = Field(ge=0)
    min_c: float | None = None
    max_c: float | None = None
    mean_c: float | None = None
    mkt_c: float | None = Field(default=None, description="mean kinetic temperature (USP)")
    above_s: float = Field(ge=0)
    below_s: float = Field(ge=0)
    out_of_range_s: float = Field(ge=0, description="above_s + below_s")
    degree_minutes: float = Field(ge=0)
    alarms: list[int] = Field(default_factory=list)


class ProofCrate(_Message):
    sscc: str = Field(pattern=r"^\d{18}$")
    temp_class: TempClass
    status: str = Field(max_length=32)
    delivered_at: AwareDatetime | None = None
    exposure: CrateExposure | None = Field(default=None, description="absent from edges before exposure was sent")


class ProofException(_Message):
    kind: Literal["missing", "damaged", "warm"]
    sscc: str = Field(pattern=r"^\d{18}$")
    detail: str = Field(max_length=500)


class DeliveryProofPayload(_Message):
    """`delivery.proof`: the store owner signed for a stop; every crate with its temperature history."""

    route_id: str = Field(min_length=1, max_length=64)
    stop_no: int = Field(ge=1)
    store_id: str = Field(min_length=1, max_length=64)
    delivery_date: dt.date
    confirmed_by: str = Field(min_length=1, max_length=64)
    confirmed_at: AwareDatetime
    photo_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    delivered: list[str] = Field(max_length=1000)
    crates: list[ProofCrate] = Field(max_length=1000)
    exceptions: list[ProofException] = Field(max_length=1000)


class QcResultPayload(_Message):
    """`qc.result`: receiving quality check of a lot (e.g. Brix of blueberries)."""

    sku_id: str
    lot: str
    passed: bool
    brix: float | None = None
    notes: str = ""


class ColdChainAlarmPayload(_Message):
    """`coldchain.alarm`: a zone or vehicle left its temperature band (tenths of a degree C)."""

    where: str
    temp_decic: int
    band_min_decic: int
    band_max_decic: int
    since: AwareDatetime


class SyncExceptionPayload(_Message):
    """`sync.exception`: something neither HQ's nor the edge's rule settles; a supervisor decides."""

    hq_order_id: str
    delivery_date: dt.date
    reason: str
    detail: str


#: Event kind -> payload model, for the JSON schemas and for HQ's validation of known kinds.
EVENT_PAYLOADS: dict[str, type[BaseModel]] = {
    "order.line_picked": LinePickedPayload,
    "order.line_substituted": SubstitutedPayload,
    "crate.packed": CratePackedPayload,
    "crate.loaded": LoadedPayload,
    "order.delivered": DeliveredPayload,
    "delivery.proof": DeliveryProofPayload,
    "qc.result": QcResultPayload,
    "coldchain.alarm": ColdChainAlarmPayload,
    "sync.exception": SyncExceptionPayload,
}


# --- Reconciliation -----------------------------------------------------------------------------


class DigestNodesRequest(_Message):
    """Ask for the hashes of the children of `prefixes` ("" is the root) in a tree of `depth`."""

    delivery_date: dt.date
    depth: int = Field(ge=1, le=6)
    prefixes: list[str] = Field(max_length=100_000)


class DigestNodes(_Message):
    delivery_date: dt.date
    depth: int
    orders: int = Field(ge=0, description="orders HQ has for the date")
    nodes: dict[str, str] = Field(description="prefix -> hash; the root is the empty prefix")


class DigestLeaf(_Message):
    hq_order_id: str
    row_hash: str


class DigestLeavesRequest(_Message):
    delivery_date: dt.date
    depth: int = Field(ge=1, le=6)
    buckets: list[str] = Field(max_length=100_000)


class DigestLeaves(_Message):
    leaves: dict[str, list[DigestLeaf]]


class OrdersLookup(_Message):
    hq_order_ids: list[str] = Field(max_length=100_000)


class LineFact(_Message):
    line_no: int = Field(ge=1)
    picked_qty: int = Field(ge=0)


class HqOrderState(_Message):
    """HQ's current order and the fulfillment facts it has heard of."""

    order: Order
    picked: list[LineFact]


class OrdersFound(_Message):
    orders: list[HqOrderState]
    missing: list[str]


class FulfillmentFact(_Message):
    """The edge's fulfillment facts for an order: the edge wins them in a repair."""

    hq_order_id: str
    version: int = Field(ge=1)
    lines: list[LineFact]


class FulfillmentRepair(_Message):
    facts: list[FulfillmentFact] = Field(max_length=100_000)


class RepairAck(_Message):
    applied: int
    unknown: list[str]


class ErrorBody(BaseModel):
    """Every refusal from HQ: a machine-readable code and a sentence saying what was wrong."""

    code: str
    detail: str
