"""What checking a PIN inside the write transaction costs the floor (docs/security.md).

Sign-in holds the node's write lock for its argon2id check, so that parallel guesses cannot pass a
lock. Two questions, each with its reference measured in the same run:

- `signin`: sign-ins per second on one thread, against bare argon2id verifies with the same
  parameters (the ceiling: the transaction and the limits' bookkeeping are the difference);
- `write_latency`: latency of a short write transaction (what a scan's bookkeeping is: one
  event row) while 1 and then 4 threads sign in back to back, against the same writes with no
  sign-ins. Back to back is the worst case: a shift's sign-ins are minutes apart, and wrong PINs
  from one address or device are refused without hashing once it is locked.

One JSON object per line on stdout. `BENCH_SECONDS` sets each case's length (default 5).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.domain.auth import Role
from edge.services import auth
from edge.store import Store

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
SIGNERS = (1, 4)
PIN = "246813"
NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def _store(folder: Path) -> Store:
    store = Store(folder / "edge.sqlite3")
    for n in range(max(SIGNERS) + 1):
        auth.add_person(store, person_id=f"P{n:02d}", code=f"P{n:02d}", name=f"picker {n}", role=Role.PICKER,
                        pin=PIN, now=NOW)
    return store


def _rate(action: object, seconds: float) -> float:
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        action()  # type: ignore[operator]
        done += 1
    return done / seconds


def bench_signin(store: Store) -> dict[str, object]:
    stored = store.scalar("SELECT pin_hash FROM people WHERE code = 'P00'")
    ours = _rate(lambda: auth.sign_in(store, "P00", PIN, now=NOW, lifetime=dt.timedelta(hours=1)), SECONDS)
    bare = _rate(lambda: auth._pin_hasher.verify(stored, PIN), SECONDS)
    return {"bench": "signin", "case": "one_thread", "signins_per_s": round(ours, 1),
            "reference": {"argon2id_verifies_per_s": round(bare, 1)}, "ratio": round(ours / bare, 3)}


def _write_latencies(store: Store, seconds: float) -> list[float]:
    latencies, deadline, n = [], time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        with store.write("person:P99", NOW) as w:
            w.log("bench.scan", f"scan-{n}", {"n": n})
        latencies.append((time.perf_counter() - started) * 1000)
        n += 1
        time.sleep(0.005)  # a scan every few ms, not a tight loop
    return latencies


def _summary(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2), "max_ms": round(max(latencies), 2),
            "writes": len(latencies)}


def bench_write_latency(store: Store, signers_n: int, alone: dict[str, float]) -> dict[str, object]:
    stop = threading.Event()

    def sign_in_loop(code: str) -> None:
        while not stop.is_set():
            auth.sign_in(store, code, PIN, now=NOW, lifetime=dt.timedelta(hours=1))
        store.close()

    signers = [threading.Thread(target=sign_in_loop, args=(f"P{n + 1:02d}",)) for n in range(signers_n)]
    for thread in signers:
        thread.start()
    try:
        busy = _summary(_write_latencies(store, SECONDS))
    finally:
        stop.set()
        for thread in signers:
            thread.join()
    return {"bench": "signin", "case": f"write_latency_with_{signers_n}_signers", **busy, "reference": alone}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = _store(Path(folder))
        print(json.dumps(bench_signin(store)), flush=True)
        alone = _summary(_write_latencies(store, SECONDS))
        for signers_n in SIGNERS:
            print(json.dumps(bench_write_latency(store, signers_n, alone)), flush=True)


if __name__ == "__main__":
    main()
