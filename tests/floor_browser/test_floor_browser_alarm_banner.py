"""The supervisor page's alarm banner: it appears and sounds while a cold-chain alarm is active and
unacknowledged, and goes away only when someone acknowledges it."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from edge.demo import SUPERVISOR_PIN
from edge.services.alarms import AlarmMonitor, acknowledge
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import cold_truck, feed


def test_floor_browser_alarm_banner_sounds_until_acknowledged(pda: Pda, live_edge: LiveEdge) -> None:
    store, now = live_edge.store, live_edge.clock()
    sensors = cold_truck(live_edge, "V01")
    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    banner = page.locator("#alarm-banner")
    expect(banner).to_have_attribute("data-open", "0")
    expect(banner).to_be_hidden()

    # The chilled box of truck V01 runs at 10 °C: 6 K over its band, critical after 5 minutes.
    start = now - dt.timedelta(hours=1)
    raised = AlarmMonitor(store, start).observe(feed(live_edge, sensors["chilled"], start, [3.0] * 15 + [10.0] * 30),
                                                now)
    assert [(c.transition.kind.value, c.transition.severity.value) for c in raised] == [("temp_high", "critical")]

    expect(banner).to_be_visible(timeout=8000)
    expect(banner).to_have_attribute("data-ringing", "1")
    expect(banner).to_have_class("critical")
    expect(banner).to_contain_text("1 条冷链告警待确认")
    expect(banner).to_contain_text("温度过高")
    page.locator("#alarm-banner button.sound").click()  # a gesture lets the browser play sound
    expect(page.locator("#alarm-banner button.sound")).to_be_hidden()
    rings = banner.get_attribute("data-rings")
    expect(banner).not_to_have_attribute("data-rings", rings or "", timeout=15000)  # and again, every few seconds

    acknowledge(store, raised[0].alarm_id, actor="person:SUP01", reason="reefer restarted, load checked",
                now=live_edge.clock())  # from the console: the page's banner follows
    expect(banner).to_be_hidden(timeout=8000)
    expect(banner).to_have_attribute("data-open", "0")
