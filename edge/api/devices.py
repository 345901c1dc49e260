"""Live device status for the supervisor: online or unavailable with the reason, and counters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from edge.api.deps import NowDep, StoreDep, requires
from edge.domain.auth import Principal, Role
from edge.services.device_status import load_statuses

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.get("")
def list_devices(store: StoreDep, now: NowDep,
                 _: Annotated[Principal, requires(Role.SUPERVISOR, Role.HQ)]) -> list[dict[str, Any]]:
    return load_statuses(store, now)
