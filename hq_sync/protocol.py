"""Versioned messages exchanged between HQ and an edge node.

Both sides import these models, so a field changes in one place. Structural rules live here
(types, ranges, GTIN check digits); rules that need the edge's data (does the store exist?)
live in the edge's intake.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

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
    if not (value.isascii() and value.isdigit()) or len(value) not in (8, 12, 13, 14):
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


class _Change(_Message):
    """One entry of the feed, at its place (`seq`) in HQ's order."""

    seq: int = Field(ge=1)


class OrderChange(_Change):
    """An order created, changed (higher version) or cancelled (status `cancelled`)."""

    kind: Literal["order"] = "order"
    order: Order


class StoreChange(_Change):
    kind: Literal["store"] = "store"
    store: StoreRecord


class SkuChange(_Change):
    kind: Literal["sku"] = "sku"
    sku: SkuRecord


def validate_sscc(value: str) -> str:
    """An SSCC-18 with a correct check digit (a pallet's identity: a wrong digit is another pallet)."""
    if len(value) != 18 or not (value.isascii() and value.isdigit()) or gtin_check_digit(value[:-1]) != int(value[-1]):
        raise ValueError(f"{value!r} is not an SSCC (18 digits with a valid check digit)")
    return value


PalletSscc = Annotated[str, AfterValidator(validate_sscc)]
#: Units per SKU a supplier confirms for a PO version.
ConfirmedLines = Annotated[dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=0)]],
                           Field(min_length=1, max_length=10_000)]


class SupplierConfirmation(_Message):
    """A supplier's answer to one PO version: the units it will bring per SKU (fewer is allowed)."""

    po_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    lines: ConfirmedLines


class AsnLine(_Message):
    sscc: PalletSscc
    sku_id: str = Field(min_length=1, max_length=64)
    lot: str = Field(min_length=1, max_length=64)
    expiry: dt.date
    units: int = Field(gt=0, le=1_000_000)


class ShippingNotice(_Message):
    """A supplier's advance shipping notice for a PO: pallets (SSCC) with their lots and units."""

    asn_id: str = Field(min_length=1, max_length=64)
    po_id: str = Field(min_length=1, max_length=64)
    expected_at: AwareDatetime | None = None
    lines: list[AsnLine] = Field(min_length=1, max_length=10_000)


class ConfirmationChange(_Change):
    kind: Literal["po_confirmation"] = "po_confirmation"
    confirmation: SupplierConfirmation


class AsnChange(_Change):
    kind: Literal["asn"] = "asn"
    asn: ShippingNotice


FeedChange = Annotated[OrderChange | StoreChange | SkuChange | ConfirmationChange | AsnChange,
                       Field(discriminator="kind")]


class FeedPage(_Message):
    """Changes with `seq > after`, in HQ order; the edge stores `next_cursor` with the page applied."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    after: int = Field(ge=0)
    next_cursor: int = Field(ge=0)
    head_seq: int = Field(ge=0, description="HQ's newest seq, so the edge can tell its lag")
    changes: list[FeedChange] = Field(max_length=10_000)


# --- Edge -> HQ: fulfillment events from the outbox ---------------------------------------------


#: Longest actor, subject part or id an event may carry; inputs that end up in events are held to it.
MAX_ID = 64
#: Longest free text (a reason, a note, a detail) an event may carry.
MAX_TEXT = 500

Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Sscc = Annotated[str, Field(pattern=r"^\d{18}$")]


class EdgeEvent(_Message):
    """One outbox row. HQ applies it at most once per `idempotency_key`."""

    seq: int = Field(ge=1, description="the edge's outbox order")
    idempotency_key: str = Field(min_length=8, max_length=64)
    kind: str = Field(min_length=1, max_length=64)
    subject: str = Field(max_length=128)
    actor: str = Field(max_length=MAX_ID)
    device_id: str | None = Field(default=None, max_length=MAX_ID)
    occurred_at: AwareDatetime
    payload: dict[str, Any]


class EventBatch(_Message):
    protocol_version: Literal[1] = PROTOCOL_VERSION
    events: list[EdgeEvent] = Field(min_length=1, max_length=1000)


class EventAck(_Message):
    """HQ's answer for one event of a batch.

    `applied` the first time; `duplicate` for a replay, which carries the first result; `refused`
    when HQ will never take this event as it is (`code`, `detail` say why). A refusal concerns that
    event alone: the rest of the batch is answered on its own merits.
    """

    idempotency_key: str
    status: Literal["applied", "duplicate", "refused"]
    hq_event_id: int | None = None
    code: str | None = None
    detail: str | None = None


class EventAcks(_Message):
    acks: list[EventAck]


# --- Event payloads: one model per kind the edge sends; `Write.emit` takes the model -------------


#: Event kind -> payload model: the whole contract of what the edge sends (schemas, HQ's checks).
#: Filled by `EventPayload`'s subclasses as they are defined.
EVENT_PAYLOADS: dict[str, type[EventPayload]] = {}


class EventPayload(_Message):
    """A payload HQ understands; `KIND` is the event kind it travels under."""

    KIND: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.KIND in EVENT_PAYLOADS:
            raise TypeError(f"event kind {cls.KIND} has two models: {EVENT_PAYLOADS[cls.KIND]}, {cls}")
        EVENT_PAYLOADS[cls.KIND] = cls


class LinePickedPayload(EventPayload):
    """`order.line_picked`: the cumulative quantity picked for a line (short when below ordered)."""

    KIND = "order.line_picked"
    hq_order_id: Id
    line_no: int = Field(ge=1)
    sku_id: Id
    picked_qty: int = Field(ge=0)
    ordered_qty: int = Field(ge=0)
    short_reason: str | None = Field(default=None, max_length=200)


class OrderConflictPayload(EventPayload):
    """`order.conflict`: HQ changed or cancelled an order the floor already works on."""

    KIND = "order.conflict"
    hq_order_id: Id
    incoming_version: int = Field(ge=1)
    reason: Text


class ConflictResolvedPayload(EventPayload):
    """`conflict.resolved`: a supervisor's decision on a conflict, with the reason."""

    KIND = "conflict.resolved"
    conflict_id: int
    kind: Id
    decision: Literal["keep_edge", "accept_hq", "manual"]
    note: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


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
    sscc: Sscc
    temp_class: TempClass
    status: str = Field(max_length=32)
    delivered_at: AwareDatetime | None = None
    exposure: CrateExposure | None = Field(default=None, description="absent from edges before exposure was sent")


class ProofException(_Message):
    kind: Literal["missing", "damaged", "warm"]
    sscc: Sscc
    detail: Text


class DeliveryProofPayload(EventPayload):
    """`delivery.proof`: the store owner signed for a stop; every crate with its temperature history."""

    KIND = "delivery.proof"
    route_id: Id
    stop_no: int = Field(ge=1)
    store_id: Id
    delivery_date: dt.date
    confirmed_by: Id
    confirmed_at: AwareDatetime
    photo_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    delivered: list[str] = Field(max_length=1000)
    crates: list[ProofCrate] = Field(max_length=1000)
    exceptions: list[ProofException] = Field(max_length=1000)


class QcResultPayload(EventPayload):
    """`qc.result`: receiving quality check of a lot (e.g. Brix of blueberries)."""

    KIND = "qc.result"
    sku_id: Id
    lot: Id
    passed: bool
    brix: float | None = None
    notes: Text = ""


class SyncExceptionPayload(EventPayload):
    """`sync.exception`: something neither HQ's nor the edge's rule settles; a supervisor decides."""

    KIND = "sync.exception"
    hq_order_id: Id
    delivery_date: dt.date
    reason: Id
    detail: Text


class SyncExceptionResolvedPayload(EventPayload):
    """`sync.exception_resolved`: a supervisor settled a reconciliation exception."""

    KIND = "sync.exception_resolved"
    exception_id: int
    by: Id


class EventDiscardedPayload(EventPayload):
    """`sync.event_discarded`: a supervisor gave up an event HQ refused; HQ learns what it will not get."""

    KIND = "sync.event_discarded"
    idempotency_key: str = Field(min_length=8, max_length=64)
    kind: Annotated[str, Field(max_length=MAX_ID)]
    subject: Annotated[str, Field(max_length=128)]
    code: Id
    by: Id
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class SuppressionAddedPayload(EventPayload):
    """`coldchain.suppression.added`: a planned window (defrost, start-up, maintenance) without alarms."""

    KIND = "coldchain.suppression.added"
    window_id: int
    asset_id: Id
    reason: Literal["defrost", "startup", "maintenance"]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: Text = ""


class ColdChainConfiguredPayload(EventPayload):
    """`coldchain.configured`: the site's cold-chain file was applied."""

    KIND = "coldchain.configured"
    assets: list[Id]
    sensors: list[Id]
    sku_bands: list[Id]


class Shortfall(_Message):
    sku_id: Id
    ordered: int
    available: int


class WaveBuiltPayload(EventPayload):
    """`floor.wave_built`: the night's pick tours were planned."""

    KIND = "floor.wave_built"
    wave_id: Id
    delivery_date: dt.date
    tours: int = Field(ge=0)
    lines: int = Field(ge=0)
    cart_volume_ml: int = Field(ge=0)
    shortfalls: list[Shortfall]


class TourAssignedPayload(EventPayload):
    KIND = "floor.tour_assigned"
    picker_id: Id
    version: int
    reassigned: bool


class OrdersPickingPayload(EventPayload):
    KIND = "floor.orders_picking"
    hq_order_ids: list[Id]


class PickPayload(EventPayload):
    """`floor.pick`: a picker's accepted scan at a tour stop."""

    KIND = "floor.pick"
    stop_no: int = Field(ge=1)
    location_code: Id
    sku_id: Id
    lot: str | None = Field(default=None, max_length=MAX_ID)
    arrived: bool
    added: int = Field(ge=0)
    picked_qty: int = Field(ge=0)
    quantity: int = Field(ge=0)
    scan_id: Id


class ShortPickPayload(EventPayload):
    """`floor.short_pick`: a picker could not fill a stop, with the reason."""

    KIND = "floor.short_pick"
    stop_no: int = Field(ge=1)
    sku_id: Id
    location_code: Id
    lot: str | None = Field(default=None, max_length=MAX_ID)
    quantity: int = Field(ge=0)
    picked_qty: int = Field(ge=0)
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class TourDonePayload(EventPayload):
    KIND = "floor.tour_done"


class TourDroppedPayload(EventPayload):
    KIND = "floor.tour_dropped"
    station: Id


class PutLine(_Message):
    hq_order_id: Id
    line_no: int = Field(ge=1)
    added: int = Field(ge=0)
    picked_qty: int = Field(ge=0)
    status: Id


class PutPayload(EventPayload):
    """`floor.put`: units of a SKU went into a store's crate at the sort wall."""

    KIND = "floor.put"
    store_id: Id
    sku_id: Id
    quantity: int = Field(gt=0)
    order_lines: list[PutLine]
    scan_id: Id


class CrateOpenedPayload(EventPayload):
    KIND = "floor.crate_opened"
    store_id: Id
    temp_class: TempClass
    crate_no: int = Field(ge=1)
    delivery_date: dt.date


class CrateClosedPayload(EventPayload):
    KIND = "floor.crate_closed"
    store_id: Id
    units: int = Field(ge=0)


class LabelPrintedPayload(EventPayload):
    KIND = "floor.label_printed"
    print_id: int | None
    reprint: bool
    reason: str | None = Field(default=None, max_length=MAX_TEXT)
    outcome: Text
    store_id: Id


class OrdersPackedPayload(EventPayload):
    KIND = "floor.orders_packed"
    delivery_date: dt.date
    hq_order_ids: list[Id]


class CrateStagedPayload(EventPayload):
    KIND = "floor.crate_staged"
    asset_id: Id


class LeftOut(_Message):
    store_id: Id
    reason: Text


class RoutesPlannedPayload(EventPayload):
    """`floor.routes_planned`: the day's delivery routes, and the stores left out with why."""

    KIND = "floor.routes_planned"
    delivery_date: dt.date
    routes: int = Field(ge=0)
    distance_m: int = Field(ge=0)
    engine: Id
    left_out: list[LeftOut]
    violations: list[Text]


class RouteAssignedPayload(EventPayload):
    KIND = "floor.route_assigned"
    driver_id: Id


class CrateLoadedPayload(EventPayload):
    KIND = "floor.crate_loaded"
    route_id: Id
    stop_no: int | None = Field(default=None, ge=1)
    store_id: Id


class OverridePayload(EventPayload):
    """`floor.override`: a supervisor let a truck leave without the crates listed."""

    KIND = "floor.override"
    override_id: int
    kind: Literal["depart_with_missing"]
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    missing: list[Sscc]


class DepartedPayload(EventPayload):
    KIND = "floor.departed"
    vehicle_id: Id
    driver_id: str | None = Field(default=None, max_length=MAX_ID)
    missing: list[Sscc]
    override_id: int | None = None


class FloorExceptionPayload(EventPayload):
    """`floor.exception`: a crate missing, damaged, warm or on the wrong truck."""

    KIND = "floor.exception"
    kind: Id
    detail: Text | None = None
    route_id: str | None = Field(default=None, max_length=MAX_ID)
    crate_route_id: str | None = Field(default=None, max_length=MAX_ID)


class FloorExceptionResolvedPayload(EventPayload):
    KIND = "floor.exception_resolved"
    exception_id: int
    kind: Id
    note: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class CrateDeliveredPayload(EventPayload):
    KIND = "floor.crate_delivered"
    route_id: Id
    stop_no: int = Field(ge=1)
    store_id: Id
    condition: Literal["ok", "damaged", "warm"]


class OrderEtaPayload(EventPayload):
    """`order.eta` (subject: the HQ order id): when the order's truck is expected at its store, re-timed
    from the actual times at departure, after every handoff and when the driver's phone shares the
    truck's position, so the mini-program can say "on truck 3, arriving 14:20-14:40"."""

    KIND = "order.eta"
    delivery_date: dt.date
    store_id: Id
    route_id: Id
    truck_no: int = Field(ge=1, description="the route's number that day, as the driver and store know it")
    vehicle_id: Id
    stop_no: int = Field(ge=1)
    stops_before: int = Field(ge=0, description="deliveries still to make before this one")
    eta_from: dt.datetime
    eta_to: dt.datetime
    late: bool = Field(description="expected after the store's delivery window closes")
    basis: Literal["departure", "handoff", "position"]


class PoLineOut(_Message):
    sku_id: Id
    quantity: int = Field(ge=0)
    case_pack: int = Field(ge=1)


class PoLineChange(_Message):
    sku_id: Id
    before: int = Field(ge=0)
    after: int = Field(ge=0)


class PurchaseOrderPayload(EventPayload):
    """`purchase.order`: a version of a purchase order for a supplier's system (via HQ); `changes`
    says what this version changed against the one before (empty for version 1)."""

    KIND = "purchase.order"
    po_id: Id
    supplier_id: Id
    delivery_date: dt.date
    version: int = Field(ge=1)
    state: Literal["sent", "cancelled"]
    lines: list[PoLineOut] = Field(max_length=10_000)
    changes: list[PoLineChange] = Field(default_factory=list, max_length=10_000)


class PurchaseOrderConflictPayload(EventPayload):
    """`purchase.order_conflict`: orders changed after the dock started receiving the PO."""

    KIND = "purchase.order_conflict"
    po_id: Id
    conflict_id: int
    changes: list[PoLineChange] = Field(max_length=10_000)


class LineAllocatedPayload(EventPayload):
    """`order.line_allocated`: the share of a short supply a line gets, so HQ can refund the rest;
    sent again when late supply tops it up (allocated == ordered: nothing to refund)."""

    KIND = "order.line_allocated"
    hq_order_id: Id
    line_no: int = Field(ge=1)
    sku_id: Id
    ordered_qty: int = Field(ge=1)
    allocated_qty: int = Field(ge=0)
    reason: Text


class ReceivedLot(_Message):
    sku_id: Id
    lot: Id
    expiry: dt.date
    units: int = Field(ge=0)
    decision: Literal["accepted", "accepted_with_remark", "rejected"]
    remark: Text = ""
    damaged_units: int = Field(default=0, ge=0)


class ReceiptDiscrepancy(_Message):
    """A SKU where what was received and accepted differs from what the supplier should bring."""

    sku_id: Id
    expected_units: int = Field(ge=0)
    accepted_units: int = Field(ge=0)
    kind: Literal["short", "over", "rejected", "damaged"]


class ReceiptClosedPayload(EventPayload):
    """`receiving.receipt_closed`: what the dock received against a PO, lot by lot, and where it
    differs from the PO (the supplier's confirmation, else the PO), for the supplier's account."""

    KIND = "receiving.receipt_closed"
    receipt_id: int = Field(ge=1)
    po_id: Id
    asn_id: Id | None = None
    final: bool
    lots: list[ReceivedLot] = Field(max_length=10_000)
    discrepancies: list[ReceiptDiscrepancy] = Field(max_length=10_000)


class DailyReportPayload(EventPayload):
    """`report.daily`: the warehouse's day for a delivery date — received, shipped, short lines, fill
    rate, on-time stops, cold-chain excursions and the loss rate with its reasons (units)."""

    KIND = "report.daily"
    delivery_date: dt.date
    ordered_units: int = Field(ge=0)
    shipped_units: int = Field(ge=0)
    received_units: int = Field(ge=0)
    short_lines: int = Field(ge=0)
    fill_rate: float | None = Field(default=None, ge=0)
    stops: int = Field(ge=0)
    stops_on_time: int = Field(ge=0)
    on_time_rate: float | None = Field(default=None, ge=0)
    excursions: int = Field(ge=0)
    crates_out_of_band: int = Field(ge=0)
    lost_units: int = Field(ge=0)
    losses_by_reason: dict[Id, int]
    loss_rate: float | None = Field(default=None, ge=0)


class NearExpiryLot(_Message):
    sku_id: Id
    lot: Id
    location_code: Id
    expiry: dt.date
    units: int = Field(ge=1)
    days_left: int


class NearExpiryPayload(EventPayload):
    """`stock.near_expiry`: lots that expire within the warning horizon (临期预警), for HQ's promotions."""

    KIND = "stock.near_expiry"
    as_of: dt.date
    days_ahead: int = Field(ge=0)
    lots: list[NearExpiryLot] = Field(max_length=10_000)


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
