"""A running node swaps in its renewed certificate: new connections get it without a restart."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from pathlib import Path

from cryptography import x509
from fastapi import FastAPI

from edge import runtime, tls
from edge.settings import Settings
from tests.fixtures.browser import _free_socket, serving


def _served_certificate(port: int) -> x509.Certificate:
    """The certificate the server presents (not verified: the renewed one is dated in the test's future)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as conn:
        der = conn.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def test_a_certificate_renewed_while_serving_is_what_new_connections_get(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tls_names=["localhost"])
    now = dt.datetime.now(dt.UTC)
    site = tls.prepare(settings, now)
    loaded = site.cert_file.read_bytes()
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = runtime.https_server(FastAPI(), site, log_level="warning", lifespan="off")
    with serving(server, sock, "renewal"):
        before = _served_certificate(port)
        assert runtime.renew_if_due(server, settings, loaded, now + dt.timedelta(days=10)) == loaded
        renewed = runtime.renew_if_due(server, settings, loaded, now + dt.timedelta(days=330))
        assert renewed != loaded
        after = _served_certificate(port)
    assert after.serial_number != before.serial_number
    assert after == x509.load_pem_x509_certificates(renewed)[0]
