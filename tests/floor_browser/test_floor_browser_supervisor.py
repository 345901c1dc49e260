"""The supervisor builds the wave, watches progress live, and reassigns a tour from the page; the
same page shows the store's health live: cold-chain alarms (acknowledged there with a reason),
devices, HQ sync and its exceptions, the uplink's queue."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from playwright.sync_api import expect

from drivers.supervisor import DeviceStatus
from edge.demo import SUPERVISOR_PIN
from edge.services import uplink_feed, uplink_spool
from edge.services.alarms import AlarmMonitor
from edge.services.device_status import save_statuses
from edge.services.hq_port import StorePort
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import cold_truck, feed

pytestmark = pytest.mark.browser


def test_floor_browser_supervisor_builds_watches_and_reassigns(pda: Pda, live_edge: LiveEdge) -> None:
    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    expect(page.locator("#date")).to_have_value(str(live_edge.delivery_date))
    page.click("#build")
    expect(page.locator("#message")).to_contain_text("波次已生成")
    tours = live_edge.store.scalar("SELECT COUNT(*) FROM tours")
    assert tours > 0
    expect(page.locator("#counts .pill[data-status='open']")).to_have_text(f"待领 {tours}")

    with live_edge.api("P01") as picker:  # a picker takes a tour on their PDA
        taken = picker.post("/api/v1/floor/tours/next").json()
    # The overview refreshes by itself: the picker shows up without touching the page.
    expect(page.locator("#pickers")).to_contain_text(taken["tour_id"], timeout=8000)

    page.locator(f"tr[data-tour='{taken['tour_id']}'] button").click()
    page.fill("#ask-input", "p02")
    page.click("#ask-ok")
    expect(page.locator("#message")).to_contain_text("已改派给 P02")
    row = live_edge.store.query("SELECT picker_id, version FROM tours WHERE tour_id = ?", (taken["tour_id"],))[0]
    assert row == {"picker_id": "P02", "version": taken["version"] + 1}
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'floor.tour_assigned' AND actor = ?",
                                  ("person:SUP01",)) == 1


def test_floor_browser_supervisor_sees_store_health_and_acknowledges_an_alarm(pda: Pda, live_edge: LiveEdge) -> None:
    store, now = live_edge.store, live_edge.clock()
    sensors = cold_truck(live_edge, "V01")
    save_statuses(store, [
        DeviceStatus("md02-3", "climate", "modbus-th", link="rtu", state="online", frames=120, errors=1),
        DeviceStatus("scale-1", "scale", "scale-serial", link="serial", state="unavailable",
                     reason="no answer on /dev/ttyUSB1 for 5 s", frames=40, errors=7, reconnects=3)], now)
    order = store.scalar("SELECT hq_order_id FROM orders ORDER BY hq_order_id LIMIT 1")
    StorePort(store).apply_repairs(live_edge.delivery_date, [], [order], now)  # HQ has never heard of it

    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    expect(page.locator("#alarm-count")).to_have_attribute("data-open", "0")
    scale = page.locator("#devices li[data-device='scale-1']")
    expect(scale).to_have_attribute("data-state", "unavailable")
    expect(scale).to_contain_text("no answer on /dev/ttyUSB1 for 5 s")
    expect(scale).to_contain_text("错误 7 · 重连 3")
    expect(page.locator("#devices li[data-device='md02-3']")).to_have_attribute("data-state", "online")
    unsent = store.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL")
    expect(page.locator("#sync-status")).to_have_attribute("data-queue", str(unsent))
    expect(page.locator("#sync-exceptions li")).to_have_count(1)
    expect(page.locator("#sync-exceptions li")).to_contain_text(f"{order} · 总部无此订单")
    expect(page.locator("#uplink-status")).to_have_attribute("data-depth", "0")

    # The chilled box of truck V01 fails: 8 °C for half an hour; the alarm engine raises it after its delay.
    start = now - dt.timedelta(hours=1)
    monitor = AlarmMonitor(store, start)
    samples = feed(live_edge, sensors["chilled"], start, [3.0] * 15 + [8.0] * 30)
    raised = monitor.observe(samples, now)
    assert [(c.transition.kind.value, c.transition.change.value) for c in raised] == [("temp_high", "raised")]
    alarm_id = raised[0].alarm_id

    # It shows up without touching the page, and is acknowledged there, with who and why.
    alarm = page.locator(f"#alarms li[data-alarm='{alarm_id}']")
    expect(alarm).to_be_visible(timeout=8000)
    expect(alarm).to_contain_text("温度过高")
    expect(alarm).to_contain_text("峰值 8.0 °C（限值 4.0 °C）")
    expect(page.locator("#alarm-count")).to_have_attribute("data-open", "1")
    alarm.locator("button").click()
    page.fill("#ask-input", "compressor restarted, door checked")
    page.click("#ask-ok")
    expect(page.locator("#message")).to_contain_text("报警已确认")
    expect(alarm).to_have_attribute("data-acknowledged", "1")
    expect(alarm).to_contain_text("已由 person:SUP01 确认：compressor restarted, door checked")
    row = store.query("SELECT state, acknowledged_by, ack_reason FROM cold_alarms WHERE alarm_id = ?", (alarm_id,))
    assert row == [{"state": "active", "acknowledged_by": "person:SUP01",
                    "ack_reason": "compressor restarted, door checked"}]
    assert store.query("SELECT transition, actor FROM cold_alarm_audit WHERE alarm_id = ? ORDER BY audit_id",
                       (alarm_id,)) == [{"transition": "raised", "actor": "system:coldchain"},
                                        {"transition": "acknowledged", "actor": "person:SUP01"}]
    # HQ hears of alarms on one path, the uplink: the node's collector (a tick of the running node's
    # uplink service) spools the raise and the acknowledgement with who and why, and the page shows the queue.
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE kind LIKE 'coldchain.alarm.%'") == 0
    uplink_feed.collect(store, warehouse=live_edge.settings.warehouse_id, now=live_edge.clock(),
                        budget_bytes=live_edge.settings.uplink.budget_bytes)
    spooled = uplink_spool.pending(store, 0, 1000)
    sent = [json.loads(m.payload)["body"] for m in spooled if m.topic.endswith("/alarm")]
    assert [(b["alarm_id"], b["transition"], b["actor"], b["acknowledged_by"]) for b in sent] == [
        (str(alarm_id), "raised", "system:coldchain", None),
        (str(alarm_id), "acknowledged", "person:SUP01", "person:SUP01")]
    assert sent[1]["reason"] == "compressor restarted, door checked"
    expect(page.locator("#uplink-status")).to_have_attribute("data-depth", str(len(spooled)), timeout=8000)

    # The HQ sync exception is settled from the same page.
    page.locator("#sync-exceptions li button").click()
    expect(page.locator("#message")).to_contain_text("异常已处理")
    expect(page.locator("#sync-exceptions li")).to_have_count(0)
    assert store.scalar("SELECT resolved_by FROM sync_exceptions WHERE hq_order_id = ?", (order,)) == "person:SUP01"
