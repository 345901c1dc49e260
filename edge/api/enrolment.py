"""Enrolment: how a PDA comes to trust the site CA, and the plain-HTTP side of the node.

The HTTP port is where a new PDA starts, before it trusts anything: it serves only the
enrolment page (what the CA is, its fingerprint, a QR code of the download address, how to
install it by hand or by MDM), the CA itself (`/ca.crt` DER for Android, `/ca.pem`) and health.
Everything else there redirects to the same place over HTTPS, so no PIN or token crosses the
Wi-Fi in clear. The HTTPS app serves the same page, which floor pages lead to when a browser
finds itself outside a secure context.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from urllib.parse import urlencode

import qrcode
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from qrcode.image.svg import SvgPathImage

from edge import tls
from edge.api import health
from edge.api.pages import render
from edge.api.security_headers import TRUSTED_COOKIE, SecurityHeaders
from edge.settings import Settings

router = APIRouter(tags=["enrolment"])
CA_FILE_NAME = "haolin-site-ca"
#: The stylesheets and script the enrolment page itself loads, the only static files on plain HTTP.
PLAIN_STATIC = ("app.css", "enrol.css", "secure-context.js")


def _ca(request: Request) -> x509.Certificate:
    """The CA devices install; read once per app (it changes only with a new site CA or own certificate)."""
    state = request.app.state
    if getattr(state, "enrolment_ca", None) is None:
        state.enrolment_ca = tls.enrolment_ca(state.settings, dt.datetime.now(dt.UTC))
    certificate: x509.Certificate = state.enrolment_ca
    return certificate


def origin(scheme: str, host: str, port: int) -> str:
    """`scheme://host[:port]`, the port left out where it is the scheme's own, IPv6 in brackets."""
    bracketed = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{bracketed}" + ("" if port == default else f":{port}")


def _host(request: Request) -> str:
    return request.url.hostname or request.app.state.settings.http_host


def https_url(request: Request, path: str) -> str:
    """The same host and `path` on the node's HTTPS port."""
    return origin("https", _host(request), request.app.state.settings.https_port) + path


def download_url(request: Request) -> str:
    """Where a PDA's camera fetches the CA: the plain port, at the name this page was opened by."""
    return origin("http", _host(request), request.app.state.settings.http_port) + "/ca.crt"


@router.get("/enrol", response_class=HTMLResponse)
def enrol_page(request: Request) -> HTMLResponse:
    ca = _ca(request)
    wanted = request.query_params.get("next") or "/"
    next_path = wanted if wanted.startswith("/") and not wanted.startswith("//") else "/"
    return render(request, "enrol.html", fingerprint=tls.fingerprint(ca), ca_name=ca.subject.rfc4514_string(),
                  ca_until=f"{ca.not_valid_after_utc:%Y-%m-%d}", download=download_url(request),
                  secure_url=https_url(request, next_path))


@router.get("/ca.crt")
def ca_der(request: Request) -> Response:
    """DER, as Android's "install a certificate" and MDM consoles take it."""
    return Response(_ca(request).public_bytes(serialization.Encoding.DER), media_type="application/x-x509-ca-cert",
                    headers={"Content-Disposition": f'attachment; filename="{CA_FILE_NAME}.crt"'})


@router.get("/ca.pem")
def ca_pem(request: Request) -> Response:
    return Response(_ca(request).public_bytes(serialization.Encoding.PEM), media_type="application/x-pem-file",
                    headers={"Content-Disposition": f'attachment; filename="{CA_FILE_NAME}.pem"'})


@router.get("/enrol/qr.svg")
def download_qr(request: Request) -> Response:
    """The download address as a QR code a PDA's camera opens, drawn here (no outside service)."""
    image = qrcode.make(download_url(request), image_factory=SvgPathImage, border=2)
    return Response(image.to_string(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _to_https(request: Request) -> Response:
    """The same request over HTTPS; a page opened on a device without the CA goes to enrolment first."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    navigation = request.method == "GET" and (request.headers.get("sec-fetch-mode") == "navigate"
                                              or "text/html" in request.headers.get("accept", ""))
    if navigation and TRUSTED_COOKIE not in request.cookies:
        return RedirectResponse("/enrol?" + urlencode({"next": target}), status_code=307)
    return RedirectResponse(https_url(request, target), status_code=308)


def create_plain_http_app(settings: Settings) -> FastAPI:
    """What the HTTP port serves: enrolment, the CA, health; a redirect to HTTPS for anything else."""
    app = FastAPI(title="Haolin Edge enrolment", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.add_middleware(SecurityHeaders, hsts=False)
    app.include_router(router)
    app.include_router(health.router)
    static = resources.files("edge.pages") / "static"

    @app.get("/")
    def start() -> RedirectResponse:
        return RedirectResponse("/enrol", status_code=307)

    @app.get("/static/{name}")
    def plain_static(name: str, request: Request) -> Response:
        return FileResponse(str(static / name)) if name in PLAIN_STATIC else _to_https(request)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def everything_else(path: str, request: Request) -> Response:
        return _to_https(request)

    return app

