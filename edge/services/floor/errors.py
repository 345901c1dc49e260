"""The floor's one exception tree: what the caller did wrong, never retryable as is."""

from __future__ import annotations

from typing import Any


class FloorError(Exception):
    """A request the floor refuses whole; `code` is stable, `status` the HTTP answer, `extra` detail."""

    status = 409

    def __init__(self, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.code = code
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self), **self.extra}


class NotFound(FloorError):
    status = 404


class Forbidden(FloorError):
    status = 403


class Unauthorised(FloorError):
    status = 401
