"""Health: public on both ports, so a monitor or a PDA can tell the node is up before it trusts the CA."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/api/v1/health")
def health(request: Request) -> dict[str, str]:
    return {"status": "ok", "warehouse_id": request.app.state.settings.warehouse_id}
