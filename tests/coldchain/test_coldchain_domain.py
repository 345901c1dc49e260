"""Pure cold-chain rules against the worked values of hardware.md §6.1 and §7.7."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.coldchain.alarm_engine import (
    AlarmKind,
    AlarmRule,
    Change,
    Level,
    SensorWatch,
    Severity,
    Transition,
    Window,
)
from edge.domain.coldchain.bands import Band, BandConflict, class_band, effective_band
from edge.domain.coldchain.exposure import hold, summarize
from edge.domain.coldchain.mkt import delta_h_over_r, mean_kinetic_temperature, mkt_equal_intervals

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
#: hardware.md §7.7: 5-min samples of a reefer with a door opening.
SERIES_77 = [(0, 2.1), (5, 2.0), (10, 2.2), (15, 4.6), (20, 6.8), (25, 7.9), (30, 6.1), (35, 4.4),
             (40, 3.2), (45, 2.6), (50, 2.3)]
WARN_15 = (Level(Severity.WARNING, 0.0, 900.0),)
RULE_77 = AlarmRule(Band(0.0, 4.0), WARN_15, verify_normal_s=0, hysteresis_c=1.0, startup_s=0,
                    heartbeat_s=600)


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def feed(watch: SensorWatch, series: Sequence[tuple[float, float]], **kw: Any) -> list[tuple[float, Transition]]:
    out = []
    for minute, temp in series:
        for t in watch.observe(at(minute), temp, **kw):
            out.append(((t.at - T0).total_seconds() / 60, t))
    return out


@pytest.mark.parametrize(("series", "expected"), [
    ([4.0] * 24, 4.000), ([2.0] * 22 + [12.0] * 2, 3.481), ([3, 3, 4, 8, 15, 4], 7.484), ([2, 8] * 12, 5.536),
    ([t for _, t in SERIES_77], 4.277),
])
def test_coldchain_mkt_matches_usp_worked_values(series: list[float], expected: float) -> None:
    assert round(mkt_equal_intervals(series, delta_h_over_r(83.144)), 3) == expected


def test_coldchain_default_activation_energy_gives_ten_thousand_kelvin() -> None:
    assert delta_h_over_r() == pytest.approx(10_000.0, abs=1e-9)
    with pytest.raises(ValueError, match="positive"):
        delta_h_over_r(0)


def test_coldchain_mkt_weights_by_duration() -> None:
    # 22 h at 2 °C and 2 h at 12 °C, as two weighted samples, equals the hourly series.
    assert mean_kinetic_temperature([(22, 2.0), (2, 12.0)]) == pytest.approx(
        mkt_equal_intervals([2.0] * 22 + [12.0] * 2))
    with pytest.raises(ValueError, match="empty"):
        mean_kinetic_temperature([])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-40, max_value=40), min_size=1, max_size=50))
def test_coldchain_mkt_is_at_least_the_mean_and_at_most_the_max(temps: list[float]) -> None:
    mkt = mkt_equal_intervals(temps)
    assert sum(temps) / len(temps) - 1e-9 <= mkt <= max(temps) + 1e-9


def test_coldchain_series_77_raises_at_30_and_clears_at_45_with_49_degree_minutes() -> None:
    watch = SensorWatch(RULE_77, started_at=at(0))
    changes = feed(watch, SERIES_77)
    assert [(m, t.change, t.kind) for m, t in changes] == [
        (30, Change.RAISED, AlarmKind.TEMP_HIGH), (45, Change.CLEARED, AlarmKind.TEMP_HIGH)]
    cleared = changes[1][1]
    assert cleared.peak_c == 7.9 and cleared.peak_at == at(25)
    assert cleared.started_at == at(15)
    assert cleared.degree_minutes == pytest.approx(49.0)
    assert changes[0][1].severity is Severity.WARNING


def test_coldchain_series_77_exposure_summary() -> None:
    samples = [(at(m), t) for m, t in SERIES_77]
    held = hold(samples, at(0), at(55), max_hold_s=300)
    summary = summarize((h, Band(0.0, 4.0)) for h in held)
    assert summary.mean_c == pytest.approx(4.018, abs=5e-4)
    assert summary.mkt_c == pytest.approx(4.277, abs=5e-4)
    assert summary.degree_minutes == pytest.approx(49.0)
    assert summary.above_s == 25 * 60 and summary.below_s == 0
    assert (summary.min_c, summary.max_c) == (2.0, 7.9)


def test_coldchain_hold_caps_gaps_and_clips_to_the_window() -> None:
    samples = [(at(0), 1.0), (at(5), 2.0), (at(60), 3.0)]
    held = hold(samples, at(2), at(62), max_hold_s=600)
    assert [(h.start, h.seconds, h.temp_c) for h in held] == [
        (at(2), 180.0, 1.0), (at(5), 600.0, 2.0), (at(60), 120.0, 3.0)]
    with pytest.raises(ValueError, match="sorted"):
        hold(list(reversed(samples)), at(0), at(60), 600)


def test_coldchain_delay_hysteresis_and_verify_normal_prevent_flapping() -> None:
    rule = AlarmRule(Band(0.0, 4.0), (Level(Severity.WARNING, 0.0, 600.0),), verify_normal_s=600, hysteresis_c=1.0,
                     startup_s=0)
    watch = SensorWatch(rule, started_at=at(0))
    # Wobbling on the limit: never 10 continuous minutes out, no alarm.
    wobble = [(m, 4.5 if m % 10 == 0 else 3.9) for m in range(0, 60, 5)]
    assert feed(watch, wobble) == []
    # Out for good: raised after 10 min; a dip to 3.5 (inside, not past hysteresis) does not clear;
    # 2.5 for 5 min then 4.2 does not clear either (verify-normal 10 min); 2.5 for 10 min clears.
    series = [(60, 6.0), (65, 6.0), (70, 6.0), (75, 3.5), (80, 2.5), (85, 4.2), (90, 2.5), (95, 2.5), (100, 2.5)]
    changes = feed(watch, series)
    assert [(m, t.change) for m, t in changes] == [(70, Change.RAISED), (100, Change.CLEARED)]


def test_coldchain_low_side_and_escalation() -> None:
    rule = AlarmRule(Band(0.0, 2.0), (Level(Severity.WARNING, 0.0, 300.0), Level(Severity.CRITICAL, 3.0, 0.0)),
                     verify_normal_s=0, startup_s=0)
    watch = SensorWatch(rule, started_at=at(0))
    changes = feed(watch, [(0, -0.5), (5, -1.0), (10, -3.5), (15, 1.2)])
    assert [(m, t.kind, t.change, t.severity) for m, t in changes] == [
        (5, AlarmKind.TEMP_LOW, Change.RAISED, Severity.WARNING),
        (10, AlarmKind.TEMP_LOW, Change.ESCALATED, Severity.CRITICAL),
        (15, AlarmKind.TEMP_LOW, Change.CLEARED, Severity.CRITICAL)]


def test_coldchain_suppression_windows_hold_the_delay_timer() -> None:
    rule = AlarmRule(Band(0.0, 4.0), (Level(Severity.WARNING, 0.0, 600.0),), startup_s=600, verify_normal_s=0)
    watch = SensorWatch(rule, started_at=at(0))
    defrost = Window(at(20), at(40), "defrost")
    warm = [(m, 8.0) for m in range(0, 45, 5)]
    # Start-up covers 0-10, then 10-20 unsuppressed raises at 20? No: 10 and 15 count, 20 is defrost.
    changes = feed(watch, warm, windows=[defrost])
    assert changes == []
    # After defrost ends at 40 the timer restarts: raised 10 min later.
    changes = feed(watch, [(45, 8.0), (50, 8.0)], windows=[defrost])
    assert [(m, t.change) for m, t in changes] == [(50, Change.RAISED)]
    assert watch.suppression(at(25), [defrost]) == "defrost"


def test_coldchain_door_open_suppresses_up_to_its_limit_then_alarms() -> None:
    rule = AlarmRule(Band(0.0, 4.0), (Level(Severity.WARNING, 0.0, 300.0),), startup_s=0, door_limit_s=600,
                     door_recovery_s=300, verify_normal_s=0, heartbeat_s=900)
    watch = SensorWatch(rule, started_at=at(0))
    # 5 minutes open, warm, then recovery: no alarm.
    series = [(0, 3.0, False), (1, 6.0, True), (3, 8.0, True), (6, 7.0, False), (8, 5.0, False), (11, 3.5, False)]
    for m, temp, door in series:
        assert watch.observe(at(m), temp, door_open=door) == []
    # Left open: door alarm at the limit, temperature timer starts when suppression ends.
    kinds = []
    for m in range(20, 45):
        kinds += [(m, t.kind, t.change) for t in watch.observe(at(m), 9.0, door_open=True)]
    assert kinds == [(30, AlarmKind.DOOR_OPEN, Change.RAISED), (35, AlarmKind.TEMP_HIGH, Change.RAISED)]
    closed = watch.observe(at(45), 9.0, door_open=False)
    assert [(t.kind, t.change) for t in closed] == [(AlarmKind.DOOR_OPEN, Change.CLEARED)]


def test_coldchain_silent_sensor_raises_once_and_clears_on_the_next_reading() -> None:
    watch = SensorWatch(AlarmRule(Band(0.0, 4.0), heartbeat_s=300, startup_s=0), started_at=at(0))
    watch.observe(at(0), 2.0)
    assert watch.check(at(4)) == []
    raised = watch.check(at(5))
    assert [(t.kind, t.change) for t in raised] == [(AlarmKind.SENSOR_SILENT, Change.RAISED)]
    assert watch.check(at(9)) == []
    # A fault reading (no value) does not count as a heartbeat.
    assert watch.observe(at(10), None) == []
    cleared = watch.observe(at(11), 2.1)
    assert [(t.kind, t.change) for t in cleared] == [(AlarmKind.SENSOR_SILENT, Change.CLEARED)]


def test_coldchain_late_readings_do_not_move_the_machine_back() -> None:
    watch = SensorWatch(RULE_77, started_at=at(0))
    feed(watch, SERIES_77[:7])
    assert AlarmKind.TEMP_HIGH in watch.raised
    assert watch.observe(at(12), 1.0) == []
    assert AlarmKind.TEMP_HIGH in watch.raised


def test_coldchain_resume_keeps_an_open_alarm_without_raising_it_again() -> None:
    first = SensorWatch(RULE_77, started_at=at(0))
    raised = [t for _, t in feed(first, SERIES_77[:7])]
    second = SensorWatch(RULE_77, started_at=at(31))
    second.resume(raised)
    changes = feed(second, SERIES_77[7:])
    assert [(m, t.change) for m, t in changes] == [(45, Change.CLEARED)]


def test_coldchain_bands_intersect_per_sku_and_refuse_conflicts() -> None:
    blueberries = Band(0.0, 2.0)
    assert effective_band(class_band("chilled"), [blueberries]) == Band(0.0, 2.0)
    assert class_band("frozen").excess(-15.0) == pytest.approx(3.0)
    with pytest.raises(BandConflict, match="do not overlap"):
        effective_band(class_band("chilled"), [Band(10.0, 13.0)])
    with pytest.raises(ValueError, match="unknown temperature class"):
        class_band("warm")
    with pytest.raises(ValueError, match="above high"):
        Band(5.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 900), st.one_of(st.none(), st.floats(-40, 40)),
                          st.sampled_from([None, True, False])), min_size=1, max_size=120),
       st.sampled_from(["chilled", "frozen"]), st.booleans())
def test_coldchain_any_reading_sequence_keeps_each_alarm_raise_then_clear(
        steps: list[tuple[int, float | None, bool | None]], temp_class: str, loaded: bool) -> None:
    """Whatever a device sends, and whenever: no exception, each alarm kind alternates raised ->
    (escalated) -> cleared, never raised twice while open, and its times never run backwards."""
    from edge.domain.coldchain.levels import class_levels

    band = class_band(temp_class)
    watch = SensorWatch(AlarmRule(band, class_levels(temp_class), heartbeat_s=600), started_at=T0, known=False)
    if loaded:
        watch.loaded = [Window(at(10), at(200), "loaded"), Window(at(300), at(10_000), "loaded")]
    moment = T0
    seen: list[Transition] = []
    for gap_s, temp, door in steps:
        moment += dt.timedelta(seconds=gap_s)
        seen += watch.observe(moment, temp, door_open=door)
        if gap_s % 7 == 0:
            seen += watch.check(moment)
    open_kinds: dict[AlarmKind, dt.datetime] = {}
    for t in seen:
        if t.change is Change.RAISED:
            assert t.kind not in open_kinds
            open_kinds[t.kind] = t.at
        else:
            assert t.kind in open_kinds and t.at >= open_kinds[t.kind] and t.at >= t.started_at
            if t.change is Change.CLEARED:
                del open_kinds[t.kind]
