"""The floor as a PDA on the warehouse Wi-Fi sees it: a LAN name, HTTPS under the site CA, offline and back.

This is what http://127.0.0.1 hid: at a LAN name only HTTPS gives the page a secure context, and
with it the service worker and the offline queue.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from playwright.sync_api import Browser, expect

from edge import tls
from edge.api.deps import SESSION_COOKIE
from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from tests.fixtures.browser import LiveEdge, Pda, _open_pda
from tests.floor_browser.floor_flow import build_wave, tour_scans, tour_view
from tests.lan.conftest import LAN_NAME, LanEdge

pytestmark = pytest.mark.browser


def _controlled(pda: Pda) -> None:
    """The service worker is active and, after a reload, serves this page."""
    page = pda.page
    pda.kept_on_device()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("!!navigator.serviceWorker.controller")


def test_lan_sign_in_over_https_gives_a_secure_context_a_service_worker_and_a_strict_cookie(
        lan_pda: Pda, lan_edge: LanEdge) -> None:
    refused: list[str] = []
    lan_pda.page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page = lan_pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    assert urlsplit(page.url).hostname == LAN_NAME and page.url.startswith("https://")
    assert page.evaluate("window.isSecureContext")
    _controlled(lan_pda)
    assert not refused, f"the pages load something their own policy refuses: {refused}"
    session = [c for c in lan_pda.context.cookies() if c["name"] == SESSION_COOKIE]
    assert session and session[0]["httpOnly"] and session[0]["secure"] and session[0]["sameSite"] == "Strict", session


def test_lan_pick_scanned_offline_is_sent_after_reconnect(lan_pda: Pda, lan_edge: LanEdge) -> None:
    edge = lan_edge.edge
    build_wave(edge)
    page = lan_pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    page.click("#take")
    expect(page.locator("#work")).to_be_visible()
    tour = tour_view(edge, page.locator("#tour-id").inner_text())
    codes = tour_scans(tour)
    _controlled(lan_pda)

    lan_pda.wifi(False)
    lan_pda.scan(codes[0], codes[1])
    expect(page.locator("#sync")).to_have_attribute("data-pending", "2")
    lan_pda.wait_stored(2)
    page.reload()  # from the service worker's cache: the network is gone
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#picked")).to_have_text("1")
    assert edge.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                             (tour["tour_id"],)) == 0

    lan_pda.wifi(True)
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)
    assert edge.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                             (tour["tour_id"],)) == 1
    assert edge.store.scalar("SELECT COUNT(*) FROM floor_scans WHERE channel = 'pick' AND outcome = 'ok'"
                             " AND subject = ?", (tour["tour_id"],)) == 2


def test_plain_http_at_the_lan_name_leads_to_https_or_enrolment_and_serves_the_ca(
        lan_pda: Pda, lan_edge: LanEdge) -> None:
    page = lan_pda.page
    https_origin = lan_edge.edge.url
    # A new PDA types the plain address: enrolment, not a certificate warning. Once it has opened a
    # page over HTTPS (so it trusts the CA), the plain address takes it straight there.
    page.goto(f"{lan_edge.http_url}/floor/pick")
    page.wait_for_url(f"{lan_edge.http_url}/enrol?next=%2Ffloor%2Fpick")
    expect(page.locator("#continue")).to_have_attribute("href", f"{https_origin}/floor/pick")
    page.click("#continue")
    page.wait_for_url(re.compile(re.escape(f"{https_origin}/floor/signin")))
    page.goto(f"{lan_edge.http_url}/floor/pick?lang=en")
    page.wait_for_url(re.compile(re.escape(f"{https_origin}/floor/signin")))
    assert page.evaluate("window.isSecureContext")

    page.goto(f"{lan_edge.http_url}/")
    page.wait_for_url(f"{lan_edge.http_url}/enrol")
    shown = page.locator("#fingerprint").inner_text()
    assert shown == lan_edge.site.fingerprint
    expect(page.locator("#download")).to_have_text(f"{lan_edge.http_url}/ca.crt")
    expect(page.locator("#continue")).to_have_attribute("href", f"{https_origin}/")
    assert page.evaluate("document.getElementById('qr').naturalWidth") > 0  # the QR code drawn by the node

    # What the PDA downloads from the HTTP port (through the browser, as edge.lan resolves only there).
    download = page.evaluate("""async () => {
        const answer = await fetch("/ca.crt");
        const bytes = Array.from(new Uint8Array(await answer.arrayBuffer()));
        return { type: answer.headers.get("content-type"), bytes };
    }""")
    assert download["type"] == "application/x-x509-ca-cert"
    assert tls.fingerprint(x509.load_der_x509_certificate(bytes(download["bytes"]))) == shown


def test_a_page_served_in_clear_at_a_lan_name_leads_to_enrolment_instead_of_failing_at_sign_in(
        lan_browser: Browser, live_edge: LiveEdge, request: pytest.FixtureRequest) -> None:
    """The issue's first symptom: a node serving pages over plain HTTP, opened at a LAN name."""
    port = urlsplit(live_edge.url).port
    in_clear = dataclasses.replace(live_edge, url=f"http://{LAN_NAME}:{port}")
    with _open_pda(lan_browser, in_clear, request, "in-clear") as pda:
        pda.goto("/floor/signin?next=/floor/pick")
        pda.page.wait_for_url(re.compile(r"/enrol\?next="))
        assert not pda.page.evaluate("window.isSecureContext")
        expect(pda.page.locator("#fingerprint")).to_have_text(re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$"))
        expect(pda.page.locator("#continue")).to_have_attribute(
            "href", f"https://{LAN_NAME}:{live_edge.settings.https_port}/floor/signin?next=/floor/pick")


@pytest.mark.parametrize(("code", "path"), [("T01", "/floor/sort"), ("D01", "/floor/load"), ("D01", "/floor/handoff"),
                                            ("SUP01", "/floor/supervisor"), ("P01", "/floor/receive"),
                                            ("SUP01", "/floor/report"), ("O0001", "/floor/owner")])
def test_each_floor_page_runs_under_its_policy_at_the_lan_name(lan_pda: Pda, code: str, path: str) -> None:
    """Content-Security-Policy allows only the node's own scripts and styles: nothing on a page needs more."""
    refused: list[str] = []
    lan_pda.page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    lan_pda.sign_in(code, SUPERVISOR_PIN if code == "SUP01" else DEMO_PIN, path)
    assert not refused, f"{path} loads something its own policy refuses: {refused}"
