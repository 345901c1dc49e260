"""`/metrics` for Prometheus, behind the same tokens as the API: an HQ machine token (a scraper
sends it as a bearer token) or a supervisor. A LAN is shared with PDAs and guests; stock levels,
devices and alarms are not for anyone who can reach the port."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.api.deps import requires
from edge.domain.auth import Principal, Role
from edge.services.metrics import node_registry

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
def metrics(request: Request, _: Annotated[Principal, requires(Role.HQ, Role.SUPERVISOR)]) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """The app's registry, and a middleware timing every request by its route template."""
    registry, http = node_registry(app.state.store, app.state.clock)
    app.state.metrics = registry

    @app.middleware("http")
    async def _timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        http.labels(request.method, route, f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
        return response
