"""The HQ uplink inside the app: its publisher runs while the app serves; its queue is visible."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, FastAPI

from edge.api.deps import SettingsDep, StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services import uplink_spool
from edge.services.uplink import UplinkPublisher
from edge.settings import Settings


@contextlib.asynccontextmanager
async def uplink_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if not settings.uplink.enabled:
        yield
        return
    publisher = UplinkPublisher(app.state.store, settings.uplink, edge_id=settings.hq_edge_id,
                                warehouse_id=settings.warehouse_id, clock=app.state.clock)
    publisher.start()
    app.state.uplink = publisher
    try:
        yield
    finally:
        publisher.stop()


router = APIRouter(prefix="/api/v1/uplink", tags=["uplink"], lifespan=uplink_lifespan)


@router.get("/status")
def status(store: StoreDep, settings: SettingsDep,
           _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]) -> dict[str, object]:
    """Queue depth and bytes against the disk budget, what was evicted, and the link's state."""
    return uplink_spool.status(store, settings.uplink.budget_bytes).to_json()
