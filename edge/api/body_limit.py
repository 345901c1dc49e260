"""A bound on every request body, applied while the bytes arrive and before anything parses them.

Starlette's own limiter answers in plain English text; a PDA's user gets the refusal in their
language, so the bound lives here: a declared length over the limit is refused before a byte is
read, and a body sent without one stops at the limit. Past the limit the app is told the client
left (so nothing reads further) and its answer is replaced by the 413: no exception has to find
its way out through the middlewares in between.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.domain.digits import ascii_digits
from edge.pages.i18n import catalog
from edge.services import photos
from edge.services.floor import handoff

#: A day's order batch from HQ is the one large JSON body; photos (handoff, receiving) the large binaries.
ORDER_BATCH_BYTES = 32 * 1024 * 1024
LARGER_BODIES = {r"/api/v1/orders/batches": ORDER_BATCH_BYTES,
                 r"/api/v1/floor/routes/[^/]+/stops/\d+/photo": handoff.MAX_PHOTO,
                 r"/api/v1/receiving/receipts/\d+/photos": photos.MAX_PHOTO}


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), None)


class BodyLimit:
    """Pure ASGI middleware: `limit` bytes for any path, more for the paths in `larger` (regex -> bytes)."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.larger = [(re.compile(pattern), size) for pattern, size in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((size for pattern, size in self.larger if pattern.fullmatch(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and (not ascii_digits(declared) or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        received, over, started, refused = 0, False, False, False

        async def bounded() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def answer(message: Message) -> None:
            nonlocal started, refused
            if over and not started:
                if not refused:
                    refused = True
                    await self._refuse(scope, send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded, answer)
        except Exception:
            if not over or started:
                raise
        if over and not started and not refused:
            await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        language = _header(scope, b"accept-language") or ""
        locale = "en" if language.lower().startswith("en") else "zh-CN"
        text = catalog(locale)["security.body.too_large"].format(limit=limit)
        body = json.dumps({"detail": text, "code": "security.body.too_large"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
