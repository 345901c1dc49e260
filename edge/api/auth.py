"""Sign-in for people on PDAs and phones; machines use their tokens directly.

A page gets its session as an HttpOnly cookie (never in the answer, so no script can read it)
and, for the anti-forgery header, the session's CSRF token; a machine or a script asks for a
bearer token instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from edge.api.deps import (
    ANY_ROLE,
    SESSION_COOKIE,
    NowDep,
    SettingsDep,
    StoreDep,
    bearer_token,
    refusal,
    requires,
    same_site,
)
from edge.domain.auth import Principal
from edge.services import auth

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SignInRequest(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="personal code, typed or scanned")
    pin: str = Field(min_length=1, max_length=16)
    device_id: str | None = Field(default=None, max_length=64)
    session: Literal["cookie", "bearer"] = Field(
        default="cookie", description="cookie: for pages (HttpOnly, token not in the answer); bearer: the token")


def _principal_json(principal: Principal) -> dict[str, str | None]:
    return {"id": principal.subject_id, "kind": principal.kind, "role": principal.role.value,
            "name": principal.name, "store_id": principal.store_id, "device_id": principal.device_id}


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/sign-in")
def sign_in(body: SignInRequest, request: Request, response: Response, store: StoreDep, settings: SettingsDep,
            now: NowDep) -> dict[str, object]:
    if not same_site(request):  # no signing a PDA into someone else's account from another site
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal(request, "security.csrf.cross_site"))
    signed = auth.sign_in(store, body.code, body.pin, now=now, device_id=body.device_id,
                          address=client_address(request), lifetime=dt.timedelta(minutes=settings.session_minutes))
    answer: dict[str, object] = {"expires_at": signed.expires_at.isoformat(), "csrf_token": signed.csrf,
                                 "idle_minutes": settings.session_idle_minutes,
                                 "principal": _principal_json(signed.principal)}
    if body.session == "bearer":
        return answer | {"token": signed.token}
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https", max_age=settings.session_minutes * 60)
    return answer


@router.post("/sign-out", status_code=204)
def sign_out(request: Request, response: Response, store: StoreDep, now: NowDep,
             _: Annotated[Principal, requires(*ANY_ROLE)]) -> None:
    token = bearer_token(request)
    if token:
        auth.sign_out(store, token, now)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


@router.get("/me")
def me(principal: Annotated[Principal, requires(*ANY_ROLE)]) -> dict[str, str | None]:
    return _principal_json(principal)


@router.get("/session")
def session(request: Request, principal: Annotated[Principal, requires(*ANY_ROLE)]) -> dict[str, object]:
    """Who the session is and its anti-forgery token (not a secret on its own): a page that was
    reloaded asks here instead of keeping anything of the session itself."""
    token = bearer_token(request) or ""
    return {"principal": _principal_json(principal), "csrf_token": auth.csrf_token(token)}
