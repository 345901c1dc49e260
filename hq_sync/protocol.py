"""Versioned messages exchanged between HQ and an edge node.

Both sides import these models, so a field changes in one place. Structural rules live here
(types, ranges, GTIN check digits); rules that need the edge's data (does the store exist?)
live in the edge's intake.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
