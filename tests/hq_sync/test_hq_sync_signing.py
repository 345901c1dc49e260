"""Per-edge HMAC signatures: unsigned, tampered, stale and replayed requests are refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hq_sync import signing
from hq_sync.reference_hq.app import create_app

EDGE, SECRET = "edge-a", "secret-of-edge-a"
PATH = "/v1/feed?after=0&limit=10"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(tmp_path / "hq.sqlite3", {EDGE: SECRET, "edge-b": "secret-of-edge-b"}, "admin-token")
    with TestClient(app) as client:
        yield client


def get(client: TestClient, headers: dict[str, str], path: str = PATH) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    return response.status_code, response.json().get("code", "")


def test_signed_request_is_answered(hq: TestClient) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time())
    assert get(hq, headers) == (200, "")


def test_unsigned_request_is_refused(hq: TestClient) -> None:
    assert get(hq, {}) == (401, "unsigned")


def test_wrong_secret_and_unknown_edge_are_refused(hq: TestClient) -> None:
    assert get(hq, signing.signed_headers("not-the-secret", EDGE, "GET", PATH, b"", time.time())) == (
        401, "bad_signature")
    assert get(hq, signing.signed_headers(SECRET, "edge-zz", "GET", PATH, b"", time.time())) == (
        401, "unknown_edge")
    # edge-b's valid signature cannot be passed off as edge-a's
    headers = signing.signed_headers("secret-of-edge-b", "edge-b", "GET", PATH, b"", time.time())
    assert get(hq, {**headers, signing.HEADER_EDGE: EDGE}) == (401, "bad_signature")


def test_signature_covers_path_query_and_body(hq: TestClient) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time())
    assert get(hq, headers, "/v1/feed?after=5&limit=10") == (401, "bad_signature")
    body = b'{"hq_order_ids": ["O1"]}'
    headers = signing.signed_headers(SECRET, EDGE, "POST", "/v1/orders/lookup", body, time.time())
    tampered = hq.post("/v1/orders/lookup", content=b'{"hq_order_ids": ["O2"]}', headers=headers)
    assert (tampered.status_code, tampered.json()["code"]) == (401, "bad_signature")
    fresh = signing.signed_headers(SECRET, EDGE, "POST", "/v1/orders/lookup", body, time.time())
    assert hq.post("/v1/orders/lookup", content=body, headers=fresh).status_code == 200


def test_reused_nonce_is_refused(hq: TestClient) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time())
    assert get(hq, headers) == (200, "")
    assert get(hq, headers) == (401, "nonce_reused")


@pytest.mark.parametrize("skew_minutes", [-10, -5, 5, 10])
def test_clock_skew_of_ten_minutes_is_tolerated(hq: TestClient, skew_minutes: int) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time() + skew_minutes * 60)
    assert get(hq, headers) == (200, "")


@pytest.mark.parametrize("skew_minutes", [-16, 16, -600])
def test_old_or_future_timestamp_is_refused(hq: TestClient, skew_minutes: int) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time() + skew_minutes * 60)
    assert get(hq, headers) == (401, "stale_timestamp")


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [(signing.HEADER_TIMESTAMP, "yesterday", "bad_timestamp"), (signing.HEADER_NONCE, "short", "bad_nonce"),
     (signing.HEADER_TIMESTAMP, "9" * 40, "bad_timestamp")],
)
def test_malformed_headers_are_refused_clearly(hq: TestClient, header: str, value: str, code: str) -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time())
    assert get(hq, {**headers, header: value}) == (401, code)


def test_admin_calls_need_the_admin_token(hq: TestClient) -> None:
    assert hq.get("/admin/stats").status_code == 401
    signed = signing.signed_headers(SECRET, EDGE, "GET", "/admin/stats", b"", time.time())
    assert hq.get("/admin/stats", headers=signed).status_code == 401
    assert hq.get("/admin/stats", headers={"Authorization": "Bearer admin-token"}).status_code == 200


def test_a_timestamp_of_non_ascii_digits_is_refused_not_a_crash() -> None:
    headers = signing.signed_headers(SECRET, EDGE, "GET", PATH, b"", time.time())
    with pytest.raises(signing.SignatureRefused) as refused:  # '²' passes str.isdigit, int() refuses it
        signing.verify({EDGE: SECRET}, {**headers, signing.HEADER_TIMESTAMP: "²" * 10}, "GET", PATH, b"", time.time())
    assert refused.value.code == "bad_timestamp"
