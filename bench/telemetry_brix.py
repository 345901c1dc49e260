"""Live Brix latency: from the simulated meter's write on its pty to the DOM update in Chromium.

Path measured: meter simulator -> pty -> serial driver -> Supervisor -> bus -> Brix feed (stored
in SQLite) -> SSE -> EventSource -> DOM. The page records `performance.timeOrigin + now()` in a
MutationObserver when the value changes; the meter thread records `time.time()` just before it
writes the frame (same machine clock). Reference in the same run: the SSE hop alone, i.e. a
reading put straight on the bus (no pty, no driver) to the DOM.

    .venv/bin/python bench/telemetry_brix.py [--readings 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.readings import BrixReading
from drivers.supervisor import ReadingEvent
from edge.demo import DEMO_PIN
from tests.brix_uplink.live_brix_harness import METER, LiveBrixEdge, live_brix_edge
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS

OBSERVER = """() => { window.__seen = {}; const el = document.getElementById('brix-value');
  new MutationObserver(() => { window.__seen[el.textContent] = performance.timeOrigin + performance.now(); })
    .observe(el, {childList: true, characterData: true, subtree: true}); }"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(case: str, latencies: list[float], reference: str) -> str:
    return json.dumps({"bench": "telemetry_brix", "case": case, "readings": len(latencies),
                       "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(pct(latencies, 0.99), 1),
                       "max_ms": round(max(latencies), 1), "target_p99_ms": 300, "reference": reference})


def bus_send(edge: LiveBrixEdge, value: float) -> float:
    """Put a reading on the device bus directly (the reference: no pty, no driver)."""
    bus = edge.app.state.device_runtime.bus
    stamp = time.time() * 1000

    def publish() -> None:
        reading = BrixReading(brix=value, temperature_c=20.0, device_id=METER)
        bus.publish(ReadingEvent(METER, reading, dt.datetime.now(dt.UTC)))
    edge.loop.call_soon_threadsafe(publish)
    return stamp


def measure(page: Page, send: Callable[[float], float], count: int, base: float) -> list[float]:
    latencies = []
    for i in range(count):
        value = round(base + (i % 300) * 0.1, 1)
        text = f"{value:.1f}"
        if text == page.text_content("#brix-value"):
            continue
        written = send(value)
        page.wait_for_function("(text) => window.__seen[text] !== undefined", arg=text, timeout=5000, polling=20)
        shown = page.evaluate(f"window.__seen['{text}']")
        latencies.append(shown - written)
        page.evaluate(f"delete window.__seen['{text}']")
        time.sleep(0.02)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, live_brix_edge(Path(tmp)) as edge, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.request.post(f"{edge.url}/api/v1/auth/sign-in", data={"code": "O0001", "pin": DEMO_PIN})
        page = context.new_page()
        page.goto(f"{edge.url}/brix?sku={edge.sku_id}&device={METER}")
        page.wait_for_function("() => document.getElementById('brix-value').textContent === '10.0'", timeout=10_000)
        page.evaluate(OBSERVER)
        meter = measure(page, lambda v: edge.meter.send(v), args.readings, 20.0)
        print(line("meter_pty_to_dom", meter, "bus_to_dom below: the same page without pty and driver"))
        direct = measure(page, lambda v: bus_send(edge, v), args.readings, 60.0)
        print(line("bus_to_dom", direct, "reference: SQLite write + SSE + browser only"))
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
