"""The agent as a systemd service: READY, WATCHDOG each cycle, STOPPING and a clean exit on SIGTERM."""

from __future__ import annotations

import random
import signal
import socket
import time
from pathlib import Path

from hq_sync.agent import Backoff
from tests.hq_sync.hq_sync_harness import Edge, Hq


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(0.5, 8.0, random.Random(1))
    delays = [backoff.next() for _ in range(8)]
    assert all(0.25 <= d <= 0.5 for d in delays[:1])
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    assert len(set(delays)) == len(delays)  # jittered: no two agents retry in lockstep
    backoff.reset()
    assert backoff.next() <= 0.5


def test_sd_notify_and_graceful_sigterm(tmp_path: Path) -> None:
    hq = Hq(tmp_path)
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    listener.settimeout(10)
    try:
        hq.seed(10)
        edge = Edge(tmp_path / "edge", hq.url, extra_env={"NOTIFY_SOCKET": str(sock_path)})
        proc, _log = edge.exec_agent("--no-reconcile")
        seen: list[str] = []
        while seen.count("WATCHDOG=1") < 3:
            seen.append(listener.recv(256).decode())
        assert seen[0] == "READY=1"
        deadline = time.monotonic() + 10
        while len(edge.orders()) < 10:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        while (message := listener.recv(256).decode()) != "STOPPING=1":
            assert message == "WATCHDOG=1"
    finally:
        listener.close()
        hq.close()
