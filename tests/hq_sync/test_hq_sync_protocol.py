"""The protocol's documented schemas match the models, and messages round-trip through them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from hq_sync.protocol import EdgeEvent, FeedPage, OrderChange, SkuRecord, StoreChange, StoreRecord
from hq_sync.schemas import MESSAGES, render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@pytest.mark.parametrize("stem", sorted(MESSAGES))
def test_committed_schema_matches_the_model(stem: str) -> None:
    committed = DOCS / f"{stem}.schema.json"
    assert committed.read_text(encoding="utf-8") == render(MESSAGES[stem]), (
        f"{committed.name} is stale: run `python -m hq_sync.schemas docs/schemas`")


def test_a_feed_page_validates_against_its_schema() -> None:
    page = FeedPage(after=0, next_cursor=2, head_seq=5, changes=[
        StoreChange(seq=1, store=StoreRecord(store_id="S1", name="One")),
        OrderChange.model_validate({"seq": 2, "order": {
            "hq_order_id": "O1", "version": 1, "store_id": "S1", "delivery_date": "2030-07-02",
            "lines": [{"line_no": 1, "sku_id": "K1", "quantity": 2}]}}),
    ])
    schema = json.loads((DOCS / "hq_feed_page.schema.json").read_text())
    jsonschema.validate(json.loads(page.model_dump_json()), schema)
    assert FeedPage.model_validate_json(page.model_dump_json()) == page


def test_bad_master_data_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        SkuRecord.model_validate({"sku_id": "K1", "gtin": "6900000000001", "name_zh": "蓝莓", "name_en": "Blueberry",
                                  "unit": "box", "temp_class": "warm", "shelf_life_days": 5, "case_pack": 12,
                                  "supplier_id": "SUP", "supplier_name": "S", "weight_g": 125})
    fields = {e["loc"][0] for e in error.value.errors()}
    assert fields == {"gtin", "temp_class"}


def test_events_need_an_aware_time_and_a_real_key() -> None:
    with pytest.raises(ValidationError, match="idempotency_key"):
        EdgeEvent(seq=1, idempotency_key="k", kind="x", subject="s", actor="a",
                  occurred_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), payload={})
    with pytest.raises(ValidationError, match="timezone"):
        EdgeEvent(seq=1, idempotency_key="k" * 36, kind="x", subject="s", actor="a",
                  occurred_at=dt.datetime(2030, 1, 1), payload={})
