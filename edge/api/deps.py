"""Request-scoped dependencies: the store, the clock, and who is calling with which role.

Every route declares its roles with `requires(...)`; a route without it is public only if it is
listed in `PUBLIC_PATHS`, and a test walks the app to hold every route to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from edge.domain.auth import Principal, Role
from edge.services.auth import authenticate
from edge.settings import Settings
from edge.store import Store

#: Routes anyone may call: liveness, signing in, and page shells that hold no data.
PUBLIC_PATHS = frozenset({"/api/v1/health", "/api/v1/auth/sign-in", "/", "/static",
                          "/floor/signin", "/floor/pick", "/floor/sort", "/floor/load", "/floor/handoff",
                          "/floor/supervisor", "/sw.js", "/brix"})

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


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.cookies.get("haolin_session")


class RoleGuard:
    """Admits a caller whose role is one of `roles`: 401 without valid credentials, 403 for other roles."""

    def __init__(self, roles: frozenset[Role]):
        self.roles = roles

    async def __call__(self, request: Request) -> Principal:
        """A coroutine, so it runs inline: a token check is one indexed read (scrypt is cached)."""
        token = bearer_token(request)
        principal = authenticate(get_store(request), token, get_now(request)) if token else None
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "sign in first: no valid session or token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may not do this (needs {allowed})")
        request.state.principal = principal
        return principal


def requires(*roles: Role) -> Any:
    """Dependency admitting only these roles; its value is the caller's Principal."""
    if not roles:
        raise ValueError("a guarded route needs at least one role")
    return Depends(RoleGuard(frozenset(roles)))


ANY_ROLE = tuple(Role)
