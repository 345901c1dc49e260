"""Alarm notifications to a WeCom group robot and a generic webhook: real HTTP servers on loopback."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from edge.services import alarms, coldchain_notify, telemetry
from edge.services.coldchain_assets import apply_spec, parse_spec
from edge.services.telemetry import Sample
from edge.store import Store
from tests.coldchain.conftest import T0

ZONE = ZoneInfo("Asia/Shanghai")


class Endpoint:
    """A loopback HTTP server that records every POST and answers from a script (then 200 / errcode 0)."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers = list(answers or [])
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = endpoint.answers.pop(0) if endpoint.answers else (200, {"errcode": 0, "errmsg": "ok"})
                endpoint.received.append(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints() -> Iterator[tuple[Endpoint, Endpoint]]:
    # WeCom first answers "rate limited" (errcode 45009 with HTTP 200), the webhook first fails with a 503.
    wecom = Endpoint([(200, {"errcode": 45009, "errmsg": "api freq out of limit"})])
    hook = Endpoint([(503, {"error": "down"})])
    yield wecom, hook
    wecom.close()
    hook.close()


def minutes(m: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=m)


def test_coldchain_notify_escalates_retries_repeats_until_acknowledged(cold_store: Store,
                                                                       endpoints: tuple[Endpoint, Endpoint]) -> None:
    wecom, hook = endpoints
    apply_spec(cold_store, parse_spec({
        "notify_routes": [
            {"route_id": "shift", "channel": "wecom", "url": wecom.url, "mentions": ["13800000000"]},
            {"route_id": "ops", "channel": "webhook", "url": hook.url}],
        "default_notify": [{"route": "shift", "after_s": 0, "repeat_s": 1800}],
        "assets": [{"asset_id": "FZ-1", "kind": "freezer", "name": "冷冻库 1", "temp_class": "frozen",
                    "startup_s": 0, "heartbeat_s": 3600,
                    "notify": [{"route": "shift", "after_s": 0, "repeat_s": 1800},
                               {"route": "ops", "after_s": 600, "min_severity": "critical", "repeat_s": 0}]}],
    }), actor="t", now=T0)
    monitor = alarms.AlarmMonitor(cold_store, T0)
    changes = []
    for m in range(0, 61):  # compressor dead from minute 0: -20 -> +3.5 °C in 10 min, then stays warm
        temp = -20.0 + 23.5 * min(1.0, m / 10)
        at = minutes(m)
        changes += monitor.observe(telemetry.ingest(cold_store, [Sample("FZ-1-T", at, temp)], received_at=at).accepted,
                                   at)
    [raised] = [c for c in changes if c.transition.change.value == "raised"]
    assert raised.transition.severity.value == "critical" and raised.transition.at <= minutes(10)

    with httpx.Client() as client:
        def cycle(m: float) -> coldchain_notify.Delivery:
            coldchain_notify.plan(cold_store, minutes(m), ZONE)
            return coldchain_notify.deliver(cold_store, minutes(m), client)

        first = cycle(5)  # the shift's robot refuses (rate limit); ops is not due before 10 min after critical
        assert (first.sent, first.failed) == (0, 1) and "45009" in first.errors[0]
        assert cycle(5.1).sent == 0  # backoff: not retried yet
        assert cycle(6).sent == 1  # retried from the spool
        text = wecom.received[-1]["text"]["content"]
        assert "冷冻库 1" in text and "严重" in text and wecom.received[-1]["text"]["mentioned_mobile_list"] == [
            "13800000000"]
        assert cycle(16).failed == 1 and cycle(17).sent == 1  # ops: 503 first, then taken
        assert hook.received[-1]["alarm"]["asset_id"] == "FZ-1" and hook.received[-1]["transition"] == "alarm"
        assert cycle(20).sent == 0
        assert cycle(36).sent == 1 and "第 2 次提醒" in wecom.received[-1]["text"]["content"]  # repeat

        alarms.acknowledge(cold_store, raised.alarm_id, actor="SUP01", reason="compressor reset, goods moved",
                           now=minutes(40))
        assert cycle(70).sent == 0  # acknowledged: no more repeats
    status = coldchain_notify.status(cold_store)
    assert status["pending"] == 0 and status["sent"] == 3


def test_coldchain_notify_sends_cleared_and_survives_a_missing_endpoint(cold_store: Store) -> None:
    apply_spec(cold_store, parse_spec({
        "notify_routes": [{"route_id": "nobody", "channel": "webhook", "url": "http://127.0.0.1:9/none"}],
        "assets": [{"asset_id": "CR-1", "kind": "cold_room", "name": "冷藏库 1", "temp_class": "chilled",
                    "startup_s": 0, "heartbeat_s": 900, "notify": [{"route": "nobody", "repeat_s": 0}]}]}),
               actor="t", now=T0)
    monitor = alarms.AlarmMonitor(cold_store, T0)

    def observe(*series: tuple[int, float]) -> None:
        for m, temp in series:
            at = minutes(m)
            monitor.observe(telemetry.ingest(cold_store, [Sample("CR-1-T", at, temp)], received_at=at).accepted, at)

    with httpx.Client() as client:
        observe((0, 3.0), (1, 10.0), (7, 10.0))
        coldchain_notify.plan(cold_store, minutes(7), ZONE)
        assert coldchain_notify.deliver(cold_store, minutes(7), client).failed == 1
        observe((8, 2.0), (14, 2.0))
        coldchain_notify.plan(cold_store, minutes(15), ZONE)
        outcome = coldchain_notify.deliver(cold_store, minutes(15), client)
    assert outcome.failed == 2 and all("Error" in e for e in outcome.errors)  # alarm and cleared, both kept
    rows = cold_store.query("SELECT transition, state, attempts FROM cold_notifications ORDER BY notification_id")
    assert [(r["transition"], r["state"], r["attempts"]) for r in rows] == [
        ("alarm", "pending", 2), ("cleared", "pending", 1)]


def test_coldchain_notify_tells_of_an_alarm_over_before_anyone_knew(cold_store: Store) -> None:
    apply_spec(cold_store, parse_spec({
        "notify_routes": [{"route_id": "ops", "channel": "webhook", "url": "http://127.0.0.1:9/none"}],
        "default_notify": [{"route": "ops"}]}), actor="t", now=T0)
    earlier = [Sample("TRUCK-01-C-T", T0 - dt.timedelta(hours=1), 3.0)]  # a known sensor: no start-up hold
    telemetry.ingest(cold_store, earlier, received_at=T0 - dt.timedelta(hours=1))
    monitor = alarms.AlarmMonitor(cold_store, T0 - dt.timedelta(minutes=5))
    late = [Sample("TRUCK-01-C-T", minutes(m), t) for m, t in [(0, 3.0), (1, 10.0), (8, 2.0), (9, 2.0), (14, 2.0)]]
    monitor.observe(telemetry.ingest(cold_store, late, received_at=minutes(60)).accepted, minutes(60))
    coldchain_notify.plan(cold_store, minutes(60), ZONE)
    [row] = cold_store.query("SELECT n.transition, n.text FROM cold_notifications n JOIN cold_alarms a USING"
                             " (alarm_id) WHERE a.kind = 'temp_high'")
    assert row["transition"] == "cleared" and "1 号车冷藏厢" in row["text"] and "08:01" in row["text"]


def test_coldchain_notify_refuses_unknown_routes(cold_store: Store) -> None:
    with pytest.raises(Exception, match="unknown notification route"):
        apply_spec(cold_store, parse_spec({"default_notify": [{"route": "ghost"}]}), actor="t", now=T0)


async def test_coldchain_running_node_notifies_without_anyone_on_the_page(cold_store: Store) -> None:
    """The device runtime plans on its tick and delivers in its own loop: a freezer's readings on the bus,
    a critical alarm, and the WeCom robot (a loopback server) gets the message in the site's zone."""
    import asyncio

    from drivers.readings import ClimateReading
    from drivers.supervisor import ReadingEvent, Supervisor
    from edge.services.device_runtime import DeviceRuntime

    robot = Endpoint()
    try:
        apply_spec(cold_store, parse_spec({
            "notify_routes": [{"route_id": "shift", "channel": "wecom", "url": robot.url}],
            "default_notify": [{"route": "shift"}],
            "assets": [{"asset_id": "FZ-1", "kind": "freezer", "name": "冷冻库 1", "temp_class": "frozen",
                        "startup_s": 0, "heartbeat_s": 3600}]}), actor="t", now=T0)
        now = {"t": T0 + dt.timedelta(minutes=30)}
        runtime = DeviceRuntime(cold_store, Supervisor(devices=[]), clock=lambda: now["t"], batch_wait_s=0.02,
                                tick_s=0.05, zone=ZONE)
        await runtime.start()
        try:
            for m in range(0, 30):  # -20 °C, then the compressor dies at minute 10
                temp = -20.0 + 23.5 * min(1.0, max(0, m - 10) / 10)
                at = T0 + dt.timedelta(minutes=m)
                runtime.bus.publish(ReadingEvent("dev-FZ-1", ClimateReading(temperature_c=temp, event_time=at), at))
            deadline = asyncio.get_running_loop().time() + 10
            while not robot.received and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await runtime.stop()
    finally:
        robot.close()
    texts = [r["text"]["content"] for r in robot.received]
    assert texts and "冷冻库 1（FZ-1）温度过高" in texts[0] and "严重" in texts[0]
    assert "07-01 08:1" in texts[0]  # began 08:1x Shanghai time (00:1x UTC)
