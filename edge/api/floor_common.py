"""Shared pieces of the floor's routers: localised scan answers, batches, and the floor's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel

from edge.domain.floor.messages import message, message_key
from edge.services.floor.errors import FloorError

MAX_BATCH = 500
S = TypeVar("S", bound=BaseModel)


def locale_of(request: Request) -> str:
    """`?lang=en` or an English Accept-Language gives English; the floor's default is zh-CN."""
    lang = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "en" if lang.lower().startswith("en") else "zh-CN"


def localise(answer: dict[str, Any], locale: str) -> dict[str, Any]:
    code = answer["code"]
    return answer | {"message_key": message_key(code), "message": message(code, locale, answer["params"])}


def run_batch(scans: list[S], handle: Callable[[S], dict[str, Any]], locale: str) -> dict[str, Any]:
    """Scans in the order sent, each in its own transaction, one answer each."""
    results = [localise(handle(scan), locale) for scan in scans]
    return {"results": results, "accepted": sum(r["ok"] for r in results),
            "refused": sum(not r["ok"] for r in results), "duplicates": sum(r["duplicate"] for r in results)}


@contextmanager
def floor_errors() -> Iterator[None]:
    """A refused request answers with its status and `{"detail": {"code", "message", ...}}`."""
    try:
        yield
    except FloorError as error:
        raise HTTPException(error.status, error.as_dict()) from None
