"""The live Brix page in Chromium: a reading the simulated meter sends shows within 1 s, judged
against the SKU's spec; after the stream is cut the page reconnects by itself and catches up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from edge.demo import DEMO_PIN
from tests.brix_uplink.live_brix_harness import METER, LiveBrixEdge, live_brix_edge


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[LiveBrixEdge]:
    with live_brix_edge(tmp_path) as node:
        yield node


@pytest.fixture
def owner_page(browser: Browser, edge: LiveBrixEdge) -> Iterator[Page]:
    context = browser.new_context()
    answer = context.request.post(f"{edge.url}/api/v1/auth/sign-in", data={"code": "O0001", "pin": DEMO_PIN})
    assert answer.ok, answer.text()
    page = context.new_page()
    yield page
    context.close()


# Predicates are functions, never bare expressions: Playwright evaluates a function's text once, when
# the wait starts (DevTools may eval), and calls it on each frame; a bare expression is evaluated
# again on every frame, which the page's CSP (no 'unsafe-eval') refuses after the first.
SHOWN = """([value, temp, verdict, cls]) => {
  const text = (id) => document.getElementById(id).textContent;
  return text('brix-value') === value && text('brix-temp') === temp && text('brix-verdict') === verdict
    && document.getElementById('brix-verdict').classList.contains(cls);
}"""


@pytest.mark.browser
def test_live_page_shows_a_new_reading_within_a_second(owner_page: Page, edge: LiveBrixEdge) -> None:
    spec = edge.store.query("SELECT brix_min, brix_max FROM skus WHERE sku_id = ?", (edge.sku_id,))[0]
    page = owner_page
    page.goto(f"{edge.url}/brix?sku={edge.sku_id}&device={METER}&lang=en")
    page.wait_for_function("() => document.getElementById('brix-value').textContent === '10.0'", timeout=10_000)
    assert page.text_content("#brix-status") == "live"

    high = round(spec["brix_max"] + 3.3, 1)
    started = time.monotonic()
    edge.meter.send(high, 21.5)
    # the three change together; the meter's steady 10.0 stream replaces them 0.25 s later
    page.wait_for_function(SHOWN, arg=[f"{high:.1f}", "21.5 °C", "HIGH", "high"], timeout=1000, polling="raf")
    assert time.monotonic() - started < 1.0

    inside = round((spec["brix_min"] + spec["brix_max"]) / 2 + 0.04, 1) + 0.2
    edge.meter.send(inside)
    page.wait_for_function(SHOWN, arg=[f"{inside:.1f}", "20.5 °C", "PASS", "pass"], timeout=1000, polling="raf")
    assert len(str(page.get_attribute("#brix-line", "points")).split()) >= 3, "the chart shows recent readings"
    stored = edge.store.query("SELECT brix FROM brix_readings WHERE device_id = ? ORDER BY reading_id", (METER,))
    assert high in [r["brix"] for r in stored]


@pytest.mark.browser
def test_overlay_mode_hides_the_chrome_and_a_signed_out_page_says_so(browser: Browser, edge: LiveBrixEdge) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{edge.url}/brix?overlay=1&lang=en")
    assert "overlay" in str(page.get_attribute("body", "class"))
    assert not page.is_visible(".brix-pick")
    page.goto(f"{edge.url}/brix?lang=en")
    page.wait_for_function("() => document.getElementById('brix-status').textContent.startsWith('Sign in')",
                           timeout=5000)
    context.close()
