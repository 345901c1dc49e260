"""The supervisor's people desk: who has open sessions, a new PIN, and signing someone out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from edge.api.deps import NowDep, StoreDep, refusal, requires
from edge.domain.auth import NEW_PIN_DIGITS, Principal, Role, valid_pin
from edge.services import auth

router = APIRouter(prefix="/api/v1/people", tags=["people"])
Supervisor = Annotated[Principal, requires(Role.SUPERVISOR)]


class PinRequest(BaseModel):
    # No length bounds here: every wrong PIN, empty too, gets `valid_pin`'s refusal in the caller's language.
    pin: str = Field(description=f"{NEW_PIN_DIGITS} to 8 digits")


@router.get("")
def people(store: StoreDep, now: NowDep, _: Supervisor) -> list[dict[str, Any]]:
    return auth.open_sessions(store, now)


@router.post("/{person_id}/pin")
def set_pin(person_id: str, body: PinRequest, request: Request, store: StoreDep, now: NowDep,
            who: Supervisor) -> dict[str, Any]:
    """A new PIN (the person's sessions end, a lock is lifted)."""
    if not valid_pin(body.pin, NEW_PIN_DIGITS):
        raise HTTPException(422, refusal(request, "security.pin.format", digits=NEW_PIN_DIGITS))
    try:
        ended = auth.change_pin(store, person_id, body.pin, actor=who.actor, now=now)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, refusal(request, "security.people.unknown",
                                                              person_id=person_id)) from None
    return {"person_id": person_id, "sessions_ended": ended}


@router.post("/{person_id}/revoke")
def revoke(person_id: str, request: Request, store: StoreDep, now: NowDep, who: Supervisor) -> dict[str, Any]:
    """End every session of the person, on every device."""
    try:
        ended = auth.revoke_sessions(store, person_id, actor=who.actor, now=now)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, refusal(request, "security.people.unknown",
                                                              person_id=person_id)) from None
    return {"person_id": person_id, "sessions_ended": ended}
