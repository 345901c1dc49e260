"""The alarm state machine for one sensor, driven by event times (no clock of its own).

Temperature alarms follow controller practice (Dixell/Carel, hardware.md §6.3):
- raise when the temperature is out of band *continuously* for `delay_s` of unsuppressed time;
- clear only past a hysteresis (`T < high - hysteresis`, `T > low + hysteresis`) held for
  `verify_normal_s`, so a reading wobbling on the limit does not flap;
- escalate warning -> critical when far out (`critical_excess_c`) or out for long (`critical_after_s`);
- suppression (start-up, defrost and other windows, an open door up to `door_limit_s` plus a
  recovery after it closes) stops the delay timer; an alarm already raised stays raised.
A sensor that sends no valid temperature for `heartbeat_s` raises its own `sensor_silent` alarm,
and a door left open past its limit raises `door_open`. Readings older than the last one seen
are stored by the caller but do not move this machine backwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from edge.domain.coldchain.bands import Band


class AlarmKind(StrEnum):
    TEMP_HIGH = "temp_high"
    TEMP_LOW = "temp_low"
    SENSOR_SILENT = "sensor_silent"
    DOOR_OPEN = "door_open"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class Change(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    CLEARED = "cleared"


@dataclass(frozen=True)
class AlarmRule:
    """Thresholds and timers for one asset's sensors (seconds, kelvin)."""

    band: Band
    delay_s: float = 900.0
    verify_normal_s: float = 300.0
    hysteresis_c: float = 1.0
    critical_excess_c: float = 5.0
    critical_after_s: float = 3600.0
    heartbeat_s: float = 300.0
    startup_s: float = 600.0
    door_limit_s: float = 600.0
    door_recovery_s: float = 300.0

    def __post_init__(self) -> None:
        for name in ("delay_s", "verify_normal_s", "hysteresis_c", "critical_excess_c", "critical_after_s",
                     "startup_s", "door_limit_s", "door_recovery_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"alarm rule {name} must not be negative")
        if self.heartbeat_s <= 0:
            raise ValueError("alarm rule heartbeat_s must be positive")


@dataclass(frozen=True)
class Window:
    """A suppression window `[start, end)`: defrost, start-up, maintenance, door."""

    start: dt.datetime
    end: dt.datetime
    reason: str

    def covers(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Transition:
    """One change of one alarm, with the excursion's record so far (HACCP: start, peak, degree-minutes)."""

    kind: AlarmKind
    change: Change
    at: dt.datetime
    severity: Severity
    started_at: dt.datetime
    limit_c: float | None = None
    peak_c: float | None = None
    peak_at: dt.datetime | None = None
    degree_minutes: float = 0.0
    detail: str = ""

    @property
    def duration_s(self) -> float:
        return (self.at - self.started_at).total_seconds()


@dataclass
class _Episode:
    """An out-of-band run, extended while its alarm is active, until the alarm clears."""

    kind: AlarmKind
    started_at: dt.datetime
    limit_c: float
    peak_c: float
    peak_at: dt.datetime
    degree_minutes: float = 0.0
    timer_since: dt.datetime | None = None
    severity: Severity | None = None
    normal_since: dt.datetime | None = None

    def record(self, change: Change, at: dt.datetime, detail: str = "") -> Transition:
        assert self.severity is not None
        return Transition(self.kind, change, at, self.severity, self.started_at, self.limit_c, self.peak_c,
                          self.peak_at, round(self.degree_minutes, 6), detail)


@dataclass
class SensorWatch:
    """Alarm state of one sensor. `observe` takes readings in event-time order, `check` takes the clock."""

    rule: AlarmRule
    started_at: dt.datetime
    last_at: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    episode: _Episode | None = None
    _prev: tuple[dt.datetime, float] | None = None
    door_open_since: dt.datetime | None = None
    door_recovery_until: dt.datetime | None = None
    raised: dict[AlarmKind, Transition] = field(default_factory=dict)

    def resume(self, open_alarms: Iterable[Transition]) -> None:
        """Carry alarms still open in the store over a restart, so they are not raised twice."""
        for alarm in open_alarms:
            self.raised[alarm.kind] = alarm
            if alarm.kind in (AlarmKind.TEMP_HIGH, AlarmKind.TEMP_LOW):
                self.episode = _Episode(alarm.kind, alarm.started_at, alarm.limit_c or 0.0,
                                        alarm.peak_c if alarm.peak_c is not None else alarm.limit_c or 0.0,
                                        alarm.peak_at or alarm.started_at, alarm.degree_minutes,
                                        severity=alarm.severity)

    def suppression(self, at: dt.datetime, windows: Iterable[Window] = ()) -> str | None:
        """Why alarms are held back at `at`, or None."""
        if at < self.started_at + dt.timedelta(seconds=self.rule.startup_s):
            return "startup"
        for window in windows:
            if window.covers(at):
                return window.reason
        door_limit = dt.timedelta(seconds=self.rule.door_limit_s)
        if self.door_open_since is not None and at - self.door_open_since < door_limit:
            return "door_open"
        if self.door_recovery_until is not None and at < self.door_recovery_until:
            return "door_recovery"
        return None

    def observe(self, at: dt.datetime, temp_c: float | None, door_open: bool | None = None,
                windows: Iterable[Window] = ()) -> list[Transition]:
        """Feed one reading (`temp_c` None = no valid value); returns the transitions it caused."""
        if self.last_at is not None and at <= self.last_at:
            return []
        self.last_at = at
        out = self._door(at, door_open)
        if temp_c is None:
            return out
        self.last_seen = at
        silent = self.raised.pop(AlarmKind.SENSOR_SILENT, None)
        if silent is not None:
            out.append(Transition(AlarmKind.SENSOR_SILENT, Change.CLEARED, at, silent.severity, silent.started_at,
                                  detail="readings resumed"))
        out += self._temperature(at, temp_c, self.suppression(at, windows))
        return out

    def check(self, now: dt.datetime) -> list[Transition]:
        """Timers that run without readings: the heartbeat and the door limit."""
        out = []
        silent_since = self.last_seen or self.started_at
        if (AlarmKind.SENSOR_SILENT not in self.raised
                and now - silent_since >= dt.timedelta(seconds=self.rule.heartbeat_s)):
            detail = f"no valid reading since {silent_since.isoformat()}" if self.last_seen else "no reading yet"
            t = Transition(AlarmKind.SENSOR_SILENT, Change.RAISED, now, Severity.WARNING, silent_since, detail=detail)
            self.raised[t.kind] = t
            out.append(t)
        out += self._door_limit(now)
        return out

    def _door(self, at: dt.datetime, door_open: bool | None) -> list[Transition]:
        if door_open is True and self.door_open_since is None:
            self.door_open_since, self.door_recovery_until = at, None
        elif door_open is False and self.door_open_since is not None:
            if at - self.door_open_since < dt.timedelta(seconds=self.rule.door_limit_s):
                self.door_recovery_until = at + dt.timedelta(seconds=self.rule.door_recovery_s)
            self.door_open_since = None
            alarm = self.raised.pop(AlarmKind.DOOR_OPEN, None)
            if alarm is not None:
                return [Transition(AlarmKind.DOOR_OPEN, Change.CLEARED, at, alarm.severity, alarm.started_at,
                                   detail="door closed")]
        return self._door_limit(at)

    def _door_limit(self, now: dt.datetime) -> list[Transition]:
        since = self.door_open_since
        if (since is None or AlarmKind.DOOR_OPEN in self.raised
                or now - since < dt.timedelta(seconds=self.rule.door_limit_s)):
            return []
        t = Transition(AlarmKind.DOOR_OPEN, Change.RAISED, now, Severity.WARNING, since,
                       detail=f"door open longer than {self.rule.door_limit_s:g} s")
        self.raised[t.kind] = t
        return [t]

    def _temperature(self, at: dt.datetime, temp_c: float, suppressed: str | None) -> list[Transition]:
        rule = self.rule
        excess = rule.band.excess(temp_c)
        episode = self.episode
        out: list[Transition] = []
        if episode is not None and self._prev is not None:
            prev_at, prev_excess = self._prev
            held = min((at - prev_at).total_seconds(), rule.heartbeat_s)
            if (prev_excess > 0) == (episode.kind is AlarmKind.TEMP_HIGH) and prev_excess != 0:
                episode.degree_minutes += abs(prev_excess) * held / 60.0
        self._prev = (at, excess)
        kind = AlarmKind.TEMP_HIGH if excess > 0 else AlarmKind.TEMP_LOW
        if excess != 0 and episode is not None and episode.kind is not kind:
            out += self._end(at, "out of band on the other side")
            episode = None
        if excess != 0:
            if episode is None:
                limit = rule.band.high_c if excess > 0 else rule.band.low_c
                assert limit is not None
                episode = self.episode = _Episode(kind, at, limit, temp_c, at)
            if abs(temp_c - episode.limit_c) > abs(episode.peak_c - episode.limit_c):
                episode.peak_c, episode.peak_at = temp_c, at
            episode.normal_since = None
            if suppressed:
                episode.timer_since = None
            elif episode.timer_since is None:
                episode.timer_since = at
            out += self._raise_or_escalate(episode, at, abs(excess))
        elif episode is not None:
            if episode.severity is None:
                self.episode = None
            elif self._past_hysteresis(episode, temp_c):
                episode.normal_since = episode.normal_since or at
                if at - episode.normal_since >= dt.timedelta(seconds=rule.verify_normal_s):
                    out += self._end(at, f"back within band past {rule.hysteresis_c:g} K hysteresis")
            else:
                episode.normal_since = None
        return out

    def _raise_or_escalate(self, episode: _Episode, at: dt.datetime, excess: float) -> list[Transition]:
        rule = self.rule
        critical = (excess >= rule.critical_excess_c
                    or at - episode.started_at >= dt.timedelta(seconds=rule.critical_after_s))
        if episode.severity is None:
            if episode.timer_since is None or at - episode.timer_since < dt.timedelta(seconds=rule.delay_s):
                return []
            episode.severity = Severity.CRITICAL if critical else Severity.WARNING
            t = episode.record(Change.RAISED, at, f"out of band {rule.band.describe()} for {rule.delay_s:g} s")
        elif episode.severity is Severity.WARNING and critical:
            episode.severity = Severity.CRITICAL
            t = episode.record(Change.ESCALATED, at, "far or long out of band")
        else:
            return []
        self.raised[episode.kind] = t
        return [t]

    def _past_hysteresis(self, episode: _Episode, temp_c: float) -> bool:
        if episode.kind is AlarmKind.TEMP_HIGH:
            return temp_c < episode.limit_c - self.rule.hysteresis_c
        return temp_c > episode.limit_c + self.rule.hysteresis_c

    def _end(self, at: dt.datetime, detail: str) -> list[Transition]:
        episode, self.episode = self.episode, None
        if episode is None or episode.severity is None:
            return []
        self.raised.pop(episode.kind, None)
        return [episode.record(Change.CLEARED, at, detail)]
