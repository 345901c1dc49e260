"""The README's first command, past its installs: `haolin-edge demo` serves the node with its
neighbours (simulated devices, reference HQ, sync agent) and stops them all when it stops."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
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
    port, plain_port = free_port(), free_port()
    data = tmp_path / "demo"
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen([sys.executable, "-m", "edge.cli", "demo"], stdout=log, stderr=subprocess.STDOUT, env={
        **os.environ, "HAOLIN_DATA_DIR": str(data), "HAOLIN_HTTPS_PORT": str(port),
        "HAOLIN_HTTP_PORT": str(plain_port), "HAOLIN_TLS_NAMES": "edge.lan,127.0.0.1"})
    base = f"https://127.0.0.1:{port}"
    clients = ExitStack()
    try:
        _wait("the site CA", (data / "tls" / "ca.crt").exists)
        ca = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
        _wait("the node to answer", lambda: httpx.get(f"{base}/api/v1/health", verify=ca).status_code == 200)
        assert "好邻优选" in httpx.get(f"{base}/", verify=ca).text
        plain = f"http://127.0.0.1:{plain_port}"
        assert httpx.get(f"{plain}/ca.crt").content == ssl.PEM_cert_to_DER_cert((data / "tls" / "ca.crt").read_text())
        assert httpx.get(f"{plain}/floor/pick").headers["location"] == f"{base}/floor/pick"
        printed = _wait("the demo to print its addresses", lambda: "/floor/pick" in (
            text := (tmp_path / "demo.log").read_text()) and text)
        assert f"running over HTTPS at {base}" in printed and f"enrolment page      {plain}/enrol" in printed
        creds = json.loads((data / "demo-credentials.json").read_text())
        node = clients.enter_context(httpx.Client(base_url=base, verify=ca))  # keeps the Secure session cookie
        signed = node.post("/api/v1/auth/sign-in", json={"code": "SUP01", "pin": creds["supervisor"]["pin"]})
        assert signed.status_code == 200, signed.text

        def all_online() -> bool:
            devices = node.get("/api/v1/devices").json()
            return len(devices) >= 9 and all(d["state"] == "online" for d in devices if d["kind"] != "printer")

        _wait("every simulated device to be online", all_online)
        status = _wait("the sync agent to catch up with HQ", lambda: (
            s := node.get("/api/v1/sync/status").json())["feed_cursor"] > 0
            and s["lag_changes"] == 0 and s)
        assert status["open_exceptions"] == 0
        listed = _cli(data, "devices", "list")
        assert "refr-qc-1" in listed and "online" in listed
    finally:
        clients.close()
        demo.send_signal(signal.SIGINT)
        demo.wait(30)
        log.close()
    children = (data / "logs").glob("*.log")
    assert {p.stem for p in children} == {"simulators", "hq", "sync-agent"}
    hq_port = int(re.search(r"HQ cold chain\s+http://127.0.0.1:(\d+)/", (tmp_path / "demo.log").read_text())[1])
    for what, listening in (("the node", port), ("its enrolment port", plain_port), ("the reference HQ", hq_port)):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", listening)) != 0, f"{what} still listens after the demo stopped"
