"""Request-scoped dependencies: the store, the clock, and who is calling with which role.

Every route declares its roles with `requires(...)`; a route without it is public only if it is
listed in `PUBLIC_PATHS`, and a test walks the app to hold every route to that. Pages carry the
session in an HttpOnly cookie, so every state change made with it is checked against forgery.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from edge.api.floor_common import locale_of
from edge.domain.auth import Principal, Role
from edge.pages.i18n import catalog
from edge.services.auth import authenticate, csrf_token, touch
from edge.settings import Settings
from edge.store import Store

#: Routes anyone may call: liveness, signing in, page shells that hold no data, and CA enrolment.
PUBLIC_PATHS = frozenset({"/api/v1/health", "/api/v1/auth/sign-in", "/", "/static",
                          "/floor/signin", "/floor/pick", "/floor/sort", "/floor/load", "/floor/handoff",
                          "/floor/supervisor", "/floor/receive", "/floor/report", "/floor/owner", "/sw.js", "/brix",
                          "/enrol", "/enrol/qr.svg", "/ca.crt", "/ca.pem"})

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_now(request: Request) -> dt.datetime:
    clock: Clock = request.app.state.clock
    return clock()


# FastAPI runs a plain `def` dependency in its thread pool: a hop per dependency per request,
# which at 200 scans/s costs more than the scan itself. These only read app state, so they are
# coroutines and run inline.
async def _store_dep(request: Request) -> Store:
    return get_store(request)


async def _settings_dep(request: Request) -> Settings:
    return get_settings(request)


async def _now_dep(request: Request) -> dt.datetime:
    return get_now(request)


StoreDep = Annotated[Store, Depends(_store_dep)]
SettingsDep = Annotated[Settings, Depends(_settings_dep)]
NowDep = Annotated[dt.datetime, Depends(_now_dep)]


SESSION_COOKIE = "haolin_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_header(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_token(request: Request) -> str | None:
    """The caller's token: a machine's (or a test's) bearer header, else the page's session cookie."""
    return _bearer_header(request) or request.cookies.get(SESSION_COOKIE)


def refusal(request: Request, key: str, **params: object) -> str:
    """A refusal's text in the caller's language, from the `security.*` catalog entries."""
    return catalog(locale_of(request)).get(key, key).format(**params)


def same_site(request: Request) -> bool:
    """False for a request a browser says came from another site (Sec-Fetch-Site, else Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_csrf(request: Request, token: str) -> None:
    """A state change made with the session cookie must come from our own page: same origin, and the
    session's anti-forgery header, which another site can neither read nor send."""
    if request.method in SAFE_METHODS or _bearer_header(request) is not None:
        return
    if not same_site(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal(request, "security.csrf.cross_site"))
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf_token(token)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal(request, "security.csrf.token"))


class RoleGuard:
    """Admits a caller whose role is one of `roles`: 401 without valid credentials, 403 for other roles."""

    def __init__(self, roles: frozenset[Role]):
        self.roles = roles

    async def __call__(self, request: Request) -> Principal:
        """A coroutine, so it runs inline: a token check is one indexed read (scrypt is cached)."""
        token = bearer_token(request)
        store, now = get_store(request), get_now(request)
        idle = dt.timedelta(minutes=get_settings(request).session_idle_minutes)
        caller = authenticate(store, token, now, idle) if token else None
        if caller is None or token is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, refusal(request, "security.auth.sign_in_first"),
                                headers={"WWW-Authenticate": "Bearer"})
        principal = caller.principal
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                refusal(request, "security.auth.wrong_role", role=principal.role, allowed=allowed))
        check_csrf(request, token)
        if caller.touch_due and principal.session_id:
            await run_in_threadpool(touch, store, principal.session_id, now)
        request.state.principal = principal
        return principal


def requires(*roles: Role) -> Any:
    """Dependency admitting only these roles; its value is the caller's Principal."""
    if not roles:
        raise ValueError("a guarded route needs at least one role")
    return Depends(RoleGuard(frozenset(roles)))


ANY_ROLE = tuple(Role)
