"""The edge node's web application: API routers and the floor's pages."""

from __future__ import annotations

from fastapi import FastAPI

from edge.api import (
    aggregation,
    auth,
    brix,
    coldchain,
    devices,
    enrolment,
    floor,
    floor_pages,
    floor_routes,
    floor_sort,
    health,
    metrics,
    orders,
    pages,
    people,
    purchasing,
    receiving,
    reports,
    sync,
    uplink,
)
from edge.api.body_limit import LARGER_BODIES, BodyLimit
from edge.api.deps import Clock, utc_now
from edge.api.errors import install_error_handlers
from edge.api.security_headers import SecurityHeaders, hsts_applies
from edge.services.device_runtime import lifespan
from edge.settings import Settings
from edge.site.node import node_site
from edge.store import Store


def create_app(settings: Settings, store: Store | None = None, clock: Clock = utc_now) -> FastAPI:
    """The app over one store; tests pass their own store and clock."""
    app = FastAPI(title="Haolin Edge", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store or Store(settings.database_path)
    app.state.clock = clock
    app.state.site = node_site(settings)  # a bad site file stops the start here (SiteFileError)
    install_error_handlers(app)
    metrics.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, larger=LARGER_BODIES)
    tiles = app.state.site.document.map if app.state.site is not None else None
    app.add_middleware(SecurityHeaders, hsts=hsts_applies(settings.http_port, settings.https_port),
                       img_origins=tiles.origins if tiles is not None else ())

    routers = (auth, orders, aggregation, devices, floor, floor_sort, floor_routes, floor_pages, coldchain, brix,
               uplink, sync, enrolment, people, purchasing, receiving, reports, metrics, health, pages)
    for module in routers:
        app.include_router(module.router)
    pages.mount_static(app)
    return app
