"""Page shells and the start page that links to each user's page.

Pages hold no data (the API does, behind sign-in), so the shells are public. Each feature's
router registers its page with `register_page` and the start page lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from edge.pages.i18n import LOCALES, choose_locale, translator

router = APIRouter(tags=["pages"])
templates = Environment(loader=PackageLoader("edge.pages", "templates"), autoescape=select_autoescape())


@dataclass(frozen=True)
class PageLink:
    path: str
    title_key: str


_pages: list[PageLink] = []


def register_page(path: str, title_key: str) -> None:
    if all(p.path != path for p in _pages):
        _pages.append(PageLink(path, title_key))


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render a page in the caller's language (remembered in a cookie once chosen)."""
    locale = choose_locale(request.query_params.get("lang"), request.cookies.get("lang"))
    other = next(code for code in LOCALES if code != locale)
    html = templates.get_template(template).render(
        locale=locale, other_locale=other, t=translator(locale), **context
    )
    response = HTMLResponse(html)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie("lang", locale, samesite="lax", max_age=365 * 86400)
    return response


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return render(request, "index.html", pages=_pages, warehouse_id=request.app.state.settings.warehouse_id)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(resources.files("edge.pages") / "static")), name="static")
