"""Real processes for the sync tests: a reference HQ, sync agents, a TCP proxy the test controls.

Everything talks over loopback sockets on free ports; each test has its own directories.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from edge.services.hq_port import StorePort
from edge.store import Store
from hq_sync.digest import DigestTree, choose_depth
from hq_sync.protocol import LinePickedPayload, gtin_check_digit

EDGE_ID = "edge-test"
SECRET = "test-secret-0123456789"
ADMIN = "test-admin-token"
DELIVERY = dt.date(2030, 7, 2)
ROOT = Path(__file__).resolve().parents[2]


# Agents start from a fork server that imported the agent once: a start costs milliseconds, not
# the seconds of importing the stack, so the kill tests can afford many real processes.
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(["edge.sync_cli"])


def _agent_main(args: list[str], env: dict[str, str], log_path: str) -> None:
    """Body of a forked agent process: the same entry point as `haolin-edge sync run`."""
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    from edge.sync_cli import app

    app(args=args, standalone_mode=False)


class AgentProcess:
    """A forked agent with the part of `Popen`'s interface the tests use."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self._proc = _FORKS.Process(target=_agent_main, args=(args, env, str(log)), daemon=True)
        self._proc.start()
        self.pid = self._proc.pid

    def send_signal(self, signum: int) -> None:
        assert self.pid is not None
        with suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def poll(self) -> int | None:
        return self._proc.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._proc.join(timeout)
        if self._proc.exitcode is None:
            raise subprocess.TimeoutExpired("sync agent", timeout or 0)
        return self._proc.exitcode

    @property
    def returncode(self) -> int | None:
        return self._proc.exitcode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gtin(n: int) -> str:
    body = f"69{n:011d}"
    return body + str(gtin_check_digit(body))


def stores(n: int) -> list[dict[str, Any]]:
    return [{"store_id": f"S{i:03d}", "name": f"Store {i}", "latitude": 31.2, "longitude": 121.4} for i in range(n)]


def skus(n: int) -> list[dict[str, Any]]:
    return [
        {"sku_id": f"K{i:03d}", "gtin": gtin(i), "name_zh": f"商品{i}", "name_en": f"Item {i}", "unit": "box",
         "temp_class": "chilled", "shelf_life_days": 5, "case_pack": 12, "supplier_id": "SUP1",
         "supplier_name": "Yunnan Berries", "weight_g": 500}
        for i in range(n)
    ]


def drafts(ids: range, *, n_stores: int = 5, n_skus: int = 6, salt: int = 0) -> list[dict[str, Any]]:
    """Orders with 1-3 lines; `salt` changes quantities, so a re-put is a real change."""
    return [
        {"hq_order_id": f"O{i:06d}", "store_id": f"S{i % n_stores:03d}", "delivery_date": DELIVERY.isoformat(),
         "lines": [{"line_no": j + 1, "sku_id": f"K{(i + j) % n_skus:03d}", "quantity": 1 + (i + j + salt) % 9}
                   for j in range(1 + i % 3)]}
        for i in ids
    ]


class Hq:
    """A reference HQ process; `admin` calls drive it like HQ's own systems would."""

    def __init__(self, workdir: Path, *, clock_skew: float = 0.0, tls: tuple[Path, Path] | None = None):
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.db = workdir / "hq.sqlite3"
        self.log = workdir / f"hq-{self.port}.log"
        args = [sys.executable, "-m", "hq_sync.reference_hq.cli", "serve", "--db", str(self.db),
                "--port", str(self.port), "--edge", f"{EDGE_ID}={SECRET}", "--admin-token", ADMIN,
                "--clock-skew", str(clock_skew), "--allow-faults"]
        if tls:
            args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.admin = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30,
                                  verify=ssl.create_default_context(cafile=str(tls[0])) if tls else True)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.admin.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"reference HQ did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.admin.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def seed(self, n_orders: int) -> None:
        self.call("PUT", "/admin/stores", stores(5))
        self.call("PUT", "/admin/skus", skus(6))
        if n_orders:
            self.call("POST", "/admin/orders", drafts(range(n_orders)))

    def faults(self, **faults: Any) -> None:
        self.call("PUT", "/admin/faults", faults)

    def stats(self) -> dict[str, Any]:
        return dict(self.call("GET", "/admin/stats"))

    def root(self, depth: int) -> str:
        return str(self.call("GET", f"/admin/digest/{DELIVERY.isoformat()}?depth={depth}")["root"])

    def close(self) -> None:
        self.admin.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Edge:
    """An edge's data directory, its store, and how to start its sync agent as a process."""

    data_dir: Path
    hq_url: str
    store: Store = field(init=False)
    agent_runs: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = Store(self.data_dir / "edge.sqlite3")

    def env(self, hq_url: str | None = None) -> dict[str, str]:
        return {**os.environ, "HAOLIN_DATA_DIR": str(self.data_dir), "HAOLIN_HQ_URL": hq_url or self.hq_url,
                "HAOLIN_HQ_EDGE_ID": EDGE_ID, "HAOLIN_HQ_SECRET": SECRET, **self.extra_env}

    def start_agent(self, *extra: str, hq_url: str | None = None) -> tuple[AgentProcess, Path]:
        """Fork an agent process (`haolin-edge sync run` with short test timings)."""
        self.agent_runs += 1
        log = self.data_dir / f"agent-{self.agent_runs}.log"
        args = ["run", "--poll-interval", "0.05", "--max-backoff", "0.3", "--timeout", "2", *extra]
        return AgentProcess(args, self.env(hq_url), log), log

    def exec_agent(self, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Start the agent the way systemd does: a fresh interpreter running the CLI."""
        self.agent_runs += 1
        log = self.data_dir / f"agent-{self.agent_runs}.log"
        args = [sys.executable, "-m", "edge.sync_cli", "run", "--poll-interval", "0.05", "--max-backoff", "0.3",
                *extra]
        with log.open("wb") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        return proc, log

    def sync_until_idle(self, *extra: str, timeout: float = 60) -> str:
        """Run the agent to completion (`--once`); returns its log."""
        proc, log = self.start_agent("--once", *extra)
        try:
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = log.read_text()
        assert proc.returncode == 0, text[-3000:]
        return text

    def digest_root(self, depth: int) -> str:
        rows = StorePort(self.store).digest_rows(DELIVERY)
        return DigestTree.build(((r.hq_order_id, r.row_hash) for r in rows), depth).root

    def outbox_keys(self) -> list[str]:
        """Keys of the events HQ should have: all but those set aside as refused."""
        return [r[0] for r in self.store.conn.execute(
            "SELECT idempotency_key FROM outbox WHERE held_at IS NULL ORDER BY seq")]

    def unacked(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL AND held_at IS NULL"))

    def pick(self, hq_order_id: str, line_no: int, qty: int, at: dt.datetime, picker: str = "P01") -> None:
        """What a picker's scan does: the line's quantity, the order's stage and the event, at once."""
        with self.store.write(picker, at, device_id="pda-1") as w:
            sku, ordered = w.conn.execute(
                "SELECT sku_id, quantity FROM order_lines WHERE hq_order_id = ? AND line_no = ?",
                (hq_order_id, line_no),
            ).fetchone()
            w.conn.execute("UPDATE order_lines SET picked_qty = ? WHERE hq_order_id = ? AND line_no = ?",
                           (qty, hq_order_id, line_no))
            w.conn.execute("UPDATE orders SET status = 'picking' WHERE hq_order_id = ? AND status = 'open'",
                           (hq_order_id,))
            payload = LinePickedPayload(hq_order_id=hq_order_id, line_no=line_no, sku_id=sku, picked_qty=qty,
                                        ordered_qty=ordered, short_reason="out of stock" if qty < ordered else None)
            w.emit(payload, hq_order_id)

    def orders(self) -> dict[str, tuple[int, str]]:
        return {r[0]: (r[1], r[2]) for r in self.store.conn.execute("SELECT hq_order_id, version, status FROM orders")}


def assert_converged(hq: Hq, edge: Edge) -> dict[str, Any]:
    """The checks after healing: equal digests, every event applied at HQ exactly once, no change lost."""
    depth = choose_depth(len(edge.orders()))
    assert edge.digest_root(depth) == hq.root(depth), "HQ's and the edge's digests differ"
    stats = hq.stats()
    keys = edge.outbox_keys()
    assert edge.unacked() == 0, "events left unacknowledged"
    hq_keys = hq.call("GET", "/admin/event-keys")
    assert sorted(hq_keys) == sorted(keys), "HQ's events are not exactly the edge's outbox"
    assert len(hq_keys) == len(set(hq_keys)), "an event was applied twice at HQ"
    hq_orders = hq.call("GET", "/admin/orders")
    assert {o["hq_order_id"]: (o["version"], o["status"]) for o in hq_orders} == {
        k: (v, "cancelled" if s == "cancelled" else "confirmed") for k, (v, s) in edge.orders().items()
    }, "an order change was lost"
    return {**stats, "events_checked": len(keys), "orders_checked": len(hq_orders)}


def record_checks(ledger: Counter[str], checked: dict[str, Any]) -> None:
    ledger["digest_checks"] += 1
    ledger["events_checked"] += checked["events_checked"]
    ledger["orders_checked"] += checked["orders_checked"]
    ledger["replayed_pushes"] += checked["deliveries"] - checked["events"]


@contextmanager
def running(proc: subprocess.Popen[bytes] | AgentProcess) -> Iterator[subprocess.Popen[bytes] | AgentProcess]:
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
