"""Alarm notifications that reach people who are not looking at the supervisor page.

Each asset names its escalation steps (`notify:` in the cold-chain configuration, else the
document's `default_notify`): notify a route (a WeCom 企业微信 group robot, or a generic JSON
webhook) once an alarm of at least `min_severity` has been open `after_s`, and again every
`repeat_s` while it is active and nobody has acknowledged it; once it clears, every route that
was told gets one "cleared" message (and an alarm that was over before anyone was told, as late
readings from a truck can show, gets one to every route its severity qualifies for). `plan`
writes what is owed into a spool (`cold_notifications`, idempotent by alarm, step, round and
transition) and `deliver` sends it,
retrying with capped backoff until the endpoint takes it — so a webhook that is down for an hour
still gets the message, and a restart loses nothing. Texts are zh-CN with the site's local time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from edge.domain.coldchain.levels import Severity
from edge.services.coldchain_assets import NotifyStepSpec, assets
from edge.store import Store
from edge.store.db import parse_utc, utc_text

ACTOR = "system:coldchain-notify"
#: After this many failed attempts (about a day with the backoff below) a notification is given up.
MAX_ATTEMPTS = 150
BACKOFF_FIRST_S, BACKOFF_CAP_S = 10.0, 600.0
SEND_TIMEOUT_S = 5.0
#: Cleared alarms older than this get no "cleared" message any more (the spool stays bounded).
CLEARED_HORIZON = dt.timedelta(days=1)
KIND_ZH = {"temp_high": "温度过高", "temp_low": "温度过低", "sensor_silent": "传感器无数据", "door_open": "门未关",
           "sensor_degraded": "传感器数据异常"}
SEVERITY_ZH = {"warning": "警告", "critical": "严重"}
#: What the person should check (the engine's own detail, in English, goes to webhooks as `alarm.detail`).
DETAIL_ZH = {"sensor_degraded": "读数不可信（跳变、长时间不变或帧无法解码），请检查探头与网关；",
             "sensor_silent": "收不到读数，请检查传感器电源与信号；", "door_open": "请关门；"}


def default_steps(store: Store) -> list[NotifyStepSpec]:
    raw = store.scalar("SELECT value FROM cold_settings WHERE key = 'default_notify'")
    return [NotifyStepSpec.model_validate(s) for s in json.loads(raw)] if raw else []


def _local(text: str | None, zone: ZoneInfo) -> str:
    return parse_utc(text).astimezone(zone).strftime("%m-%d %H:%M") if text else "—"


def message_text(alarm: dict[str, Any], asset_name: str, transition: str, round_no: int, zone: ZoneInfo) -> str:
    """The message a person reads on a phone: what, where, how bad, since when, what to do."""
    what = KIND_ZH.get(alarm["kind"], alarm["kind"])
    where = f"{asset_name}（{alarm['asset_id']}）"
    if transition == "cleared":
        return (f"【冷链恢复】{where}{what}（{SEVERITY_ZH.get(alarm['severity'], alarm['severity'])}）"
                f"自 {_local(alarm['started_at'], zone)} 起，已于 {_local(alarm['cleared_at'], zone)} 恢复。"
                f"请在主管页确认并记录纠正措施。")
    values = ""
    if alarm["peak_c"] is not None:
        values = f"峰值 {alarm['peak_c']:.1f} °C，限值 {alarm['limit_c']:g} °C，"
    repeat = f"（第 {round_no + 1} 次提醒）" if round_no else ""
    detail = DETAIL_ZH.get(alarm["kind"], "")
    return (f"【冷链告警·{SEVERITY_ZH.get(alarm['severity'], alarm['severity'])}】{where}{what}：{values}{detail}"
            f"自 {_local(alarm['started_at'], zone)} 起。请立即处理，并在主管页确认。{repeat}")


def _critical_since(store: Store, alarm_id: int) -> dt.datetime | None:
    at = store.scalar("SELECT min(at) FROM cold_alarm_audit WHERE alarm_id = ? AND severity = 'critical'"
                      " AND transition IN ('raised', 'escalated')", (alarm_id,))
    return parse_utc(at) if at else None


def plan(store: Store, now: dt.datetime, zone: ZoneInfo) -> int:
    """Spool the notifications now due; returns how many were added."""
    infos = assets(store)
    fallback = default_steps(store)
    horizon = utc_text(now - CLEARED_HORIZON)
    alarms = store.query("SELECT * FROM cold_alarms WHERE (state = 'active' AND acknowledged_at IS NULL)"
                         " OR (state = 'cleared' AND cleared_at >= ?)", (horizon,))
    rows: list[tuple[Any, ...]] = []
    for alarm in alarms:
        info = infos.get(alarm["asset_id"])
        steps = (info.notify if info and info.notify is not None else fallback)
        name = info.name if info else alarm["asset_id"]
        if alarm["state"] == "cleared":
            told = {r[0] for r in store.conn.execute(
                "SELECT DISTINCT step FROM cold_notifications WHERE alarm_id = ? AND transition = 'alarm'",
                (alarm["alarm_id"],))}
            if not told and alarm["acknowledged_at"] is None:  # over before anyone was told (late readings)
                told = {j for j, step in enumerate(steps)
                        if Severity(alarm["severity"]).rank >= step.min_severity.rank}
            rows += [(alarm["alarm_id"], steps[j].route, j, 0, "cleared", message_text(alarm, name, "cleared", 0, zone))
                     for j in sorted(told) if j < len(steps)]
            continue
        for j, step in enumerate(steps):
            if Severity(alarm["severity"]).rank < step.min_severity.rank:
                continue
            since = parse_utc(alarm["raised_at"]) if step.min_severity is Severity.WARNING \
                else _critical_since(store, alarm["alarm_id"])
            if since is None:
                continue
            due = since + dt.timedelta(seconds=step.after_s)
            if now < due:
                continue
            round_no = int((now - due).total_seconds() // step.repeat_s) if step.repeat_s else 0
            rows.append((alarm["alarm_id"], step.route, j, round_no, "alarm",
                         message_text(alarm, name, "alarm", round_no, zone)))
    if not rows:
        return 0
    with store.write(ACTOR, now) as w:
        before = w.conn.total_changes
        w.conn.executemany(
            "INSERT OR IGNORE INTO cold_notifications (alarm_id, route_id, step, round, transition, text, created_at,"
            " next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(*r, w.now_text, w.now_text) for r in rows])
        return w.conn.total_changes - before


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _body(channel: str, mentions: list[str], text: str, alarm: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    if channel == "wecom":  # https://developer.work.weixin.qq.com/document/path/91770
        return {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mentions}}
    keys = ("alarm_id", "asset_id", "sensor_id", "kind", "severity", "state", "started_at", "raised_at",
            "cleared_at", "limit_c", "peak_c", "peak_at", "degree_minutes", "detail", "acknowledged_at")
    return {"notification_id": row["notification_id"], "transition": row["transition"], "round": row["round"],
            "text": text, "alarm": {k: alarm[k] for k in keys}}


def _accepted(channel: str, response: httpx.Response) -> str | None:
    """None when the endpoint took the message, else why not."""
    if not response.is_success:
        return f"HTTP {response.status_code}"
    if channel == "wecom":
        try:
            answer = response.json()
        except ValueError:
            return "WeCom answered with something other than JSON"
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            return f"WeCom errcode {answer.get('errcode') if isinstance(answer, dict) else answer!r}"
    return None


def deliver(store: Store, now: dt.datetime, client: httpx.Client, *, limit: int = 20) -> Delivery:
    """Send what is due; a failure is retried later (10 s, doubling, at most 10 min apart)."""
    out = Delivery()
    due = store.query("SELECT * FROM cold_notifications WHERE state = 'pending' AND next_try_at <= ?"
                      " ORDER BY next_try_at, notification_id LIMIT ?", (utc_text(now), limit))
    routes = {r["route_id"]: r for r in store.query("SELECT * FROM cold_notify_routes")}
    for row in due:
        route = routes.get(row["route_id"])
        alarm = store.query("SELECT * FROM cold_alarms WHERE alarm_id = ?", (row["alarm_id"],))[0]
        stale = row["transition"] == "alarm" and alarm["acknowledged_at"] is not None
        if route is None or stale:
            error: str | None = "acknowledged before it could be sent" if stale else \
                f"route {row['route_id']!r} is no longer configured"
        else:
            body = _body(route["channel"], json.loads(route["mentions"]), row["text"], alarm, row)
            try:
                error = _accepted(route["channel"], client.post(route["url"], json=body, timeout=SEND_TIMEOUT_S))
            except httpx.HTTPError as exc:  # the URL holds the robot's key: name the error, not the URL
                error = f"{type(exc).__name__}"
        with store.write(ACTOR, now) as w:
            if error is None:
                w.conn.execute("UPDATE cold_notifications SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
                               " last_error = NULL WHERE notification_id = ?", (w.now_text, row["notification_id"]))
                out.sent += 1
                continue
            attempts = row["attempts"] + 1
            wait = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (attempts - 1))
            gone = route is None or stale or attempts >= MAX_ATTEMPTS
            w.conn.execute("UPDATE cold_notifications SET attempts = ?, last_error = ?, next_try_at = ?,"
                           " state = ? WHERE notification_id = ?",
                           (attempts, error, utc_text(now + dt.timedelta(seconds=wait)),
                            "failed" if gone else "pending", row["notification_id"]))
            out.failed += 1
            out.errors.append(f"{row['route_id']}: {error}")
    return out


def status(store: Store) -> dict[str, Any]:
    """How many notifications are pending, sent and given up, and the oldest pending one's last error."""
    counts = {r["state"]: r["n"] for r in store.query(
        "SELECT state, count(*) AS n FROM cold_notifications GROUP BY state")}
    oldest = store.query("SELECT created_at, route_id, attempts, last_error FROM cold_notifications"
                         " WHERE state = 'pending' ORDER BY created_at LIMIT 1")
    return {"pending": counts.get("pending", 0), "sent": counts.get("sent", 0), "failed": counts.get("failed", 0),
            "oldest_pending": oldest[0] if oldest else None}
