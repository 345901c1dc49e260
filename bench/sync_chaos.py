"""HQ sync under chaos: the production commands, killed and cut, then a poison event and a skewed clock.

Runs the reference HQ (`haolin-edge hq serve`), the node (`haolin-edge serve`) and the sync agent
(`haolin-edge sync run`) as processes; the agent reaches HQ through a TCP proxy of this script that
passes, drops (refuses and cuts connections) or stalls (holds bytes). While pickers keep committing
events on the node and HQ keeps adding and changing orders, the agent is killed with SIGKILL at
random moments of its work (--agent-kills), HQ a few times (--hq-kills), and the link is stalled and
dropped. Then a poison event (an outbox row HQ refuses) is committed between ordinary ones, and then
the agent runs with its clock 20 minutes off (libfaketime). One JSON line:

  kills, committed (events the node committed for HQ), at_hq (of those, how many HQ has), lost,
  duplicated (events HQ applied more than once), converge_s (from healing until both sides agree),
  poison_rest_delivered and skew_rest_delivered (everything after each arrived, both ways),
  reference: the same node draining a backlog of the same size with no faults, in this run.

    .venv/bin/python bench/sync_chaos.py                    # about 4-6 minutes on 2 busy cores
    .venv/bin/python bench/sync_chaos.py --agent-kills 100 --hq-kills 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.demo import demo_site_file  # noqa: E402
from edge.domain.auth import Role  # noqa: E402
from edge.services import auth  # noqa: E402
from edge.store import Store  # noqa: E402
from hq_sync.protocol import LinePickedPayload, gtin_check_digit  # noqa: E402
from hq_sync.reference_hq.link import TcpProxy  # noqa: E402

EDGE_ID, SECRET, ADMIN = "edge-chaos", "chaos-secret-0123456789", "chaos-admin-token"
DELIVERY = dt.date(2030, 7, 2)
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
CLI = [sys.executable, "-m", "edge.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """The three processes, their logs, and the admin view of HQ."""

    def __init__(self, work: Path):
        self.work, self.data = work, work / "node"
        self.hq_port = free_port()
        self.hq_url = f"http://127.0.0.1:{self.hq_port}"
        self.admin = httpx.Client(base_url=self.hq_url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
        self.proxy = TcpProxy(self.hq_port)
        self.env = {**os.environ, "HAOLIN_DATA_DIR": str(self.data), "HAOLIN_HQ_URL": self.proxy.url,
                    "HAOLIN_HQ_EDGE_ID": EDGE_ID, "HAOLIN_HQ_SECRET": SECRET,
                    "HAOLIN_SITE_FILE": str(bench_site(work)),
                    "HAOLIN_HTTP_PORT": str(free_port()), "HAOLIN_HTTPS_PORT": str(free_port())}
        self.hq: subprocess.Popen[bytes] | None = None
        self.agent: subprocess.Popen[bytes] | None = None
        self.node: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.runs += 1
        with (self.work / f"{name}-{self.runs}.log").open("wb") as out:
            return subprocess.Popen(args, cwd=ROOT, env=env or self.env, stdout=out, stderr=subprocess.STDOUT)

    def start_hq(self) -> None:
        self.hq = self._spawn("hq", [*CLI, "hq", "serve", "--db", str(self.work / "hq.sqlite3"),
                                     "--port", str(self.hq_port), "--edge", f"{EDGE_ID}={SECRET}",
                                     "--admin-token", ADMIN])
        wait_for("HQ to answer", lambda: self.admin.get("/health").status_code == 200)

    def start_node(self) -> None:
        self.node = self._spawn("node", [*CLI, "serve"])
        wait_for("the node to answer", lambda: self.https("/api/v1/health").status_code == 200, timeout=60)

    def https(self, path: str, token: str | None = None) -> httpx.Response:
        """A request to the node's API over its own HTTPS, trusting its site CA."""
        context = ssl.create_default_context(cafile=str(self.data / "tls" / "ca.crt"))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(f"https://localhost:{self.env['HAOLIN_HTTPS_PORT']}{path}", headers=headers, verify=context)

    def start_agent(self, *, skew_minutes: int = 0) -> None:
        env = dict(self.env)
        if skew_minutes:
            env |= {"LD_PRELOAD": str(FAKETIME), "FAKETIME": f"{skew_minutes:+d}m", "FAKETIME_DONT_RESET": "1"}
        self.agent = self._spawn("agent", [*CLI, "sync", "run", "--poll-interval", "0.1", "--max-backoff", "1",
                                           "--timeout", "3", "--no-reconcile", "--push-batch", "50"], env)

    def stop(self, proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def metrics(self, store: Store) -> str:
        token = auth.add_machine(store, machine_id=f"scraper-{uuid.uuid4().hex[:6]}", kind=Role.HQ, name="bench",
                                 now=dt.datetime.now(dt.UTC))
        return self.https("/metrics", token).text


def bench_site(work: Path) -> Path:
    """The demo warehouse without its cold chain, whose SKUs this bench's HQ does not sell."""
    site = yaml.safe_load(demo_site_file().read_text(encoding="utf-8"))
    site.pop("coldchain", None)
    path = work / "site.yaml"
    path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    return path


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> float:
    started = time.monotonic()
    while True:
        with suppress(httpx.HTTPError, OSError):
            if check():
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def seed(stack: Stack, orders: int) -> None:
    def gtin(n: int) -> str:
        body = f"69{n:011d}"
        return body + str(gtin_check_digit(body))

    stack.admin.put("/admin/stores", json=[{"store_id": f"S{i:02d}", "name": f"Store {i}"} for i in range(8)])
    stack.admin.put("/admin/skus", json=[
        {"sku_id": f"K{i:02d}", "gtin": gtin(i), "name_zh": f"商品{i}", "name_en": f"Item {i}", "unit": "box",
         "temp_class": "chilled", "shelf_life_days": 5, "case_pack": 12, "supplier_id": "SUP1",
         "supplier_name": "Yunnan Berries", "weight_g": 500} for i in range(10)])
    put_orders(stack, range(orders), salt=0)


def put_orders(stack: Stack, ids: range, salt: int) -> None:
    stack.admin.post("/admin/orders", json=[
        {"hq_order_id": f"C{i:06d}", "store_id": f"S{i % 8:02d}", "delivery_date": DELIVERY.isoformat(),
         "lines": [{"line_no": j + 1, "sku_id": f"K{(i + j) % 10:02d}", "quantity": 2 + (i + j + salt) % 7}
                   for j in range(1 + i % 3)]} for i in ids]).raise_for_status()


class Pickers:
    """Commit events on the node the way a scan does: the line and its event in one transaction."""

    def __init__(self, store: Store, rng: random.Random):
        self.store, self.rng, self.committed = store, rng, 0

    def pick(self, n: int) -> None:
        lines = self.store.conn.execute(
            "SELECT l.hq_order_id, l.line_no, l.sku_id, l.quantity FROM order_lines l JOIN orders o"
            " USING (hq_order_id) WHERE o.hq_order_id < 'C000100' AND o.status != 'cancelled'").fetchall()
        for _ in range(n if lines else 0):
            hq_id, line_no, sku, ordered = self.rng.choice(lines)
            qty = self.rng.randint(0, ordered)
            with self.store.write("person:P01", dt.datetime.now(dt.UTC), device_id="pda-1") as w:
                w.conn.execute("UPDATE order_lines SET picked_qty = ? WHERE hq_order_id = ? AND line_no = ?",
                               (qty, hq_id, line_no))
                w.conn.execute("UPDATE orders SET status = 'picking' WHERE hq_order_id = ? AND status = 'open'",
                               (hq_id,))
                w.emit(LinePickedPayload(hq_order_id=hq_id, line_no=line_no, sku_id=sku, picked_qty=qty,
                                         ordered_qty=ordered, short_reason="short" if qty < ordered else None),
                       hq_id)
            self.committed += 1

    def poison(self) -> str:
        """An outbox row as an older build wrote it, of a kind HQ does not take: HQ refuses it."""
        key = str(uuid.uuid4())
        with self.store.write("person:P01", dt.datetime.now(dt.UTC)) as w:
            event_id = w.log("floor.legacy_note", "X", {"note": "from an old build"})
            message = {"kind": "floor.legacy_note", "subject": "X", "actor": "person:P01", "device_id": None,
                       "occurred_at": w.now_text, "payload": {"note": "from an old build"}}
            w.conn.execute("INSERT INTO outbox (event_id, idempotency_key, kind, payload, created_at)"
                           " VALUES (?, ?, ?, ?, ?)", (event_id, key, "floor.legacy_note", json.dumps(message),
                                                       w.now_text))
        return key


def progress(store: Store) -> str:
    """Changes whenever the agent records anything (a page, a push, an error): it is at work."""
    return str(store.scalar("SELECT MAX(updated_at) || COUNT(*) FROM sync_state"))


def converged(stack: Stack, store: Store) -> bool:
    """HQ has every event the node queued (dead letters aside), and the node every HQ change."""
    pending = store.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL AND held_at IS NULL")
    cursor = int(store.scalar("SELECT value FROM sync_state WHERE key = 'feed_cursor'"))
    return bool(pending == 0 and cursor == stack.admin.get("/admin/stats").json()["feed_head"])


def chaos(stack: Stack, store: Store, pickers: Pickers, args: argparse.Namespace, rng: random.Random) -> dict[str, int]:
    """Kill the agent `agent_kills` times mid-work, HQ `hq_kills` times, stall and drop the link."""
    kills = {"agent": 0, "hq": 0, "stalls": 0, "drops": 0}
    hq_kill_at = set(rng.sample(range(3, args.agent_kills), min(args.hq_kills, max(0, args.agent_kills - 3))))
    next_order = 1000
    for round_no in range(args.agent_kills):
        mark = progress(store)
        stack.start_agent()
        wait_for("the agent to start working", lambda: progress(store) != mark, timeout=60)  # noqa: B023
        pickers.pick(rng.randint(5, 25))
        if round_no % 3 == 0:
            put_orders(stack, range(next_order, next_order + 5), salt=0)
            put_orders(stack, range(rng.randrange(100, 400), 400, 97), salt=round_no)  # new versions
            next_order += 5
        if round_no == args.agent_kills // 3:
            stack.proxy.set("stall")
            kills["stalls"] += 1
            time.sleep(args.fault_seconds)
            stack.proxy.set("pass")
        if round_no == 2 * args.agent_kills // 3:
            stack.proxy.set("drop")
            kills["drops"] += 1
            pickers.pick(50)
            time.sleep(args.fault_seconds)
            stack.proxy.set("pass")
        time.sleep(rng.uniform(0.0, 0.6))
        stack.stop(stack.agent, signal.SIGKILL)
        kills["agent"] += 1
        if round_no in hq_kill_at:
            stack.stop(stack.hq, signal.SIGKILL)
            kills["hq"] += 1
            pickers.pick(10)
            stack.start_hq()
    return kills


def delivered_after(stack: Stack, store: Store, pickers: Pickers, since_seq: int, timeout: float) -> bool:
    """Commit 20 events and 10 new HQ orders; True when they, and every event after `since_seq` that was
    not refused, reached the other side in time."""
    pickers.pick(20)
    top = len(stack.admin.get("/admin/orders").json())
    put_orders(stack, range(10_000 + top, 10_010 + top), salt=0)

    def arrived() -> bool:
        keys = {r[0] for r in store.conn.execute(
            "SELECT idempotency_key FROM outbox WHERE seq > ? AND held_at IS NULL", (since_seq,))}
        return converged(stack, store) and keys <= set(stack.admin.get("/admin/event-keys").json())

    try:
        wait_for("the rest to flow", arrived, timeout=timeout)
    except TimeoutError:
        return False
    return True


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="sync-chaos-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        stack = Stack(work)
        stack.data.mkdir()
        store = Store(stack.data / "edge.sqlite3")
        pickers = Pickers(store, rng)
        try:
            stack.start_hq()
            seed(stack, args.orders)
            stack.start_node()
            stack.start_agent()
            wait_for("the first pull", lambda: converged(stack, store), timeout=120)
            stack.stop(stack.agent)
            started = time.monotonic()
            kills = chaos(stack, store, pickers, args, rng)
            chaos_s = time.monotonic() - started
            stack.start_agent()
            converge_s = wait_for("convergence", lambda: converged(stack, store), timeout=300)

            since = int(store.scalar("SELECT MAX(seq) FROM outbox"))
            pickers.pick(3)
            poison_key = pickers.poison()
            poison_ok = delivered_after(stack, store, pickers, since, timeout=60)
            held = store.scalar("SELECT code FROM sync_dead_letters WHERE idempotency_key = ?", (poison_key,))

            stack.stop(stack.agent)
            skewed = FAKETIME.exists()
            stack.start_agent(skew_minutes=-20 if skewed else 0)
            since = int(store.scalar("SELECT MAX(seq) FROM outbox"))
            skew_ok = skewed and delivered_after(stack, store, pickers, since, timeout=60)
            skew = store.scalar("SELECT value FROM sync_state WHERE key = 'hq_clock_skew_s'")
            stack.stop(stack.agent)

            metrics = stack.metrics(store)
            hq_keys = stack.admin.get("/admin/event-keys").json()
            ours = {r[0] for r in store.conn.execute("SELECT idempotency_key FROM outbox WHERE held_at IS NULL")}
            hq_orders = {o["hq_order_id"]: o["version"] for o in stack.admin.get("/admin/orders").json()}
            edge_orders = {r[0]: r[1] for r in store.conn.execute("SELECT hq_order_id, version FROM orders")}
            backlog = len(ours)
            reference = drain_reference(stack, work, store, backlog)
        finally:
            for proc in (stack.agent, stack.node, stack.hq):
                stack.stop(proc)
            stack.proxy.close()
            store.close()
    return {
        "bench": "sync_chaos", "case": f"{kills['agent']}_agent_kills_{kills['hq']}_hq_kills",
        "kills": kills["agent"] + kills["hq"], "agent_kills": kills["agent"], "hq_kills": kills["hq"],
        "stalls": kills["stalls"], "drops": kills["drops"], "fault_seconds": args.fault_seconds,
        "chaos_s": round(chaos_s, 1),
        "committed": len(ours), "at_hq": len(ours & set(hq_keys)), "lost": len(ours - set(hq_keys)),
        "duplicated": len(hq_keys) - len(set(hq_keys)),
        "orders_diverged": sum(edge_orders.get(k) != v for k, v in hq_orders.items()),
        "converge_s": round(converge_s, 2),
        "poison_rest_delivered": poison_ok, "poison_dead_letter": held,
        "skew_rest_delivered": skew_ok, "agent_skew_minutes": -20 if skewed else 0,
        "measured_skew_s": None if skew is None else round(float(skew)),
        "node_metrics_dead_letters": _metric(metrics, "haolin_sync_dead_letters"),
        "node_metrics_outbox_depth": _metric(metrics, "haolin_outbox_depth"),
        "reference": reference,
    }


def drain_reference(stack: Stack, work: Path, store: Store, events: int) -> dict[str, Any]:
    """The same agent command pushing a fresh node's backlog of `events` with no faults and no kills."""
    clean = Store(work / "clean" / "edge.sqlite3")
    with clean.write("person:P01", dt.datetime.now(dt.UTC)) as w:
        for i in range(events):
            w.emit(LinePickedPayload(hq_order_id=f"R{i:07d}", line_no=1, sku_id="K01", picked_qty=1, ordered_qty=1),
                   f"R{i:07d}")
    env = {**stack.env, "HAOLIN_DATA_DIR": str(work / "clean"), "HAOLIN_HQ_URL": stack.hq_url}
    started = time.monotonic()
    proc = stack._spawn("clean-agent", [*CLI, "sync", "run", "--once", "--no-reconcile", "--push-batch", "50",
                                        "--poll-interval", "0.1"], env)
    proc.wait(600)
    seconds = time.monotonic() - started
    left = clean.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL")
    clean.close()
    return {"what": "one `sync run --once` draining a backlog of as many events, no faults", "events": events,
            "seconds": round(seconds, 2), "left": left}


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent-kills", type=int, default=32)
    parser.add_argument("--hq-kills", type=int, default=3)
    parser.add_argument("--fault-seconds", type=float, default=5.0, help="length of the stall and of the drop")
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", type=Path, help="keep the processes' logs and databases here")
    print(json.dumps(measure(parser.parse_args()), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
