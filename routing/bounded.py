"""Run a solver under a hard wall-clock bound.

OR-Tools can overrun its own time limit (google/or-tools#2660, #3263) and holds the GIL
while it searches, so a thread cannot be abandoned on time. The solve runs in a child process
started from a forkserver (clean, with the solver modules preloaded, so a start costs a few
milliseconds); the child reports every improving solution through a pipe and the parent kills
it at the deadline, keeping the best solution reported so far.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from routing.errors import SolverFailed

Report = Callable[[Any], None]
_PRELOAD = ["numpy", "routing.tsp", "routing.pickpath", "routing.vrp.ortools_engine"]
_ctx: Any = None


def _context() -> Any:
    global _ctx
    if _ctx is None:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _ctx = ctx
    return _ctx


@dataclass
class Bounded:
    """What came back: the final answer if the child finished, else the best progress report."""

    result: Any
    finished: bool
    seconds: float


def _child(conn: Connection, target: Callable[[Any, Report], Any], arg: Any) -> None:
    try:
        result = target(arg, lambda x: conn.send(("progress", x)))
        conn.send(("done", result))
    except BaseException as e:  # report every failure to the parent, which decides
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def run_bounded(target: Callable[[Any, Report], Any], arg: Any, seconds: float) -> Bounded:
    """Call `target(arg, report)` in a child process and return by `seconds` at the latest.

    `target` must be a module-level function; `report(x)` sends an improving solution. If the
    child is still running at the deadline it is killed and the last report is returned
    (`result` is None when nothing was reported).
    """
    t0 = time.monotonic()
    deadline = t0 + seconds
    parent, child = _context().Pipe(duplex=False)
    proc = _context().Process(target=_child, args=(child, target, arg), daemon=True)
    proc.start()
    child.close()
    best: Any = None
    finished = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not parent.poll(remaining):
                break
            try:
                kind, payload = parent.recv()
            except EOFError:
                break
            if kind == "error":
                raise SolverFailed(f"solver process failed: {payload}")
            best = payload
            if kind == "done":
                finished = True
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    return Bounded(best, finished, time.monotonic() - t0)


def _noop(arg: Any, report: Report) -> Any:
    return arg


def warm_up() -> None:
    """Start the forkserver now (about 0.2 s, once) so the first bounded solve is not late."""
    run_bounded(_noop, None, 10.0)
