"""Counts what the fault suite did and prints it in pytest's summary, with or without `-s` or xdist.

Each test adds to its `fault_ledger`; the counts travel in the test report's `user_properties`
(xdist ships those to the controller), and the controller sums them at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

KEY = "hq_sync_faults"


@pytest.fixture
def fault_ledger(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    ledger: Counter[str] = Counter()
    yield ledger
    request.node.user_properties.append((KEY, dict(ledger)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total: Counter[str] = Counter()
    tests = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            for key, value in getattr(report, "user_properties", []):
                if key == KEY:
                    total.update(value)
                    tests += 1
    if not tests:
        return
    terminalreporter.write_sep("=", "hq_sync fault suite")
    kills = total["kill9_pull"] + total["kill9_push"] + total["kill9_other"]
    terminalreporter.write_line(
        f"{tests} fault tests: {kills} kill -9 of the sync agent ({total['kill9_pull']} in pull,"
        f" {total['kill9_push']} in push, {total['kill9_other']} between), "
        f"{total['hq_500']} HQ 500s, {total['hq_hang']} HQ hangs/timeouts, {total['hq_slow']} slow answers, "
        f"{total['partition_s']:.0f} s of partition ({total['partition_sim_minutes']} simulated minutes, "
        f"{total['cut_connections']} connections cut), {total['feed_dups']} duplicated feed changes, "
        f"{total['shuffled_pages']} reordered pages, {total['replayed_pushes']} replayed event deliveries, "
        f"{total['skew_runs']} runs with +-10 min clock skew"
    )
    terminalreporter.write_line(
        f"checked after healing: digests equal ({total['digest_checks']}x), every outbox event applied at HQ"
        f" exactly once ({total['events_checked']} events), no order change lost"
        f" ({total['orders_checked']} orders, {total['hq_changes']} HQ changes)"
    )
