"""Map the domain's refusals to HTTP answers that say what was wrong and where."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from edge.domain.problems import InputRejected, json_path
from edge.services.auth import AuthError


def install_error_handlers(app: FastAPI) -> None:
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

    @app.exception_handler(AuthError)
    async def _auth(_: Request, error: AuthError) -> JSONResponse:
        if error.retry_after is not None:
            return JSONResponse({"detail": str(error)}, status_code=429,
                                headers={"Retry-After": str(error.retry_after)})
        return JSONResponse({"detail": str(error)}, status_code=401)
