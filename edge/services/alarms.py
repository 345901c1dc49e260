"""Cold-chain alarms: one state machine per sensor, every transition stored, audited and sent to HQ.

`AlarmMonitor` keeps a `SensorWatch` per active sensor (rules from the asset configuration,
suppression windows from the store), feeds it readings in event-time order and the clock's
ticks, and writes each transition in one transaction: the alarm row, its audit line and an
event (`coldchain.alarm.<raised|escalated|cleared|acknowledged>`). Alarms still open in the store
are resumed after a restart, so none is raised twice; a sensor with readings before is known, so
only a sensor never seen gets the start-up hold. The devices' frame counters (undecodable vs good,
over the last `FRAME_WINDOW`) degrade the sensors of a device that mostly sends garbage. A truck
compartment is watched while it holds crates (floor's loading and delivery scans), unless the floor
has never recorded a load into it: then it is watched all the time, as a room is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from edge.domain.coldchain.alarm_engine import AlarmKind, Change, SensorWatch, Severity, Transition, Window
from edge.domain.problems import InputRejected, Problem
from edge.services.coldchain_assets import AssetInfo, SensorInfo, assets, sensors
from edge.services.telemetry import Sample
from edge.store import Store, Write
from edge.store.db import parse_utc, utc_text
from hq_sync import protocol as hq

SYSTEM_ACTOR = "system:coldchain"
SUPPRESSION_REASONS = ("defrost", "startup", "maintenance")
#: A planned window longer than this is refused: suppression must stay capped.
MAX_WINDOW = dt.timedelta(hours=4)
#: Undecodable frames are judged over this much recent traffic of a device.
FRAME_WINDOW = dt.timedelta(minutes=10)
#: How far back a truck compartment's loads are read (a trip is shorter than this).
LOAD_HORIZON = dt.timedelta(days=2)
OPEN_END = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def loaded_windows(store: Store, compartment_id: str, since: dt.datetime) -> list[Window]:
    """When the compartment held crates: from each crate's loading scan to its next scan (handoff,
    or moved elsewhere), merged; a crate still inside keeps the window open."""
    rows = store.conn.execute(
        "SELECT s.scanned_at, (SELECT min(n.scanned_at) FROM crate_scans n WHERE n.sscc = s.sscc"
        "  AND n.scanned_at > s.scanned_at) FROM crate_scans s WHERE s.kind = 'loaded'"
        " AND s.compartment_id = ? AND s.scanned_at >= ? ORDER BY s.scanned_at",
        (compartment_id, utc_text(since)))
    merged: list[Window] = []
    for loaded_at, left_at in rows:
        start, end = parse_utc(loaded_at), parse_utc(left_at) if left_at else OPEN_END
        if merged and start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(end, merged[-1].end), "loaded")
        else:
            merged.append(Window(start, end, "loaded"))
    return merged


class AlarmNotFound(LookupError):
    """No alarm with that id."""


class AlarmAlreadyAcknowledged(ValueError):
    """The alarm was acknowledged before; the first acknowledgement stands."""


@dataclass(frozen=True)
class AlarmChange:
    """A stored transition: which alarm, on which sensor and asset."""

    alarm_id: int
    asset_id: str
    sensor_id: str
    transition: Transition


def alarm_json(row: Any) -> dict[str, Any]:
    return dict(row)


def _fetch(conn: Any, alarm_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM cold_alarms WHERE alarm_id = ?", (alarm_id,)).fetchone()
    if row is None:
        raise AlarmNotFound(f"no alarm {alarm_id}")
    return alarm_json(row)


def _audit(w: Write, alarm_id: int, transition: str, at: dt.datetime, severity: str, reason: str,
           detail: dict[str, Any]) -> None:
    w.conn.execute(
        "INSERT INTO cold_alarm_audit (alarm_id, transition, at, recorded_at, actor, device_id, severity, reason,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (alarm_id, transition, utc_text(at), w.now_text, w.actor, w.device_id, severity, reason,
         json.dumps(detail, ensure_ascii=False, default=str)))
    alarm = _fetch(w.conn, alarm_id)
    # The node's log only: alarms reach HQ by one path, the uplink (edge.services.uplink_feed).
    w.log(f"coldchain.alarm.{transition}", f"alarm:{alarm_id}", {**alarm, "transition": transition}, occurred_at=at)


def record(w: Write, sensor: SensorInfo, t: Transition) -> int:
    """Store one transition of the state machine inside an open write."""
    conn = w.conn
    peak_at = utc_text(t.peak_at) if t.peak_at else None
    if t.change is Change.RAISED:
        cur = conn.execute(
            "INSERT INTO cold_alarms (asset_id, sensor_id, kind, severity, state, started_at, raised_at, limit_c,"
            " peak_c, peak_at, degree_minutes, detail) VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
            (sensor.asset_id, sensor.sensor_id, t.kind.value, t.severity.value, utc_text(t.started_at),
             utc_text(t.at), t.limit_c, t.peak_c, peak_at, t.degree_minutes, t.detail))
        alarm_id = int(cur.lastrowid or 0)
    else:
        found = conn.execute("SELECT alarm_id FROM cold_alarms WHERE sensor_id = ? AND kind = ? AND state = 'active'",
                             (sensor.sensor_id, t.kind.value)).fetchone()
        if found is None:  # cleared by hand or lost: nothing open to change
            return 0
        alarm_id = int(found[0])
        state_sql = ", state = 'cleared', cleared_at = ?" if t.change is Change.CLEARED else ", cleared_at = ?"
        cleared_at = utc_text(t.at) if t.change is Change.CLEARED else None
        conn.execute(
            f"UPDATE cold_alarms SET severity = ?, peak_c = coalesce(?, peak_c), peak_at = coalesce(?, peak_at),"
            f" degree_minutes = max(degree_minutes, ?){state_sql} WHERE alarm_id = ?",
            (t.severity.value, t.peak_c, peak_at, t.degree_minutes, cleared_at, alarm_id))
    _audit(w, alarm_id, t.change.value, t.at, t.severity.value, t.detail,
           {"peak_c": t.peak_c, "degree_minutes": t.degree_minutes, "duration_s": t.duration_s})
    return alarm_id


def _open_transitions(store: Store, sensor_id: str) -> list[Transition]:
    rows = store.conn.execute("SELECT * FROM cold_alarms WHERE sensor_id = ? AND state = 'active'", (sensor_id,))
    return [Transition(AlarmKind(r["kind"]), Change.RAISED, parse_utc(r["raised_at"]), Severity(r["severity"]),
                       parse_utc(r["started_at"]), r["limit_c"], r["peak_c"],
                       parse_utc(r["peak_at"]) if r["peak_at"] else None, r["degree_minutes"], r["detail"])
            for r in rows]


def windows(store: Store, asset_id: str, since: dt.datetime) -> list[Window]:
    rows = store.conn.execute("SELECT starts_at, ends_at, reason FROM cold_suppressions WHERE asset_id = ?"
                              " AND ends_at > ? ORDER BY starts_at", (asset_id, utc_text(since)))
    return [Window(parse_utc(a), parse_utc(b), reason) for a, b, reason in rows]


class AlarmMonitor:
    """The running alarm engine of the node (one per process; not thread-safe: call from one task)."""

    def __init__(self, store: Store, now: dt.datetime) -> None:
        self.store = store
        self.watches: dict[str, SensorWatch] = {}
        self.sensors: dict[str, SensorInfo] = {}
        self.assets: dict[str, AssetInfo] = {}
        self._frames: dict[str, deque[tuple[dt.datetime, int, int]]] = {}
        self._ever_loaded: set[str] = set()
        self.reload(now)

    def reload(self, now: dt.datetime) -> None:
        """Pick up configuration changes: new sensors start (with their start-up suppression), rules update."""
        self.assets, self.sensors = assets(self.store), sensors(self.store)
        for sensor_id, sensor in self.sensors.items():
            rule = self.assets[sensor.asset_id].rule
            watch = self.watches.get(sensor_id)
            if watch is None:
                newest = self.store.scalar("SELECT max(event_time) FROM cold_readings WHERE sensor_id = ?"
                                           " AND temperature_c IS NOT NULL", (sensor_id,))
                watch = self.watches[sensor_id] = SensorWatch(rule, started_at=now, known=newest is not None)
                watch.resume(_open_transitions(self.store, sensor_id), parse_utc(newest) if newest else None)
            watch.rule = rule
        for gone in set(self.watches) - set(self.sensors):
            del self.watches[gone]
        self._load_state(now)

    def _load_state(self, now: dt.datetime) -> None:
        """Each truck compartment's loaded windows (rooms and never-loaded compartments: always watched)."""
        windows_of: dict[str, list[Window] | None] = {}
        for asset in self.assets.values():
            if asset.kind != "truck_compartment":
                continue
            if asset.asset_id not in self._ever_loaded and self.store.scalar(
                    "SELECT 1 FROM crate_scans WHERE compartment_id = ? AND kind = 'loaded' LIMIT 1",
                    (asset.asset_id,)):
                self._ever_loaded.add(asset.asset_id)
            if asset.asset_id in self._ever_loaded:
                windows_of[asset.asset_id] = loaded_windows(self.store, asset.asset_id, now - LOAD_HORIZON)
        for sensor_id, watch in self.watches.items():
            watch.loaded = windows_of.get(self.sensors[sensor_id].asset_id)

    def observe(self, samples: Sequence[Sample], now: dt.datetime) -> list[AlarmChange]:
        """Feed accepted samples (any order: sorted here by event time per sensor)."""
        if not samples:
            return []
        self._load_state(now)
        since = min(s.event_time for s in samples)
        asset_windows: dict[str, list[Window]] = {}
        found: list[tuple[SensorInfo, Transition]] = []
        for sample in sorted(samples, key=lambda s: (s.sensor_id, s.event_time)):
            watch, sensor = self.watches.get(sample.sensor_id), self.sensors.get(sample.sensor_id)
            if watch is None or sensor is None:
                continue
            if sensor.asset_id not in asset_windows:
                asset_windows[sensor.asset_id] = windows(self.store, sensor.asset_id, since)
            temp = None if sample.temperature_c is None else sample.temperature_c + sensor.calibration_offset_c
            for t in watch.observe(sample.event_time, temp, sample.door_open, asset_windows[sensor.asset_id]):
                found.append((sensor, t))
        return self._persist(found, now)

    def tick(self, now: dt.datetime) -> list[AlarmChange]:
        """Timers that fire without readings (levels on the held value, heartbeats, door limits), at their times."""
        self._load_state(now)
        found = []
        for sid, watch in self.watches.items():
            sensor = self.sensors[sid]
            found += [(sensor, t) for t in watch.check(now, windows(self.store, sensor.asset_id, now))]
        return self._persist(found, now)

    def frames(self, counters: Iterable[tuple[str, int, int]], now: dt.datetime) -> list[AlarmChange]:
        """The devices' cumulative (device_id, good frames, undecodable frames): a device whose recent
        traffic is mostly undecodable degrades its sensors, with the count as the reason."""
        found = []
        for device_id, good, bad in counters:
            history = self._frames.setdefault(device_id, deque())
            history.append((now, good, bad))
            while len(history) > 2 and now - history[1][0] >= FRAME_WINDOW:
                history.popleft()
            _, good0, bad0 = history[0]
            if good < good0 or bad < bad0:  # the counters restarted
                history.clear()
                history.append((now, good, bad))
                continue
            if good == good0:  # nothing decoded lately: that is a silent sensor, not a degraded one
                continue
            for sensor in self.sensors.values():
                if sensor.device_id == device_id and sensor.sensor_id in self.watches:
                    found += [(sensor, t) for t in self.watches[sensor.sensor_id].frames(now, good - good0, bad - bad0)]
        return self._persist(found, now)

    def _persist(self, found: list[tuple[SensorInfo, Transition]], now: dt.datetime) -> list[AlarmChange]:
        if not found:
            return []
        out = []
        with self.store.write(SYSTEM_ACTOR, now) as w:
            for sensor, t in found:
                alarm_id = record(w, sensor, t)
                if alarm_id:
                    out.append(AlarmChange(alarm_id, sensor.asset_id, sensor.sensor_id, t))
        return out


def acknowledge(store: Store, alarm_id: int, *, actor: str, reason: str, now: dt.datetime,
                device_id: str | None = None) -> dict[str, Any]:
    """A person takes note of an alarm and says why/what was done (HACCP corrective action)."""
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InputRejected([Problem("reason", "say what was done, in 1 to 500 characters")], "acknowledgement")
    with store.write(actor, now, device_id) as w:
        alarm = _fetch(w.conn, alarm_id)
        if alarm["acknowledged_at"]:
            raise AlarmAlreadyAcknowledged(
                f"alarm {alarm_id} was acknowledged by {alarm['acknowledged_by']} at {alarm['acknowledged_at']}")
        w.conn.execute("UPDATE cold_alarms SET acknowledged_at = ?, acknowledged_by = ?, ack_reason = ?"
                       " WHERE alarm_id = ?", (w.now_text, actor, reason, alarm_id))
        _audit(w, alarm_id, "acknowledged", now, alarm["severity"], reason, {})
        return _fetch(w.conn, alarm_id)


def list_alarms(store: Store, *, open_only: bool = True, asset_id: str | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    """Alarms newest first; open = active or not yet acknowledged (what the supervisor must see)."""
    where, params = [], []
    if open_only:
        where.append("(state = 'active' OR acknowledged_at IS NULL)")
    if asset_id:
        where.append("asset_id = ?")
        params.append(asset_id)
    sql = "SELECT * FROM cold_alarms" + (" WHERE " + " AND ".join(where) if where else "")
    return store.query(sql + " ORDER BY raised_at DESC, alarm_id DESC LIMIT ?", (*params, limit))


def audit_trail(store: Store, alarm_id: int) -> list[dict[str, Any]]:
    _fetch(store.conn, alarm_id)
    return store.query("SELECT * FROM cold_alarm_audit WHERE alarm_id = ? ORDER BY audit_id", (alarm_id,))


def add_suppression(store: Store, asset_id: str, reason: str, starts_at: dt.datetime, ends_at: dt.datetime, *,
                    actor: str, now: dt.datetime, note: str = "", device_id: str | None = None) -> int:
    """Plan a window (defrost, start-up, maintenance) in which temperature alarms wait; capped at MAX_WINDOW."""
    problems = []
    if reason not in SUPPRESSION_REASONS:
        problems.append(Problem("reason", f"use one of {', '.join(SUPPRESSION_REASONS)}"))
    if ends_at <= starts_at:
        problems.append(Problem("ends_at", "must be after starts_at"))
    elif ends_at - starts_at > MAX_WINDOW:
        problems.append(Problem("ends_at", f"a suppression window may last at most {MAX_WINDOW}"))
    if store.scalar("SELECT 1 FROM cold_assets WHERE asset_id = ?", (asset_id,)) is None:
        problems.append(Problem("asset_id", f"unknown asset {asset_id!r}"))
    if problems:
        raise InputRejected(problems, "suppression window")
    with store.write(actor, now, device_id) as w:
        cur = w.conn.execute(
            "INSERT INTO cold_suppressions (asset_id, reason, starts_at, ends_at, note, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (asset_id, reason, utc_text(starts_at), utc_text(ends_at), note, actor, w.now_text))
        window_id = int(cur.lastrowid or 0)
        w.emit(hq.SuppressionAddedPayload.model_validate(
            {"window_id": window_id, "asset_id": asset_id, "reason": reason, "starts_at": starts_at,
             "ends_at": ends_at, "note": note}), f"asset:{asset_id}")
    return window_id
