"""The floor's page shells (pick, sort, load, handoff, supervisor, sign-in) and their service worker.

Shells are public and hold no data: each page signs in through the API and keeps its work in the
device's IndexedDB. The service worker is served from the root so its scope covers `/floor/`, and
its cache name is a hash of the static files, so a new release replaces the cached shells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from edge.api.pages import register_page, render
from edge.pages.i18n import catalog, choose_locale
from edge.settings import Settings

router = APIRouter(tags=["pages"])

#: Page path -> (template, title key); the order is the start page's tile order.
FLOOR_PAGES = {
    "/floor/pick": ("pick.html", "floor.pick.title"),
    "/floor/sort": ("sort.html", "floor.sort.title"),
    "/floor/load": ("load.html", "floor.load.title"),
    "/floor/handoff": ("handoff.html", "floor.handoff.title"),
    "/floor/receive": ("receive.html", "floor.receive.title"),
    "/floor/report": ("report.html", "floor.report.title"),
    "/floor/supervisor": ("supervisor.html", "floor.supervisor.title"),
    "/floor/owner": ("owner.html", "floor.owner.title"),
}
SIGN_IN_PATH = "/floor/signin"
SERVICE_WORKER_PATH = "/sw.js"
PUBLIC_FLOOR_PATHS = frozenset({*FLOOR_PAGES, SIGN_IN_PATH, SERVICE_WORKER_PATH})


def _texts(request: Request) -> dict[str, str]:
    """The catalog entries the page's scripts need (the `floor.` ones) in the caller's language."""
    locale = choose_locale(request.query_params.get("lang"), request.cookies.get("lang"))
    return {key: text for key, text in catalog(locale).items() if key.startswith("floor.")}


def _tomorrow(request: Request) -> dt.date:
    """The usual delivery date to show first: tomorrow in the site's time zone, by the app's clock."""
    settings: Settings = request.app.state.settings
    return request.app.state.clock().astimezone(settings.zone).date() + dt.timedelta(days=1)


#: Planning budgets the supervisor may pick besides the site's own (`route_time_limit_s`, preselected).
PLAN_BUDGETS_S = (10, 30, 60, 120)


def _plan_budgets(settings: Settings) -> list[tuple[float, bool]]:
    """(seconds, whether it is the site's default) for the planning page's choice, shortest first."""
    own = settings.route_time_limit_s
    return [(s, s == own) for s in sorted({*PLAN_BUDGETS_S, own})]


def _page(template: str, title_key: str) -> Callable[[Request], HTMLResponse]:
    def show(request: Request) -> HTMLResponse:
        settings: Settings = request.app.state.settings
        return render(request, template, title_key=title_key, texts=_texts(request),
                      delivery_date=_tomorrow(request).isoformat(), zone=settings.zone.key,
                      plan_budgets=_plan_budgets(settings))

    return show


for _path, (_template, _title) in FLOOR_PAGES.items():
    router.add_api_route(_path, _page(_template, _title), methods=["GET"], response_class=HTMLResponse,
                         name=_template.removesuffix(".html"))
    register_page(_path, _title)
router.add_api_route(SIGN_IN_PATH, _page("signin.html", "floor.signin.title"), methods=["GET"],
                     response_class=HTMLResponse, name="signin")


@cache
def _static_files() -> dict[str, bytes]:
    root = resources.files("edge.pages") / "static"
    return {entry.name: entry.read_bytes() for entry in root.iterdir() if entry.is_file()}


@cache
def service_worker_source() -> str:
    """sw.js with its cache version (hash of the static files and templates) and shell list filled in."""
    files = _static_files()
    digest = hashlib.sha256()
    templates = resources.files("edge.pages") / "templates"
    for name, body in sorted(files.items()) + sorted((e.name, e.read_bytes()) for e in templates.iterdir()
                                                     if e.is_file()):
        digest.update(name.encode() + b"\0" + body)
    shell = [*FLOOR_PAGES, SIGN_IN_PATH] + [f"/static/{name}" for name in sorted(files)
                                            if name.endswith((".js", ".css")) and name != "sw.js"]
    source = files["sw.js"].decode("utf-8")
    return source.replace("__VERSION__", digest.hexdigest()[:16]).replace("__SHELL__", json.dumps(shell))


@router.get(SERVICE_WORKER_PATH, include_in_schema=False)
def service_worker() -> Response:
    return Response(service_worker_source(), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})
