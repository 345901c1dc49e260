"""The plain HTTP port: enrolment, the CA files and health, and a redirect to HTTPS for the rest;
the headers that keep pages to the node's own code; a node that cannot serve refuses to start."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from edge import tls
from edge.api.app import create_app
from edge.api.enrolment import create_plain_http_app
from edge.api.security_headers import CONTENT_SECURITY_POLICY
from edge.settings import Settings
from tests.fixtures.edge import EdgeNode


@pytest.fixture
def plain(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path, http_port=8080, https_port=8443, tls_names=["edge.lan"])
    return TestClient(create_plain_http_app(settings), base_url="http://edge.lan:8080")


def test_everything_but_enrolment_redirects_to_the_same_place_over_https(plain: TestClient) -> None:
    for method, path in (("GET", "/floor/pick?lang=en"), ("POST", "/api/v1/auth/sign-in"), ("GET", "/static/pick.js"),
                         ("GET", "/sw.js")):
        answer = plain.request(method, path, follow_redirects=False)
        assert answer.status_code == 308, (method, path)
        assert answer.headers["location"] == f"https://edge.lan:8443{path}"
    assert plain.get("/", follow_redirects=False).headers["location"] == "/enrol"
    assert plain.get("/api/v1/health").json()["status"] == "ok"
    assert plain.get("/static/app.css").status_code == 200


def test_a_page_opened_on_a_device_without_the_ca_goes_to_enrolment_and_with_it_to_https(
        plain: TestClient, edge_node: EdgeNode) -> None:
    page = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate"}
    first = plain.get("/floor/pick?lang=en", headers=page, follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (307, "/enrol?next=%2Ffloor%2Fpick%3Flang%3Den")
    # A page that reached the device over HTTPS marks it as having the CA (no secret: the plain port reads it).
    with TestClient(edge_node.client.app, base_url="https://edge.lan:8443") as secure:
        marked = secure.get("/floor/signin")
        assert "haolin_ca=1" in marked.headers["set-cookie"] and "Secure" not in marked.headers["set-cookie"]
        assert "set-cookie" not in secure.get("/api/v1/health").headers
    assert "set-cookie" not in edge_node.client.get("/floor/signin").headers  # plain HTTP proves nothing
    plain.cookies.set("haolin_ca", "1")
    again = plain.get("/floor/pick?lang=en", headers=page, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (308, "https://edge.lan:8443/floor/pick?lang=en")


def test_enrolment_page_shows_the_fingerprint_of_the_ca_it_serves_in_both_formats(plain: TestClient) -> None:
    page = plain.get("/enrol")
    assert page.status_code == 200 and "安装本仓库的安全证书" in page.text
    shown = re.search(r'id="fingerprint"[^>]*>([0-9A-F:]+)<', page.text)
    assert shown is not None
    der = plain.get("/ca.crt")
    assert der.headers["content-type"] == "application/x-x509-ca-cert"
    assert tls.fingerprint(x509.load_der_x509_certificate(der.content)) == shown.group(1)
    assert x509.load_pem_x509_certificate(plain.get("/ca.pem").content) == x509.load_der_x509_certificate(der.content)
    assert "http://edge.lan:8080/ca.crt" in page.text and 'href="https://edge.lan:8443/"' in page.text
    english = plain.get("/enrol?lang=en&next=/floor/pick")
    assert "Install this warehouse&#39;s security certificate" in english.text
    assert 'href="https://edge.lan:8443/floor/pick"' in english.text
    assert 'href="https://edge.lan:8443/"' in plain.get("/enrol?next=//evil.example/").text


def test_the_qr_code_is_drawn_locally_as_svg(plain: TestClient) -> None:
    answer = plain.get("/enrol/qr.svg")
    assert answer.headers["content-type"] == "image/svg+xml" and answer.text.startswith("<svg")


def test_pages_allow_only_the_nodes_own_scripts_and_hsts_where_browsers_can_use_it(edge_node: EdgeNode) -> None:
    page = edge_node.client.get("/floor/signin")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and " style=" not in page.text
    # On 8080/8443 a browser would upgrade http://edge.lan:8080 to https://edge.lan:8080, the wrong port.
    assert "strict-transport-security" not in page.headers
    standard = create_app(edge_node.settings.model_copy(update={"http_port": 80, "https_port": 443}), edge_node.store)
    with TestClient(standard) as client:
        assert client.get("/api/v1/health").headers["strict-transport-security"] == "max-age=31536000"


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge.cli", "--data-dir", str(tmp_path / "data"), "serve"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HAOLIN_TLS_NAMES": "localhost", **env})


def test_a_port_in_use_refuses_the_start_in_one_line_before_anything_is_stored(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(tmp_path, HAOLIN_HTTPS_PORT=str(port), HAOLIN_HTTP_PORT="0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"haolin-edge: https_port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)"]
    assert not (tmp_path / "data" / "edge.sqlite3").exists()


def test_an_unreadable_certificate_refuses_the_start_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "site.pem"
    result = _serve(tmp_path, HAOLIN_TLS_CERT_FILE=str(missing), HAOLIN_TLS_KEY_FILE=str(tmp_path / "site.key"),
                    HAOLIN_HTTPS_PORT="0", HAOLIN_HTTP_PORT="0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"haolin-edge: TLS certificate {missing}: cannot read it (No such file or directory)"]
    assert not (tmp_path / "data" / "edge.sqlite3").exists()
