"""Over TLS: the agent syncs with an HQ whose certificate it trusts, and refuses one it does not."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from edge.services.hq_port import sync_status
from tests.hq_sync.hq_sync_harness import Edge, Hq, assert_converged, running

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "hq.crt", directory / "hq.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_sync_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    hq = Hq(tmp_path, tls=(cert, key))
    try:
        hq.seed(30)
        stranger = Edge(tmp_path / "stranger", hq.url)
        proc, _log = stranger.start_agent("--no-reconcile")
        with running(proc):
            deadline = time.monotonic() + 20
            while "CERTIFICATE_VERIFY_FAILED" not in _last_error(stranger):
                assert time.monotonic() < deadline, "an untrusted certificate was not refused"
                time.sleep(0.05)
        assert stranger.orders() == {}

        edge = Edge(tmp_path / "edge", hq.url, extra_env={"SSL_CERT_FILE": str(cert)})
        edge.sync_until_idle("--no-reconcile")
        assert len(edge.orders()) == 30
        assert_converged(hq, edge)
    finally:
        hq.close()



def _last_error(edge: Edge) -> str:
    return str(sync_status(edge.store, dt.datetime.now(dt.UTC))["last_error"] or "")
