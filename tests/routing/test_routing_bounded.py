"""The hard wall-clock bound: children killed on time keep their last report, failures surface,
several children run side by side, and their CPU is accounted."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from routing.bounded import Child, drain, run_bounded, warm_up
from routing.errors import SolverFailed


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def _reports_then_hangs(arg: Any, report: Any) -> None:
    report(("first", arg))
    _spin(0.2)
    report(("second", arg))
    time.sleep(60)


def _finishes(arg: Any, report: Any) -> Any:
    _spin(0.2)
    return arg * 2


def _fails(arg: Any, report: Any) -> None:
    raise ValueError("bad model")


def test_killed_child_keeps_its_last_report_and_counts_cpu() -> None:
    warm_up()
    t0 = time.monotonic()
    out = run_bounded(_reports_then_hangs, 7, 3.0)
    assert 3.0 <= time.monotonic() - t0 < 3.5
    assert out.result == ("second", 7) and not out.finished
    assert out.cpu_seconds >= 0.15


def test_children_side_by_side_and_failures_surface() -> None:
    warm_up()
    fast, slow = Child(_finishes, 21), Child(_reports_then_hangs, 1)
    try:
        give_up = time.monotonic() + 60.0  # a busy machine may take long; the test waits on the reports
        while not (fast.finished and slow.best == ("second", 1)) and time.monotonic() < give_up:
            drain([fast, slow], time.monotonic() + 0.5)
    finally:
        assert fast.stop().result == 42 and fast.finished
        assert slow.stop().result == ("second", 1) and not slow.finished
    with pytest.raises(SolverFailed, match="ValueError: bad model"):
        run_bounded(_fails, None, 5.0)


def _dies(arg: Any, report: Any) -> None:
    report("partial")
    os._exit(3)


def test_a_child_that_dies_silently_is_an_error_with_its_report_kept() -> None:
    warm_up()
    child = Child(_dies, None)
    drain([child], time.monotonic() + 3.0)
    assert child.stop().result == "partial"
    assert "exit code 3" in child.error


def _where(arg: Any, report: Any) -> Any:
    return arg


def test_a_child_does_not_run_the_parents_main_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """multiprocessing re-runs `__main__` in each child; the node's is its CLI, which imports the
    whole app (seconds per child on a busy machine). A child must start without it."""
    marker = tmp_path / "main-ran"
    script = tmp_path / "heavy_main.py"
    script.write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__file__", str(script), raising=False)
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    warm_up()
    assert run_bounded(_where, "ok", 10.0).result == "ok"
    assert not marker.exists()
    assert main.__file__ == str(script)  # the parent's own module is left as it was
