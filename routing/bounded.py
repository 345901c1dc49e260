"""Run solvers under a hard wall-clock bound.

OR-Tools can overrun its own time limit (google/or-tools#2660, #3263) and holds the GIL
while it searches, so a thread cannot be abandoned on time. Each solve runs in a child process
started from a forkserver (clean, with the solver modules preloaded, so a start costs a few
milliseconds); the child reports every improving solution through a pipe and the parent kills
it at the deadline, keeping the best solution reported so far. Several children may run at
once (a portfolio): `Child` is one of them, `run_bounded` the one-child case.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from routing.errors import SolverFailed

Report = Callable[[Any], None]
# pyvrp imports in 0.16 s and is skipped when missing; vroom (0.45 s) is imported by its children
_PRELOAD = ["numpy", "routing.tsp", "routing.pickpath", "routing.vrp.ortools_engine", "pyvrp"]
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
    cpu_seconds: float  # CPU the child used, all its threads: the honest cost of a portfolio member


def _child(conn: Connection, target: Callable[[Any, Report], Any], arg: Any) -> None:
    try:
        result = target(arg, lambda x: conn.send(("progress", x, time.process_time())))
        conn.send(("done", result, time.process_time()))
    except BaseException as e:  # report every failure to the parent, which decides
        conn.send(("error", f"{type(e).__name__}: {e}", time.process_time()))
    finally:
        conn.close()


@contextmanager
def _main_not_inherited() -> Iterator[None]:
    """Start a child without it importing the parent's `__main__` (multiprocessing re-runs it, as
    `__mp_main__`, in every child). Our targets are module-level functions of this library and need
    nothing from it, while the node's `__main__` is its CLI, which imports the whole app: seconds per
    child on a busy machine, taken from the solver's budget (the demo day got no plan in 2 s)."""
    main = sys.modules["__main__"]
    spec, path = getattr(main, "__spec__", None), main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__spec__ = spec
        if path is not None:
            main.__file__ = path


class Child:
    """`target(arg, report)` running in a child process; `best` is its latest report or answer.

    A failure in the child is kept in `error` (not raised), so one failing member of a portfolio
    costs only its own candidate."""

    def __init__(self, target: Callable[[Any, Report], Any], arg: Any) -> None:
        self.t0 = time.monotonic()
        self.best: Any = None
        self.finished = False
        self.closed = False
        self.cpu = 0.0
        self.error = ""  # why the child failed, if it did; its earlier reports are kept
        self.conn, child = _context().Pipe(duplex=False)
        self.proc = _context().Process(target=_child, args=(child, target, arg), daemon=True)
        with _main_not_inherited():
            self.proc.start()
        child.close()

    def take(self) -> None:
        """Read one message (the pipe is known to be readable)."""
        try:
            kind, payload, self.cpu = self.conn.recv()
        except EOFError:
            self.stop()
            if not self.finished:
                self.error = f"solver process ended without an answer (exit code {self.proc.exitcode})"
            return
        if kind == "error":
            self.error = f"solver process failed: {payload}"
            self.stop()
            return
        self.best = payload
        if kind == "done":
            self.finished = True
            self.stop()

    def stop(self) -> Bounded:
        """Kill the child if it still runs; what it reported is kept."""
        if not self.closed:
            self.closed = True
            if self.proc.is_alive():
                self.cpu = max(self.cpu, _cpu_of(self.proc.pid))
                self.proc.kill()
            self.proc.join()
            self.conn.close()
        return Bounded(self.best, self.finished, time.monotonic() - self.t0, self.cpu)


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a live process (Linux /proc; 0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def drain(children: list[Child], until: float, awaited: list[Child] | None = None) -> None:
    """Collect reports until every child (or every one `awaited`) has ended, or `until`
    (time.monotonic()) has passed. Reading all pipes keeps a busy child from blocking on a full one."""
    while True:
        live = {c.conn: c for c in children if not c.closed}
        remaining = until - time.monotonic()
        if remaining <= 0 or all(c.closed for c in (children if awaited is None else awaited)):
            return
        for conn in wait(list(live), remaining):
            live[conn].take()


def run_bounded(target: Callable[[Any, Report], Any], arg: Any, seconds: float) -> Bounded:
    """Call `target(arg, report)` in a child process and return by `seconds` at the latest.

    `target` must be a module-level function; `report(x)` sends an improving solution. If the
    child is still running at the deadline it is killed and the last report is returned
    (`result` is None when nothing was reported).
    """
    child = Child(target, arg)
    try:
        drain([child], child.t0 + seconds)
    finally:
        out = child.stop()
    if child.error:
        raise SolverFailed(child.error)
    return out


def _noop(arg: Any, report: Report) -> Any:
    return arg


def warm_up() -> None:
    """Start the forkserver now (about 0.2 s, once) so the first bounded solve is not late."""
    run_bounded(_noop, None, 10.0)
