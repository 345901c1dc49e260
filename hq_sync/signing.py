"""HMAC request signing per edge: method, path, body hash, timestamp and nonce.

The signature covers everything a replay or tamper would change. The verifier refuses
timestamps outside the tolerance window (either direction: clocks drift both ways) and nonces it
has seen inside that window, so a captured request cannot be sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER_EDGE = "X-Haolin-Edge"
HEADER_TIMESTAMP = "X-Haolin-Timestamp"
HEADER_NONCE = "X-Haolin-Nonce"
HEADER_SIGNATURE = "X-Haolin-Signature"
#: On every answer from HQ, refusals included: HQ's clock (unix seconds), so an edge can measure its skew.
HEADER_HQ_TIME = "X-Haolin-Hq-Time"

#: Clock skew accepted between edge and HQ. +-10 min must work, so the window is a little wider.
TOLERANCE_SECONDS = 15 * 60


def canonical(method: str, path: str, body: bytes, timestamp: int, nonce: str, edge_id: str) -> bytes:
    """The exact bytes that are signed; `path` includes the query string."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, body_hash, str(timestamp), nonce, edge_id]).encode()


def sign(secret: str, method: str, path: str, body: bytes, timestamp: int, nonce: str, edge_id: str) -> str:
    message = canonical(method, path, body, timestamp, nonce, edge_id)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, edge_id: str, method: str, path: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = int(now)
    nonce = secrets.token_hex(16)
    return {
        HEADER_EDGE: edge_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret, method, path, body, timestamp, nonce, edge_id),
    }


class SignatureRefused(Exception):
    """Why a request's credentials were refused; `code` is machine-readable."""

    def __init__(self, code: str, detail: str):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


def verify(
    secrets_by_edge: dict[str, str],
    headers: dict[str, str],
    method: str,
    path: str,
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> tuple[str, str, int]:
    """Check a request's signature and freshness; returns (edge id, nonce, timestamp).

    The caller must still refuse a nonce it has seen (it owns the nonce store).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    fields = [lower.get(h.lower()) for h in (HEADER_EDGE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)]
    edge_id, stamp, nonce, signature = fields
    if edge_id is None or stamp is None or nonce is None or signature is None:
        raise SignatureRefused("unsigned", "request lacks the X-Haolin-Edge/Timestamp/Nonce/Signature headers")
    secret = secrets_by_edge.get(edge_id)
    if secret is None:
        raise SignatureRefused("unknown_edge", f"edge {edge_id!r} has no credentials here")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:  # int() refuses "²"
        raise SignatureRefused("bad_timestamp", f"timestamp {stamp[:20]!r} is not unix seconds")
    if not 16 <= len(nonce) <= 64:
        raise SignatureRefused("bad_nonce", "nonce must be 16-64 characters")
    timestamp = int(stamp)
    expected = sign(secret, method, path, body, timestamp, nonce, edge_id)
    if not hmac.compare_digest(expected, signature):
        raise SignatureRefused("bad_signature", "signature does not match method, path, body and headers")
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused(
            "stale_timestamp",
            f"timestamp is {int(now - timestamp)} s from HQ's clock ({HEADER_HQ_TIME} of this answer);"
            f" more than {tolerance} s is refused",
        )
    return edge_id, nonce, timestamp
