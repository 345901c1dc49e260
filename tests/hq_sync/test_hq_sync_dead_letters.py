"""The link never jams: a refused event is set aside while the rest flows both ways, a skewed clock
is measured and corrected, and an HQ address with a path of its own signs what it sends."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount

from edge.domain.auth import Role
from edge.services import auth
from edge.services.hq_port import StorePort, sync_status
from edge.services.sync_dead_letters import list_dead_letters
from hq_sync.agent import AgentConfig, SyncAgent
from hq_sync.client import HqClient
from hq_sync.protocol import EventBatch, TourDonePayload
from hq_sync.reference_hq.app import create_app
from tests.hq_sync.hq_sync_harness import ADMIN, EDGE_ID, ROOT, SECRET, Edge, Hq, assert_converged, drafts, free_port

PICK_TIME = dt.datetime(2030, 7, 1, 20, 0, tzinfo=dt.UTC)


def picks(edge: Edge, n: int, start: int = 0) -> None:
    orders = sorted(o for o, (_v, status) in edge.orders().items() if status != "cancelled")
    for i in range(start, start + n):
        edge.pick(orders[i % len(orders)], 1, 1, PICK_TIME)


def legacy_row(edge: Edge, kind: str, actor: str = "P01") -> str:
    """An outbox row written before the typed contract (or by a damaged build): HQ or the agent cannot take it."""
    key = str(uuid.uuid4())
    with edge.store.write(actor[:20], PICK_TIME) as w:
        event_id = w.log(kind, "X1", {"what": "legacy"})
        message = {"kind": kind, "subject": "X1", "actor": actor, "device_id": None, "occurred_at": w.now_text,
                   "payload": {"what": "legacy"}}
        w.conn.execute("INSERT INTO outbox (event_id, idempotency_key, kind, payload, created_at)"
                       " VALUES (?, ?, ?, ?, ?)", (event_id, key, kind, json.dumps(message), w.now_text))
    return key


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """An ASGI app on a loopback port of its own, in a thread, for as long as the block runs."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            threading.Event().wait(0.02)
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def cli(edge: Edge, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge.sync_cli", *args], cwd=ROOT, env=edge.env(),
                          capture_output=True, text=True)


def test_a_refused_event_is_set_aside_and_everything_else_flows_both_ways(tmp_path: Path) -> None:
    hq = Hq(tmp_path)
    try:
        hq.seed(20)
        edge = Edge(tmp_path / "edge", hq.url)
        edge.sync_until_idle("--no-reconcile")
        picks(edge, 3)
        refused_at_hq = legacy_row(edge, "floor.mystery")
        unbuildable = legacy_row(edge, "floor.tour_done", actor="person:" + "p" * 60)  # 67 characters
        picks(edge, 20, start=3)
        hq.call("POST", "/admin/orders", drafts(range(20, 30)))
        edge.sync_until_idle("--no-reconcile", "--push-batch", "100")

        dead = {d["idempotency_key"]: d for d in list_dead_letters(edge.store)}
        assert dead[refused_at_hq]["code"] == "unknown_kind" and "floor.mystery" in dead[refused_at_hq]["detail"]
        assert dead[unbuildable]["code"] == "invalid_at_edge" and "actor" in dead[unbuildable]["detail"]
        assert len(edge.orders()) == 30, "HQ's new orders did not come down"
        checked = assert_converged(hq, edge)
        assert checked["events_checked"] == 23
        status = sync_status(edge.store, dt.datetime.now(dt.UTC))
        assert (status["dead_letters"], status["lag_events"], status["lag_changes"]) == (2, 0, 0)
        assert status["last_push_error"] is None and status["last_pull_error"] is None

        edge.sync_until_idle("--no-reconcile")  # a restart does not send them again
        assert hq.stats()["deliveries"] == 23

        auth.add_person(edge.store, person_id="SUP01", code="S01", name="Wang", role=Role.SUPERVISOR,
                        pin="246810", now=PICK_TIME)
        refused = cli(edge, "dead-letter", "discard", str(dead[refused_at_hq]["dead_id"]), "--by", "P01",
                      "--reason", "x")
        assert refused.returncode != 0 and "not an active supervisor" in refused.stderr
        done = cli(edge, "dead-letter", "discard", str(dead[refused_at_hq]["dead_id"]), "--by", "SUP01",
                   "--reason", "an old build's test event")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["resolved_by"] == "person:SUP01"
        edge.sync_until_idle("--no-reconcile")
        told = hq.call("GET", "/admin/event-keys")
        assert len(told) == 24 and refused_at_hq not in told
        listed = json.loads(cli(edge, "dead-letter", "list", "--all").stdout)
        assert {d["resolution"] for d in listed} == {"discarded", None}
        assert_converged(hq, edge)
    finally:
        hq.close()


@pytest.mark.parametrize("skew", [-20 * 60, 20 * 60])
def test_twenty_minutes_of_skew_is_measured_corrected_and_reported(tmp_path: Path, skew: int) -> None:
    hq = Hq(tmp_path, clock_skew=skew)
    try:
        hq.seed(30)
        edge = Edge(tmp_path / "edge", hq.url)
        edge.sync_until_idle("--no-reconcile")
        picks(edge, 15)
        hq.call("POST", "/admin/orders", drafts(range(30, 40)))
        edge.sync_until_idle("--no-reconcile")
        assert len(edge.orders()) == 40
        assert_converged(hq, edge)
        status = sync_status(edge.store, dt.datetime.now(dt.UTC))
        assert abs(status["hq_clock_skew_s"] - skew) < 5 and status["last_error"] is None
    finally:
        hq.close()


def test_an_hq_address_with_a_path_signs_the_path_it_sends(tmp_path: Path) -> None:
    site = Starlette(routes=[Mount("/edge", app=create_app(tmp_path / "hq.sqlite3", {EDGE_ID: SECRET}, ADMIN))])
    with serving(site) as port:
        edge = Edge(tmp_path / "edge", "unused")
        outbox = StorePort(edge.store)
        with HqClient(f"http://127.0.0.1:{port}/edge", EDGE_ID, SECRET) as client:
            assert client.feed(0, 10).changes == []
            with edge.store.write("P01", PICK_TIME) as w:
                w.emit(TourDonePayload(), "T1")
            acks = client.push(EventBatch(events=outbox.unacked_events(10)))
            assert [a.status for a in acks.acks] == ["applied"]


class WholeBatchRefusingHq:
    """An HQ of the old kind in front of the reference one: one bad event and it answers 422 for the batch."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/events":
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if b"floor.mystery" in body:
            refusal = JSONResponse({"code": "invalid_payload", "detail": "floor.mystery is not a kind"}, 422)
            return await refusal(scope, receive, send)
        replayed = False

        async def again() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, again, send)


def test_an_hq_that_refuses_whole_batches_gets_them_one_by_one(tmp_path: Path) -> None:
    site = WholeBatchRefusingHq(create_app(tmp_path / "hq.sqlite3", {EDGE_ID: SECRET}, ADMIN))
    with serving(site) as port:
        edge = Edge(tmp_path / "edge", "unused")
        with edge.store.write("person:P01", PICK_TIME) as w:
            for i in range(3):
                w.emit(TourDonePayload(), f"T{i}")
        poison = legacy_row(edge, "floor.mystery")
        with edge.store.write("person:P01", PICK_TIME) as w:
            w.emit(TourDonePayload(), "T9")
        with HqClient(f"http://127.0.0.1:{port}", EDGE_ID, SECRET) as client:
            assert SyncAgent(StorePort(edge.store), client).push() == 5
        [dead] = list_dead_letters(edge.store)
        assert (dead["idempotency_key"], dead["code"]) == (poison, "invalid_payload")
        assert edge.unacked() == 0


def test_the_agent_keeps_going_while_the_node_refuses_writes(tmp_path: Path) -> None:
    edge = Edge(tmp_path / "edge", "unused")
    with edge.store.write("person:P01", PICK_TIME) as w:
        w.emit(TourDonePayload(), "T1")
    edge.store.min_free_bytes = edge.store.free_bytes() + 2**40  # the disk is "full": every write refused
    client = HqClient(f"http://127.0.0.1:{free_port()}", EDGE_ID, SECRET, timeout=0.5)  # and HQ unreachable
    agent = SyncAgent(StorePort(edge.store), client, AgentConfig(poll_interval=0.01, backoff_base=0.01,
                                                                 backoff_cap=0.02))
    rounds = threading.Semaphore(0)
    thread = threading.Thread(target=agent.run, kwargs={"on_cycle": rounds.release})
    thread.start()
    for _ in range(5):
        assert rounds.acquire(timeout=10), "the agent's loop died"
    agent.stop.set()
    thread.join(10)
    client.close()
    assert not thread.is_alive() and edge.unacked() == 1
