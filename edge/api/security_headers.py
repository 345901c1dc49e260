"""Response headers that keep a page to the node's own code: CSP, HSTS, no sniffing, no framing;
and on a page that reached the browser over HTTPS, a marker cookie that the device trusts the site CA.

A browser that loaded a page over HTTPS accepted the certificate, so it has the CA. The marker
(not Secure, so the plain port sees it; no secret in it) lets the plain port send such a device
straight to HTTPS and any other to enrolment rather than to a certificate warning.

A pure ASGI middleware (not BaseHTTPMiddleware), so streamed answers such as the live Brix feed
pass through unbuffered.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Scripts, styles, workers and connections only from the node itself; no inline code, no plugins,
#: no framing. Images may be data:/blob: (photos taken on the page); the camera scanner's video is a
#: MediaStream.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
_IMG_SRC = "img-src 'self' data: blob:;"


def page_policy(img_origins: Sequence[str] = ()) -> str:
    """The policy, with images also allowed from exactly these origins (the site's map tiles)."""
    if not img_origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(_IMG_SRC, f"{_IMG_SRC[:-1]} {' '.join(img_origins)};")


#: One year. Browsers upgrade http://host:PORT to https://host:PORT (the same port) and only port 80
#: to 443, so the header is sent only where the node serves HTTP on 80 and HTTPS on 443: elsewhere an
#: enrolled PDA would be sent to the HTTP port speaking TLS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
TRUSTED_COOKIE = "haolin_ca"
_TRUSTED_MARK = f"{TRUSTED_COOKIE}=1; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax".encode()


def hsts_applies(http_port: int, https_port: int) -> bool:
    return (http_port, https_port) == (80, 443)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool, img_origins: Sequence[str] = ()) -> None:
        self.app = app
        extra = [(b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode())] if hsts else []
        self.headers = [
            (b"content-security-policy", page_policy(img_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            *extra,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower(): value for name, value in headers}
                extra = [h for h in self.headers if h[0] not in present]
                if secure and present.get(b"content-type", b"").startswith(b"text/html"):
                    extra.append((b"set-cookie", _TRUSTED_MARK))
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
