"""The README's first command, past its installs: `haolin-edge demo` serves the node with its
neighbours (simulated devices, reference HQ, sync agent) and stops them all when it stops."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.demo_stack import free_port

pytestmark = pytest.mark.slow


def _wait(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen in {timeout} s (last: {last!r})")


def _cli(data: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "edge.cli", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=60, check=True).stdout


def test_demo_serves_the_node_with_live_devices_and_hq_in_sync(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo"
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen([sys.executable, "-m", "edge.cli", "--data-dir", str(data), "demo"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HAOLIN_HTTP_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("the node to answer", lambda: httpx.get(f"{base}/api/v1/health").status_code == 200)
        assert "好邻优选" in httpx.get(f"{base}/").text
        creds = json.loads((data / "demo-credentials.json").read_text())
        signed = httpx.post(f"{base}/api/v1/auth/sign-in", json={"code": "SUP01", "pin": creds["supervisor"]["pin"]})
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}

        def all_online() -> bool:
            devices = httpx.get(f"{base}/api/v1/devices", headers=headers).json()
            return len(devices) >= 9 and all(d["state"] == "online" for d in devices if d["kind"] != "printer")

        _wait("every simulated device to be online", all_online)
        status = _wait("the sync agent to catch up with HQ", lambda: (
            s := httpx.get(f"{base}/api/v1/sync/status", headers=headers).json())["feed_cursor"] > 0
            and s["lag_changes"] == 0 and s)
        assert status["open_exceptions"] == 0
        listed = _cli(data, "devices", "list")
        assert "refr-qc-1" in listed and "online" in listed
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(30)
        log.close()
    children = (data / "logs").glob("*.log")
    assert {p.stem for p in children} == {"simulators", "hq", "sync-agent"}
    hq_port = int(re.search(r"HQ cold chain\s+http://127.0.0.1:(\d+)/", (tmp_path / "demo.log").read_text())[1])
    for what, listening in (("the node", port), ("the reference HQ", hq_port)):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", listening)) != 0, f"{what} still listens after the demo stopped"
