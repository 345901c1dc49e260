"""HTTP client for HQ's side of the protocol: signs every request, maps failures onto `errors`."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from hq_sync import errors
from hq_sync.protocol import (
    DigestLeaves,
    DigestLeavesRequest,
    DigestNodes,
    DigestNodesRequest,
    EventAcks,
    EventBatch,
    FeedPage,
    FulfillmentRepair,
    OrdersFound,
    OrdersLookup,
    RepairAck,
)
from hq_sync.signing import HEADER_HQ_TIME, signed_headers

M = TypeVar("M", bound=BaseModel)

#: The largest clock skew the client corrects for when signing; beyond it a human should fix the clock.
MAX_CLOCK_CORRECTION = 3600.0


class HqClient:
    """One edge's signed connection to HQ. `bytes_sent`/`bytes_received` count bodies for the bench.

    Every answer carries HQ's clock; `skew` is HQ's clock minus ours, measured at the middle of the
    last round trip. Requests are signed with our clock corrected by it, up to `max_clock_correction`.
    """

    def __init__(
        self,
        base_url: str,
        edge_id: str,
        secret: str,
        *,
        timeout: float = 10.0,
        verify: bool | ssl.SSLContext = True,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        max_clock_correction: float = MAX_CLOCK_CORRECTION,
    ):
        self.edge_id = edge_id
        self._secret = secret
        self._clock = clock
        self.max_clock_correction = max_clock_correction
        self.skew: float | None = None
        self._http = httpx.Client(base_url=base_url, timeout=timeout, verify=verify, transport=transport)
        self.bytes_sent = 0
        self.bytes_received = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HqClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def signing_time(self) -> float:
        """Our clock, corrected by the measured skew while that is within the bound."""
        skew = self.skew or 0.0
        return self._clock() + (skew if abs(skew) <= self.max_clock_correction else 0.0)

    def request(self, method: str, path: str, body: bytes = b"") -> httpx.Response:
        """Send one signed request; raise `Retryable` for link/5xx trouble, `Refused` for 4xx.

        The signature covers the path as sent (an HQ address may carry a path of its own). A
        `stale_timestamp` refusal is retried once at once when its answer showed a skew we correct.
        """
        response = self._send(method, path, body)
        if response.status_code == 401 and _error_body(response)[0] == "stale_timestamp" and self._correctable():
            response = self._send(method, path, body)
        self.bytes_sent += len(body)
        self.bytes_received += len(response.content)
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.HqUnavailable(f"{method} {path}: HQ answered {response.status_code}")
        if response.status_code >= 400:
            code, detail = _error_body(response)
            if code == "stale_timestamp":
                detail += f" (HQ's clock is {self.skew:+.0f} s from ours; we correct up to"  \
                          f" {self.max_clock_correction:.0f} s: set this node's clock)"
            kind = errors.AuthRefused if response.status_code == 401 else errors.Refused
            raise kind(response.status_code, code, detail)
        return response

    def _correctable(self) -> bool:
        return self.skew is not None and abs(self.skew) <= self.max_clock_correction

    def _send(self, method: str, path: str, body: bytes) -> httpx.Response:
        request = self._http.build_request(
            method, path, content=body, headers={"Content-Type": "application/json"} if body else None
        )
        sent_path = request.url.raw_path.decode("ascii")
        request.headers.update(signed_headers(self._secret, self.edge_id, method, sent_path, body, self.signing_time()))
        started = self._clock()
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as error:
            raise errors.HqTimeout(f"{method} {path}: no answer in time ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise errors.LinkDown(f"{method} {path}: {type(error).__name__}: {error}") from error
        stamp = response.headers.get(HEADER_HQ_TIME)
        if stamp is not None:
            with suppress(ValueError):  # not a number: no clock to learn from this answer
                self.skew = float(stamp) - (started + self._clock()) / 2
        return response

    def _call(self, method: str, path: str, model: type[M], payload: BaseModel | None = None) -> M:
        body = payload.model_dump_json().encode() if payload is not None else b""
        response = self.request(method, path, body)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise errors.ProtocolViolation(f"{method} {path}: answer is not a {model.__name__}: {error}") from None

    def feed(self, after: int, limit: int) -> FeedPage:
        return self._call("GET", f"/v1/feed?after={after}&limit={limit}", FeedPage)

    def push(self, batch: EventBatch) -> EventAcks:
        return self._call("POST", "/v1/events", EventAcks, batch)

    def digest_nodes(self, request: DigestNodesRequest) -> DigestNodes:
        return self._call("POST", "/v1/digest/nodes", DigestNodes, request)

    def digest_leaves(self, request: DigestLeavesRequest) -> DigestLeaves:
        return self._call("POST", "/v1/digest/leaves", DigestLeaves, request)

    def lookup_orders(self, request: OrdersLookup) -> OrdersFound:
        return self._call("POST", "/v1/orders/lookup", OrdersFound, request)

    def repair_fulfillment(self, repair: FulfillmentRepair) -> RepairAck:
        return self._call("POST", "/v1/fulfillment/repair", RepairAck, repair)


def _error_body(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
        return str(data.get("code", "refused")), str(data.get("detail", ""))
    except ValueError:
        return "refused", response.text[:200]
