"""The reference HQ's event intake: each key applied once, replays answered with the first result."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hq_sync import signing
from hq_sync.protocol import EdgeEvent, EventBatch
from hq_sync.reference_hq.app import create_app

EDGE, SECRET = "edge-a", "secret-of-edge-a"
ADMIN = {"Authorization": "Bearer admin"}


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path / "hq.sqlite3", {EDGE: SECRET}, "admin")) as client:
        client.put("/admin/stores", json=[{"store_id": "S1", "name": "One"}], headers=ADMIN)
        client.post("/admin/orders", headers=ADMIN, json=[{
            "hq_order_id": "O1", "store_id": "S1", "delivery_date": "2030-07-02",
            "lines": [{"line_no": 1, "sku_id": "K1", "quantity": 5}]}])
        yield client


def event(seq: int, picked: int, key: str | None = None) -> EdgeEvent:
    return EdgeEvent(
        seq=seq, idempotency_key=key or str(uuid.uuid4()), kind="order.line_picked", subject="O1", actor="P01",
        occurred_at=dt.datetime(2030, 7, 1, 20, tzinfo=dt.UTC),
        payload={"hq_order_id": "O1", "line_no": 1, "sku_id": "K1", "picked_qty": picked, "ordered_qty": 5},
    )


def push(client: TestClient, events: list[EdgeEvent]) -> tuple[int, Any]:
    body = EventBatch(events=events).model_dump_json().encode()
    headers = signing.signed_headers(SECRET, EDGE, "POST", "/v1/events", body, time.time())
    response = client.post("/v1/events", content=body, headers=headers)
    return response.status_code, response.json()


def hq_picked(client: TestClient) -> list[dict[str, Any]]:
    body = json.dumps({"hq_order_ids": ["O1"]}).encode()
    headers = signing.signed_headers(SECRET, EDGE, "POST", "/v1/orders/lookup", body, time.time())
    return list(client.post("/v1/orders/lookup", content=body, headers=headers).json()["orders"][0]["picked"])


def test_replay_returns_the_first_result_and_applies_nothing(hq: TestClient) -> None:
    batch = [event(1, 2), event(2, 4)]
    status, first = push(hq, batch)
    assert status == 200 and [a["status"] for a in first["acks"]] == ["applied", "applied"]
    status, again = push(hq, batch)
    assert status == 200
    assert [a["hq_event_id"] for a in again["acks"]] == [a["hq_event_id"] for a in first["acks"]]
    assert [a["status"] for a in again["acks"]] == ["duplicate", "duplicate"]
    stats = hq.get("/admin/stats", headers=ADMIN).json()
    assert (stats["events"], stats["deliveries"]) == (2, 4)


def test_reused_key_with_other_content_is_refused_alone(hq: TestClient) -> None:
    first = event(1, 2)
    assert push(hq, [first])[0] == 200
    status, body = push(hq, [event(2, 3), event(1, 3, key=first.idempotency_key), event(3, 4)])
    assert status == 200
    assert [(a["status"], a["code"]) for a in body["acks"]] == [
        ("applied", None), ("refused", "idempotency_key_reused"), ("applied", None)]
    assert hq.get("/admin/stats", headers=ADMIN).json()["events"] == 3


def test_reordered_deliveries_keep_the_newest_pick(hq: TestClient) -> None:
    early, late = event(1, 2), event(2, 5)
    assert push(hq, [late])[0] == 200
    assert push(hq, [early])[0] == 200
    assert push(hq, [late, early])[0] == 200
    assert hq_picked(hq) == [{"line_no": 1, "picked_qty": 5}]


def test_a_bad_payload_or_an_unknown_kind_is_refused_alone_with_its_reason(hq: TestClient) -> None:
    bad = event(2, 2).model_copy(update={"payload": {"hq_order_id": "O1"}})
    other = event(3, 0).model_copy(update={"kind": "wave.released", "payload": {"wave": 3}})
    status, body = push(hq, [event(1, 1), bad, other, event(4, 3)])
    assert status == 200
    acks = body["acks"]
    assert [a["status"] for a in acks] == ["applied", "refused", "refused", "applied"]
    assert acks[1]["code"] == "invalid_payload" and "line_no" in acks[1]["detail"]
    assert acks[2]["code"] == "unknown_kind" and "wave.released" in acks[2]["detail"]
    assert hq_picked(hq) == [{"line_no": 1, "picked_qty": 3}]


def test_every_answer_carries_hqs_clock(hq: TestClient) -> None:
    response = hq.get("/v1/feed")  # unsigned: refused, and still it tells the time
    assert response.status_code == 401
    assert abs(float(response.headers[signing.HEADER_HQ_TIME]) - time.time()) < 5


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b'{"events": []}', b'{"events": [{"seq": 0}]}'])
def test_garbage_bodies_get_a_clear_422(hq: TestClient, body: bytes) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "POST", "/v1/events", body, time.time())
    response = hq.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 422 and response.json()["code"] == "invalid_body"
