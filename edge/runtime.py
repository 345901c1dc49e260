"""Run the node under uvicorn: the app over HTTPS, enrolment on plain HTTP, telling systemd when
both are ready and that they are alive, and swapping in a renewed certificate without a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sdnotify
import uvicorn
from fastapi import FastAPI

from edge import tls
from edge.api.enrolment import origin
from edge.settings import Settings

log = logging.getLogger(__name__)
#: How often a running node checks whether its server certificate is due (renewal, changed names).
RENEWAL_CHECK_S = 6 * 3600


class StartupRefused(RuntimeError):
    """The node cannot start; the message is one line naming what and where."""


@dataclass
class Listeners:
    """Both ports bound before anything is stored or served, so a port in use refuses the start."""

    https: socket.socket
    http: socket.socket

    def close(self) -> None:
        self.https.close()
        self.http.close()


def bind(host: str, port: int, setting: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise StartupRefused(f"{setting} {port}: cannot listen on {host}:{port} ({error.strerror or error})") from None
    return sock


def listen(settings: Settings) -> Listeners:
    https = bind(settings.http_host, settings.https_port, "https_port")
    try:
        return Listeners(https, bind(settings.http_host, settings.http_port, "http_port"))
    except StartupRefused:
        https.close()
        raise


#: A PDA keeping a TLS connection alive must not hold up a stop (systemd allows 20 s).
_DEFAULTS: dict[str, Any] = {"log_level": "info", "access_log": False, "timeout_graceful_shutdown": 5}


def https_server(app: FastAPI, site: tls.SiteTls, **options: Any) -> uvicorn.Server:
    """uvicorn serving `app` with the site's certificate; `options` as uvicorn.Config takes them."""
    return uvicorn.Server(uvicorn.Config(app, ssl_certfile=str(site.cert_file), ssl_keyfile=str(site.key_file),
                                         **{**_DEFAULTS, **options}))


def plain_server(app: FastAPI, **options: Any) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, **{**_DEFAULTS, "lifespan": "off", **options}))


def renew_if_due(server: uvicorn.Server, settings: Settings, loaded: bytes, now: dt.datetime) -> bytes:
    """Reissue the certificate if due and load it into the live TLS context, where new connections
    get it; returns the certificate chain now served."""
    site = tls.prepare(settings, now)
    current = site.cert_file.read_bytes()
    if current != loaded and server.config.ssl is not None:
        server.config.ssl.load_cert_chain(str(site.cert_file), str(site.key_file))
    return current


def _keep_renewing(server: uvicorn.Server, settings: Settings, site: tls.SiteTls) -> None:
    loaded = site.cert_file.read_bytes()
    while not server.should_exit:
        for _ in range(RENEWAL_CHECK_S * 10):
            if server.should_exit:
                return
            time.sleep(0.1)
        try:
            loaded = renew_if_due(server, settings, loaded, dt.datetime.now(dt.UTC))
        except (tls.TlsError, OSError) as error:  # keep serving the current one; try again next time
            log.error("TLS certificate not renewed: %s", error)


def _notify_systemd(servers: list[uvicorn.Server]) -> None:
    """READY=1 once both listen, then WATCHDOG=1 at half the watchdog interval while they serve."""
    notifier = sdnotify.SystemdNotifier()
    while not all(s.started for s in servers):
        if any(s.should_exit for s in servers):
            return
        time.sleep(0.05)
    notifier.notify("READY=1")
    interval_us = int(os.environ.get("WATCHDOG_USEC", "0"))
    while interval_us and not servers[0].should_exit:
        notifier.notify("WATCHDOG=1")
        time.sleep(interval_us / 2_000_000)


def _thread(target: Callable[..., None], *args: object, name: str) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True, name=name)
    thread.start()
    return thread


def serve(app: FastAPI, plain_app: FastAPI, settings: Settings, site: tls.SiteTls, listeners: Listeners) -> None:
    """HTTPS in the main thread (it owns the signals), plain HTTP beside it; both stop together."""
    secure, plain = https_server(app, site), plain_server(plain_app)
    plain_thread = _thread(plain.run, [listeners.http], name="plain-http")
    if os.environ.get("NOTIFY_SOCKET"):
        _thread(_notify_systemd, [secure, plain], name="sd-notify")
    _thread(_keep_renewing, secure, settings, site, name="tls-renewal")
    try:
        secure.run(sockets=[listeners.https])
    finally:
        plain.should_exit = True
        plain_thread.join(10)
        listeners.close()


def prepare(settings: Settings) -> tuple[tls.SiteTls, Listeners]:
    """Certificate ready and both ports bound, or StartupRefused before anything is stored."""
    try:
        site = tls.prepare(settings, dt.datetime.now(dt.UTC))
    except tls.TlsError as error:
        raise StartupRefused(str(error)) from None
    return site, listen(settings)


def addresses(settings: Settings, site: tls.SiteTls) -> list[tuple[str, str]]:
    """Where a browser opens the node over HTTPS and its enrolment page: at each certified name where
    the node listens on all addresses, else at the one it listens on."""
    everywhere = settings.http_host in ("0.0.0.0", "::", "")
    hosts = list(site.names) if everywhere else [settings.http_host]
    return [(origin("https", h, settings.https_port), origin("http", h, settings.http_port) + "/enrol") for h in hosts]
