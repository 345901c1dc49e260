"""Shared pieces of the floor's routers: localised scan answers, batches, and the floor's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from edge.domain.floor.messages import message_key
from edge.pages.i18n import catalog
from edge.services.floor.errors import FloorError

MAX_BATCH = 500
S = TypeVar("S", bound=BaseModel)


def locale_of(request: Request) -> str:
    """`?lang=en` or an English Accept-Language gives English; the floor's default is zh-CN."""
    lang = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "en" if lang.lower().startswith("en") else "zh-CN"


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def explain(key: str, params: dict[str, Any], locale: str) -> str:
    """The catalog text for `key` with `params` filled in, as the pages' floor.js `explain` does:
    `<name>_zh`/`<name>_en` give `<name>` in the locale, `*_class` values are temperature classes,
    and a `reason_code` becomes `{reason}` from `floor.reason.<code>`."""
    texts = catalog(locale)
    suffix = "_en" if locale == "en" else "_zh"
    values = _Blank(params)
    values.update({k[:-3]: v for k, v in params.items() if k.endswith(suffix)})
    values.update({k: texts.get(f"floor.temp.{v}", v) for k, v in params.items() if k.endswith("_class")})
    if "reason_code" in params:
        values["reason"] = texts.get(f"floor.reason.{params['reason_code']}", "").format_map(values)
    return texts.get(key, key).format_map(values)


def localise(answer: dict[str, Any], locale: str) -> dict[str, Any]:
    key = message_key(answer["code"])
    return answer | {"message_key": key, "message": explain(key, answer["params"], locale)}


def run_batch(scans: list[S], handle: Callable[[S], dict[str, Any]], locale: str) -> dict[str, Any]:
    """Scans in the order sent, each in its own transaction, one answer each."""
    results = [localise(handle(scan), locale) for scan in scans]
    return {"results": results, "accepted": sum(r["ok"] for r in results),
            "refused": sum(not r["ok"] for r in results), "duplicates": sum(r["duplicate"] for r in results)}


class FloorRefusal(HTTPException):
    """A refused request on its way out; `floor_refusal` renders it in the caller's language."""

    def __init__(self, error: FloorError):
        super().__init__(error.status, error.as_dict())
        self.error = error


@contextmanager
def floor_errors() -> Iterator[None]:
    """A refused request answers with its status and `{"detail": {"code", "message", "message_key", ...}}`."""
    try:
        yield
    except FloorError as error:
        raise FloorRefusal(error) from None


def floor_refusal(request: Request, refusal: Exception) -> JSONResponse:
    """The exception handler for FloorRefusal: the message from `floor.error.<code>` in the caller's
    language (English keeps the service's own, more detailed sentence)."""
    assert isinstance(refusal, FloorRefusal)
    error, locale = refusal.error, locale_of(request)
    key = f"floor.error.{error.code}"
    detail = error.as_dict() | {"message_key": key}
    if locale != "en":
        detail["message"] = explain(key, {"n": len(error.extra.get("missing", [])), **error.extra}, locale)
    return JSONResponse({"detail": detail}, status_code=error.status)
