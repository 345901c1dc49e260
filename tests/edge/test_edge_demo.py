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

#: When a stage counts as hung. Not a speed target (that is bench/'s): with the whole suite running
#: on two cores the demo starts several times slower than on an idle machine.
STAGE_S = 240.0
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _output(log: Path) -> str:
    """The end of the demo's output and of its neighbours' logs, to say why a stage did not come."""
    logs = [log, *sorted((log.parent / "demo" / "logs").glob("*.log"))]
    return "".join(f"\n--- {p.name}:\n{p.read_text(errors='replace')[-1500:]}" for p in logs if p.exists())


def _wait(what: str, check: Callable[[], Any], demo: subprocess.Popen[bytes], log: Path) -> Any:
    """Poll `check` until it holds; fail at once, with the demo's output, if the demo has exited."""
    deadline = time.monotonic() + STAGE_S
    last: Any = None
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise AssertionError(f"the demo exited ({demo.returncode}) before {what}:{_output(log)}")
        try:
            last = check()
            if last:
                return last
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen in {STAGE_S} s (last: {last!r}):{_output(log)}")


def _cli(data: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "edge.cli", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=STAGE_S, check=True).stdout


def test_demo_serves_the_node_with_live_devices_and_hq_in_sync(tmp_path: Path) -> None:
    port, plain_port = free_port(), free_port()
    data = tmp_path / "demo"
    log_file = tmp_path / "demo.log"
    log = log_file.open("wb")
    demo = subprocess.Popen([sys.executable, "-m", "edge.cli", "demo"], stdout=log, stderr=subprocess.STDOUT, env={
        **os.environ, "HAOLIN_DATA_DIR": str(data), "HAOLIN_HTTPS_PORT": str(port),
        "HAOLIN_HTTP_PORT": str(plain_port), "HAOLIN_TLS_NAMES": "edge.lan,127.0.0.1"})
    base = f"https://127.0.0.1:{port}"
    clients = ExitStack()
    try:
        _wait("the site CA", (data / "tls" / "ca.crt").exists, demo, log_file)
        ca = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
        _wait("the node to answer", lambda: httpx.get(f"{base}/api/v1/health", verify=ca).status_code == 200,
              demo, log_file)
        assert "好邻优选" in httpx.get(f"{base}/", verify=ca).text
        plain = f"http://127.0.0.1:{plain_port}"
        assert httpx.get(f"{plain}/ca.crt").content == ssl.PEM_cert_to_DER_cert((data / "tls" / "ca.crt").read_text())
        assert httpx.get(f"{plain}/floor/pick").headers["location"] == f"{base}/floor/pick"
        printed = _wait("the demo to print its addresses", lambda: "/floor/pick" in (
            text := log_file.read_text()) and text, demo, log_file)
        assert f"running over HTTPS at {base}" in printed and f"enrolment page      {plain}/enrol" in printed
        creds = json.loads((data / "demo-credentials.json").read_text())
        node = clients.enter_context(httpx.Client(base_url=base, verify=ca))  # keeps the Secure session cookie
        signed = node.post("/api/v1/auth/sign-in", json={"code": "SUP01", "pin": creds["supervisor"]["pin"]})
        assert signed.status_code == 200, signed.text

        def all_online() -> bool:
            devices = node.get("/api/v1/devices").json()
            return len(devices) >= 9 and all(d["state"] == "online" for d in devices if d["kind"] != "printer")

        _wait("every simulated device to be online", all_online, demo, log_file)
        status = _wait("the sync agent to catch up with HQ", lambda: (
            s := node.get("/api/v1/sync/status").json())["feed_cursor"] > 0
            and s["lag_changes"] == 0 and s, demo, log_file)
        assert status["open_exceptions"] == 0
        listed = _cli(data, "devices", "list")
        assert "refr-qc-1" in listed and "online" in listed
    finally:
        clients.close()
        demo.send_signal(signal.SIGTERM)  # as `kill` and `systemctl stop` send it: only the demo is told
        demo.wait(STAGE_S)
        log.close()
    children = (data / "logs").glob("*.log")
    assert {p.stem for p in children} == {"simulators", "hq", "sync-agent"}
    hq = re.search(r"HQ cold chain\s+http://127.0.0.1:(\d+)/", log_file.read_text())
    assert hq is not None, _output(log_file)
    hq_port = int(hq[1])
    for what, listening in (("the node", port), ("its enrolment port", plain_port), ("the reference HQ", hq_port)):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", listening)) != 0, f"{what} still listens after the demo stopped"
