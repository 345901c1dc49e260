"""Map the domain's refusals to HTTP answers that say what was wrong and where."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from edge.api.deps import refusal
from edge.api.floor_common import FloorRefusal, floor_refusal
from edge.domain.problems import InputRejected, json_path
from edge.services.auth import AuthError
from edge.store.db import DiskLow


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FloorRefusal, floor_refusal)

    @app.exception_handler(InputRejected)
    async def _rejected(_: Request, error: InputRejected) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error).split(":")[0], "problems": [p.as_dict() for p in error.problems]},
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [{"path": json_path([p for p in e["loc"] if p != "body"]), "message": e["msg"]}
                    for e in error.errors()]
        return JSONResponse({"detail": "request refused", "problems": problems}, status_code=422)

    @app.exception_handler(DiskLow)
    async def _disk_low(request: Request, error: DiskLow) -> JSONResponse:
        detail = refusal(request, "store.disk_low", free=error.free // 1_048_576, needed=error.needed // 1_048_576)
        return JSONResponse({"detail": detail, "code": "disk_low"}, status_code=503)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, error: AuthError) -> JSONResponse:
        detail = {"detail": refusal(request, error.key, **error.params), "code": error.key}
        if error.retry_after is not None:
            return JSONResponse(detail, status_code=429, headers={"Retry-After": str(error.retry_after)})
        return JSONResponse(detail, status_code=401)
