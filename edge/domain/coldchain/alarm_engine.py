"""The alarm state machine for one sensor, driven by event times (no clock of its own).

Temperature alarms follow validated monitoring practice (levels.py):
- each `Level` of the rule is a threshold with its own delay (`beyond_c` K out of band,
  continuously and unsuppressed, for `for_s`) or a dose (`degree_minutes` beyond the limit);
  the first level reached raises the alarm, a higher severity escalates it;
- an excursion ends only past a hysteresis (`T < high - hysteresis`, `T > low + hysteresis`)
  held for `verify_normal_s`, so a reading wobbling on the limit neither flaps nor resets the dose;
- suppression (start-up of a sensor never seen before, defrost and other windows, an open door
  up to `door_limit_s` plus a recovery after it closes) stops the delay timers and the dose count;
  an alarm already raised stays raised.
Timers run between readings as well (`advance`): a level's delay, the heartbeat, the door limit
and the verify-normal time fire at their own event time, on the last value held for at most
the heartbeat, so a replay of readings gives exactly the times the live node gives.
A sensor that sends no valid temperature for `heartbeat_s` raises `sensor_silent`; a door left
open past its limit raises `door_open`; a sensor whose values are implausible (a jump, a stuck
value) or whose frames are mostly undecodable raises `sensor_degraded` with the reason.
A truck compartment is watched only while it holds goods (`loaded`: from the first crate loaded
to the last handoff): an empty truck raises nothing, and its open alarms clear when it empties.
Readings older than the last one seen are stored by the caller but do not move this machine back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, partial

from edge.domain.coldchain.bands import Band
from edge.domain.coldchain.levels import Level, Severity, class_levels

__all__ = ["AlarmKind", "AlarmRule", "Change", "Level", "QualityRule", "SensorWatch", "Severity", "Transition",
           "Window"]


class AlarmKind(StrEnum):
    TEMP_HIGH = "temp_high"
    TEMP_LOW = "temp_low"
    SENSOR_SILENT = "sensor_silent"
    DOOR_OPEN = "door_open"
    SENSOR_DEGRADED = "sensor_degraded"


class Change(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    CLEARED = "cleared"


@dataclass(frozen=True)
class QualityRule:
    """When a sensor's data stops being trustworthy: a jump no air can make, a value stuck for
    hours (a frozen probe, a gateway repeating its cache), or too many undecodable frames."""

    jump_c: float = 10.0
    jump_within_s: float = 120.0
    jump_recover_s: float = 1800.0
    stuck_s: float = 6 * 3600.0
    stuck_readings: int = 30
    undecodable_ratio: float = 0.1
    undecodable_min_frames: int = 20


@dataclass(frozen=True)
class AlarmRule:
    """Levels and timers for one asset's sensors (seconds, kelvin)."""

    band: Band
    levels: tuple[Level, ...] = class_levels("chilled")
    verify_normal_s: float = 300.0
    hysteresis_c: float = 1.0
    heartbeat_s: float = 300.0
    startup_s: float = 600.0
    door_limit_s: float = 600.0
    door_recovery_s: float = 300.0
    quality: QualityRule = QualityRule()

    def __post_init__(self) -> None:
        for name in ("verify_normal_s", "hysteresis_c", "startup_s", "door_limit_s", "door_recovery_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"alarm rule {name} must not be negative")
        if self.heartbeat_s <= 0:
            raise ValueError("alarm rule heartbeat_s must be positive")
        if not self.levels:
            raise ValueError("alarm rule needs at least one level")


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
    """An out-of-band run, kept through brief returns inside the hysteresis, until it ends."""

    kind: AlarmKind
    started_at: dt.datetime
    limit_c: float
    peak_c: float
    peak_at: dt.datetime
    degree_minutes: float = 0.0
    counted_dm: float = 0.0
    since: dict[int, dt.datetime] = field(default_factory=dict)
    severity: Severity | None = None
    normal_since: dt.datetime | None = None

    def record(self, change: Change, at: dt.datetime, detail: str = "", dm: float | None = None) -> Transition:
        assert self.severity is not None
        dose = self.degree_minutes if dm is None else dm
        return Transition(self.kind, change, at, self.severity, self.started_at, self.limit_c, self.peak_c,
                          self.peak_at, round(dose, 6), detail)


@dataclass
class _Held:
    """The last valid reading, standing for at most the heartbeat."""

    at: dt.datetime
    temp_c: float
    excess: float
    suppressed: bool


#: A due timer's action, called with its due time.
_Fire = Callable[[dt.datetime], list[Transition]]


@lru_cache(maxsize=256)  # the same few timer lengths, asked for on every reading
def _seconds(s: float) -> dt.timedelta:
    return dt.timedelta(seconds=s)


@dataclass
class SensorWatch:
    """Alarm state of one sensor. `observe` takes readings in event-time order, `check` the clock.

    `known=True` (a sensor with readings before, e.g. after a node restart) skips start-up suppression."""

    rule: AlarmRule
    started_at: dt.datetime
    known: bool = False
    last_at: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    episode: _Episode | None = None
    held: _Held | None = None
    door_open_since: dt.datetime | None = None
    door_recovery_until: dt.datetime | None = None
    raised: dict[AlarmKind, Transition] = field(default_factory=dict)
    degraded: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)
    _same: tuple[float, dt.datetime, int] | None = None
    _last: tuple[dt.datetime, float] | None = None
    #: When the asset holds goods (None: always, as rooms and freezers do).
    loaded: list[Window] | None = None
    #: The latest event time this machine has reached (readings and timers).
    _clock: dt.datetime | None = None
    #: A new sensor's first reading: its start-up hold runs from there (a probe settling in).
    _first_at: dt.datetime | None = None

    def watching(self, at: dt.datetime) -> bool:
        return self.loaded is None or any(w.covers(at) for w in self.loaded)

    def resume(self, open_alarms: Iterable[Transition], last_seen: dt.datetime | None = None) -> None:
        """Carry alarms still open in the store over a restart, so they are not raised twice."""
        if last_seen is not None:
            self.last_seen = self.last_at = last_seen
        for alarm in open_alarms:
            self.raised[alarm.kind] = alarm
            if alarm.kind in (AlarmKind.TEMP_HIGH, AlarmKind.TEMP_LOW):
                self.episode = _Episode(alarm.kind, alarm.started_at, alarm.limit_c or 0.0,
                                        alarm.peak_c if alarm.peak_c is not None else alarm.limit_c or 0.0,
                                        alarm.peak_at or alarm.started_at, alarm.degree_minutes,
                                        alarm.degree_minutes, severity=alarm.severity)
            elif alarm.kind is AlarmKind.SENSOR_DEGRADED:
                self.degraded["resumed"] = (alarm.started_at, alarm.detail)

    def suppression(self, at: dt.datetime, windows: Iterable[Window] = ()) -> str | None:
        """Why alarms are held back at `at`, or None."""
        first = self._first_at or at
        if not self.known and at < first + _seconds(self.rule.startup_s):
            return "startup"
        for window in windows:
            if window.covers(at):
                return window.reason
        if self.door_open_since is not None and at - self.door_open_since < _seconds(self.rule.door_limit_s):
            return "door_open"
        if self.door_recovery_until is not None and at < self.door_recovery_until:
            return "door_recovery"
        return None

    def observe(self, at: dt.datetime, temp_c: float | None, door_open: bool | None = None,
                windows: Iterable[Window] = ()) -> list[Transition]:
        """Feed one reading (`temp_c` None = no valid value); returns the transitions it caused,
        the timers that fell due since the previous reading first."""
        if self.last_at is not None and at <= self.last_at:
            return []
        windows = list(windows)
        out = self.advance(at, windows, inclusive=False)
        self.last_at = self._clock = at
        self._first_at = self._first_at or at
        if not self.watching(at):  # an empty compartment: nothing to protect, nothing to alarm
            if temp_c is not None:
                self.last_seen, self.held = at, None
            return out + self._unload(at)
        out += self._door(at, door_open)
        if temp_c is None:
            return out
        self.last_seen = at
        silent = self.raised.pop(AlarmKind.SENSOR_SILENT, None)
        if silent is not None:
            out.append(Transition(AlarmKind.SENSOR_SILENT, Change.CLEARED, max(at, silent.at), silent.severity,
                                  silent.started_at, detail="readings resumed"))
        jumped = self._jumped(at, temp_c)
        out += self._quality(at, temp_c, jumped)
        if not jumped:  # a lone jump is quarantined; the next reading near it confirms it
            out += self._temperature(at, temp_c, self.suppression(at, windows))
        return out

    def check(self, now: dt.datetime, windows: Iterable[Window] = ()) -> list[Transition]:
        """The clock's tick: every timer due up to `now` fires at its own time."""
        return self.advance(now, list(windows), inclusive=True)

    def frames(self, at: dt.datetime, good: int, bad: int) -> list[Transition]:
        """The device's recent frame counts: too many undecodable ones degrade the sensor."""
        q = self.rule.quality
        total = good + bad
        if total >= q.undecodable_min_frames and bad / total > q.undecodable_ratio:
            return self._degrade(at, "frames", f"{bad} of {total} frames undecodable or unanswered")
        if total >= q.undecodable_min_frames:
            return self._restore(at, "frames")
        return []

    # -- timers -----------------------------------------------------------------------------------

    def advance(self, until: dt.datetime, windows: list[Window], *, inclusive: bool) -> list[Transition]:
        """Fire, in time order, every timer due before `until` (or at it, if `inclusive`)."""
        out: list[Transition] = []
        for _ in range(64):  # each firing removes its timer; a handful at most are ever pending
            due = self._next_due(windows)
            if due is None or due[0] > until or (due[0] == until and not inclusive):
                break
            self._clock = max(self._clock or due[0], due[0])
            out += due[1](due[0])
        return out

    def _next_due(self, windows: list[Window]) -> tuple[dt.datetime, _Fire] | None:
        rule = self.rule
        found: list[tuple[dt.datetime, _Fire]] = []
        if AlarmKind.SENSOR_SILENT not in self.raised and (beat := self._heartbeat_due()) is not None:
            found.append((beat, self._fire_silent))
        if self.loaded is not None and (self.episode is not None or AlarmKind.SENSOR_SILENT in self.raised):
            emptied = self._emptied_at()
            if emptied is not None:
                found.append((emptied, self._unload))
        if self.door_open_since is not None and AlarmKind.DOOR_OPEN not in self.raised:
            found.append((self.door_open_since + _seconds(rule.door_limit_s), self._door_limit))
        jump = self.degraded.get("jump")
        if jump is not None:
            found.append((jump[0] + _seconds(rule.quality.jump_recover_s), partial(self._restore, reason="jump")))
        episode, held = self.episode, self.held
        if episode is not None and held is not None:
            fresh_until = held.at + _seconds(rule.heartbeat_s)
            for due in self._level_dues(episode, held, windows):
                if due <= fresh_until:
                    found.append((due, partial(self._timer_levels, windows=windows)))
            if episode.severity is not None and episode.normal_since is not None:
                due = episode.normal_since + _seconds(rule.verify_normal_s)
                if due <= fresh_until:
                    found.append((due, self._timer_clear))
        return min(found, key=lambda f: f[0]) if found else None

    def _level_dues(self, episode: _Episode, held: _Held, windows: list[Window]) -> list[dt.datetime]:
        rank = -1 if episode.severity is None else episode.severity.rank
        dues = []
        for i, level in enumerate(self.rule.levels):
            if level.severity.rank <= rank:
                continue
            if level.for_s is not None and i in episode.since:
                dues.append(episode.since[i] + _seconds(level.for_s))
            elif level.degree_minutes is not None and held.excess and not held.suppressed \
                    and self._same_side(episode, held.excess):
                needed_s = max(0.0, level.degree_minutes - episode.counted_dm) / (abs(held.excess) / 60.0)
                if needed_s <= self.rule.heartbeat_s:  # later, the held value is unknown (1e-300 K never gets there)
                    dues.append(held.at + dt.timedelta(seconds=needed_s))
        return dues

    def _heartbeat_due(self) -> dt.datetime | None:
        """Heartbeat from the last valid reading, counted only while the asset holds goods."""
        base, beat = self.last_seen or self.started_at, _seconds(self.rule.heartbeat_s)
        if self.loaded is None:
            return base + beat
        for w in sorted(self.loaded, key=lambda w: w.start):
            start = max(base, w.start)
            if w.end > base and start + beat < w.end:
                return start + beat
        return None

    def _emptied_at(self) -> dt.datetime | None:
        """When the load the machine last saw left the compartment (None: still loaded, as far as known)."""
        ref = self._clock or self.last_at or self.started_at
        current = [w for w in self.loaded or () if w.covers(ref)]
        if not current:
            return ref
        end = max(w.end for w in current)
        return None if end.year >= 9999 else end

    def _unload(self, at: dt.datetime) -> list[Transition]:
        """The last handoff: open temperature and silence alarms clear, the excursion ends."""
        out = self._end(at, "compartment emptied (last handoff)") if self.episode is not None else []
        self.episode, self.held = None, None
        silent = self.raised.pop(AlarmKind.SENSOR_SILENT, None)
        if silent is not None:
            out.append(Transition(AlarmKind.SENSOR_SILENT, Change.CLEARED, max(at, silent.at), silent.severity,
                                  silent.started_at, detail="compartment emptied (last handoff)"))
        return out

    def _timer_levels(self, at: dt.datetime, *, windows: list[Window]) -> list[Transition]:
        episode = self.episode
        assert episode is not None and self.held is not None
        if self.suppression(at, windows):  # suppression began while the value was held: the timers stop
            episode.since.clear()
            self.held.suppressed = True
            return []
        dm, counted = self._dose(at)
        return self._levels(episode, at, counted, dm)

    def _timer_clear(self, at: dt.datetime) -> list[Transition]:
        return self._end(at, f"back within band past {self.rule.hysteresis_c:g} K hysteresis", self._dose(at)[0])

    def _fire_silent(self, at: dt.datetime) -> list[Transition]:
        since = self.last_seen or self.started_at
        detail = f"no valid reading since {since.isoformat()}" if self.last_seen else "no reading yet"
        t = Transition(AlarmKind.SENSOR_SILENT, Change.RAISED, at, Severity.WARNING, since, detail=detail)
        self.raised[t.kind] = t
        return [t]

    # -- door -------------------------------------------------------------------------------------

    def _door(self, at: dt.datetime, door_open: bool | None) -> list[Transition]:
        if door_open is True and self.door_open_since is None:
            self.door_open_since, self.door_recovery_until = at, None
        elif door_open is False and self.door_open_since is not None:
            if at - self.door_open_since < _seconds(self.rule.door_limit_s):
                self.door_recovery_until = at + _seconds(self.rule.door_recovery_s)
            self.door_open_since = None
            alarm = self.raised.pop(AlarmKind.DOOR_OPEN, None)
            if alarm is not None:
                return [Transition(AlarmKind.DOOR_OPEN, Change.CLEARED, at, alarm.severity, alarm.started_at,
                                   detail="door closed")]
        return self._door_limit(at)

    def _door_limit(self, now: dt.datetime) -> list[Transition]:
        since = self.door_open_since
        if since is None or AlarmKind.DOOR_OPEN in self.raised or now - since < _seconds(self.rule.door_limit_s):
            return []
        t = Transition(AlarmKind.DOOR_OPEN, Change.RAISED, now, Severity.WARNING, since,
                       detail=f"door open longer than {self.rule.door_limit_s:g} s")
        self.raised[t.kind] = t
        return [t]

    # -- data quality -----------------------------------------------------------------------------

    def _jumped(self, at: dt.datetime, temp_c: float) -> bool:
        q, last = self.rule.quality, self._last
        self._last = (at, temp_c)
        return last is not None and (at - last[0]).total_seconds() <= q.jump_within_s \
            and abs(temp_c - last[1]) > q.jump_c

    def _quality(self, at: dt.datetime, temp_c: float, jumped: bool) -> list[Transition]:
        q = self.rule.quality
        out: list[Transition] = []
        if jumped and self.held is not None:
            held = self.held
            out += self._degrade(at, "jump", f"jumped {held.temp_c:g} → {temp_c:g} °C in "
                                             f"{(at - held.at).total_seconds():g} s")
        same = self._same
        if same is not None and same[0] == temp_c:
            value, since, count = same[0], same[1], same[2] + 1
            self._same = (value, since, count)
            if count >= q.stuck_readings and (at - since).total_seconds() >= q.stuck_s:
                out += self._degrade(at, "stuck", f"stuck at {value:g} °C since {since.isoformat()}")
        else:
            self._same = (temp_c, at, 1)
            if self.degraded:
                out += self._restore(at, "stuck")
        if not jumped and self.degraded:  # carried over a restart: a plausible reading ends it (raised again if not)
            out += self._restore(at, "resumed")
        return out

    def _degrade(self, at: dt.datetime, reason: str, detail: str) -> list[Transition]:
        first = not self.degraded
        self.degraded[reason] = (at, detail)
        if not first or AlarmKind.SENSOR_DEGRADED in self.raised:
            return []
        t = Transition(AlarmKind.SENSOR_DEGRADED, Change.RAISED, at, Severity.WARNING, at, detail=detail)
        self.raised[t.kind] = t
        return [t]

    def _restore(self, at: dt.datetime, reason: str) -> list[Transition]:
        if self.degraded.pop(reason, None) is None or self.degraded:
            return []
        alarm = self.raised.pop(AlarmKind.SENSOR_DEGRADED, None)
        if alarm is None:
            return []
        return [Transition(AlarmKind.SENSOR_DEGRADED, Change.CLEARED, max(at, alarm.at), alarm.severity,
                           alarm.started_at, detail=f"{reason} no longer seen")]

    # -- temperature ------------------------------------------------------------------------------

    def _same_side(self, episode: _Episode, excess: float) -> bool:
        return excess != 0 and (excess > 0) == (episode.kind is AlarmKind.TEMP_HIGH)

    def _dose(self, at: dt.datetime) -> tuple[float, float]:
        """The episode's degree-minutes (all, and unsuppressed) with the held value counted up to `at`."""
        episode, held = self.episode, self.held
        if episode is None:
            return 0.0, 0.0
        if held is None or not self._same_side(episode, held.excess):
            return episode.degree_minutes, episode.counted_dm
        seconds = min((at - held.at).total_seconds(), self.rule.heartbeat_s)
        add = abs(held.excess) * max(0.0, seconds) / 60.0
        return episode.degree_minutes + add, episode.counted_dm + (0.0 if held.suppressed else add)

    def _temperature(self, at: dt.datetime, temp_c: float, suppressed: str | None) -> list[Transition]:
        rule = self.rule
        excess = rule.band.excess(temp_c)
        episode = self.episode
        out: list[Transition] = []
        if episode is not None:
            episode.degree_minutes, episode.counted_dm = self._dose(at)
        self.held = _Held(at, temp_c, excess, suppressed is not None)
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
            for i, level in enumerate(rule.levels):
                if level.for_s is None:
                    continue
                if suppressed or abs(excess) < level.beyond_c:
                    episode.since.pop(i, None)
                else:
                    episode.since.setdefault(i, at)
            out += self._levels(episode, at, episode.counted_dm, episode.degree_minutes)
        elif episode is not None:
            episode.since.clear()
            if self._past_hysteresis(episode, temp_c):
                episode.normal_since = episode.normal_since or at
                if at - episode.normal_since >= _seconds(rule.verify_normal_s):
                    out += self._end(at, f"back within band past {rule.hysteresis_c:g} K hysteresis")
            else:
                episode.normal_since = None
        return out

    def _levels(self, episode: _Episode, at: dt.datetime, counted_dm: float, dm: float) -> list[Transition]:
        """Raise at the highest level reached, or escalate to it."""
        reached: Level | None = None
        for i, level in enumerate(self.rule.levels):
            if level.for_s is not None:
                hit = i in episode.since and at - episode.since[i] >= _seconds(level.for_s)
            else:
                hit = counted_dm >= (level.degree_minutes or 0.0) - 1e-6
            if hit and (reached is None or level.severity.rank > reached.severity.rank):
                reached = level
        if reached is None:
            return []
        if episode.severity is None:
            change = Change.RAISED
        elif reached.severity.rank > episode.severity.rank:
            change = Change.ESCALATED
        else:
            return []
        episode.severity = reached.severity
        t = episode.record(change, at, f"{self.rule.band.describe()} {reached.describe()}", dm)
        self.raised[episode.kind] = t
        return [t]

    def _past_hysteresis(self, episode: _Episode, temp_c: float) -> bool:
        if episode.kind is AlarmKind.TEMP_HIGH:
            return temp_c < episode.limit_c - self.rule.hysteresis_c
        return temp_c > episode.limit_c + self.rule.hysteresis_c

    def _end(self, at: dt.datetime, detail: str, dm: float | None = None) -> list[Transition]:
        episode, self.episode = self.episode, None
        if episode is None or episode.severity is None:
            return []
        self.raised.pop(episode.kind, None)
        return [episode.record(Change.CLEARED, at, detail, dm)]
