"""Sign-in for people on PDAs and phones; machines use their tokens directly."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from edge.api.deps import ANY_ROLE, NowDep, SettingsDep, StoreDep, bearer_token, requires
from edge.domain.auth import Principal
from edge.services import auth

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SignInRequest(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="personal code, typed or scanned")
    pin: str = Field(min_length=1, max_length=16)
    device_id: str | None = Field(default=None, max_length=64)


def _principal_json(principal: Principal) -> dict[str, str | None]:
    return {"id": principal.subject_id, "kind": principal.kind, "role": principal.role.value,
            "name": principal.name, "store_id": principal.store_id, "device_id": principal.device_id}


@router.post("/sign-in")
def sign_in(body: SignInRequest, response: Response, store: StoreDep, settings: SettingsDep,
            now: NowDep) -> dict[str, object]:
    signed = auth.sign_in(store, body.code, body.pin, now=now, device_id=body.device_id,
                          lifetime=dt.timedelta(minutes=settings.session_minutes))
    response.set_cookie("haolin_session", signed.token, httponly=True, samesite="strict",
                        max_age=settings.session_minutes * 60)
    return {"token": signed.token, "expires_at": signed.expires_at.isoformat(),
            "principal": _principal_json(signed.principal)}


@router.post("/sign-out", status_code=204)
def sign_out(request: Request, response: Response, store: StoreDep, now: NowDep,
             _: Annotated[Principal, requires(*ANY_ROLE)]) -> None:
    token = bearer_token(request)
    if token:
        auth.sign_out(store, token, now)
    response.delete_cookie("haolin_session")


@router.get("/me")
def me(principal: Annotated[Principal, requires(*ANY_ROLE)]) -> dict[str, str | None]:
    return _principal_json(principal)
