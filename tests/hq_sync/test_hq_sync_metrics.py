"""`/metrics` (Prometheus) and the supervisor's dead-letter API on a demo node."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from edge.domain.auth import Role
from edge.services.hq_port import StorePort
from hq_sync.port import Refusal
from hq_sync.protocol import TourDonePayload
from tests.fixtures.edge import EdgeNode


def queue_events(node: EdgeNode, n: int) -> None:
    with node.store.write("person:SUP01", node.clock()) as w:
        for i in range(n):
            w.emit(TourDonePayload(), f"T{i}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_need_a_machine_token_or_a_supervisor_and_tell_the_nodes_health(edge_node: EdgeNode) -> None:
    client = edge_node.client
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=edge_node.headers(Role.PICKER)).status_code == 403
    client.get("/api/v1/health")
    queue_events(edge_node, 3)
    port = StorePort(edge_node.store)
    [first, *_] = port.unacked_events(5)
    port.dead_letter([Refusal(first.idempotency_key, "invalid_payload", "line_no: field required")], edge_node.clock())
    answer = client.get("/metrics", headers=edge_node.headers(Role.HQ))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    depth = edge_node.store.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL AND held_at IS NULL")
    assert found[("haolin_outbox_depth", ())] == depth > 0
    assert found[("haolin_sync_dead_letters", ())] == 1
    assert found[("haolin_outbox_oldest_age_seconds", ())] >= 0
    assert found[("haolin_open_alarms", ())] == 0 and found[("haolin_disk_free_bytes", ())] > 0
    health = ("haolin_http_request_duration_seconds_count",
              (("method", "GET"), ("route", "/api/v1/health"), ("status", "2xx")))
    assert found[health] == 1
    assert client.get("/metrics", headers=edge_node.headers(Role.SUPERVISOR)).status_code == 200


def test_a_supervisor_retries_or_discards_a_dead_letter_with_a_reason(edge_node: EdgeNode) -> None:
    queue_events(edge_node, 3)
    client, port = edge_node.client, StorePort(edge_node.store)
    first, second = port.unacked_events(2)
    port.dead_letter([Refusal(first.idempotency_key, "unknown_order", "HQ has no order O1"),
                      Refusal(second.idempotency_key, "invalid_payload", "bad")], edge_node.clock())
    assert [e.idempotency_key for e in port.unacked_events(1)] != [first.idempotency_key]
    sup = edge_node.headers(Role.SUPERVISOR)
    listed = client.get("/api/v1/sync/dead-letters", headers=sup).json()
    assert [d["code"] for d in listed] == ["invalid_payload", "unknown_order"]
    retry_id, discard_id = listed[1]["dead_id"], listed[0]["dead_id"]
    assert client.post(f"/api/v1/sync/dead-letters/{retry_id}/retry", json={"reason": ""}, headers=sup
                       ).status_code == 422
    assert client.post(f"/api/v1/sync/dead-letters/{retry_id}/retry", json={"reason": "HQ added the order"},
                       headers=edge_node.headers(Role.PICKER)).status_code == 403
    retried = client.post(f"/api/v1/sync/dead-letters/{retry_id}/retry", json={"reason": "HQ added the order"},
                          headers=sup).json()
    assert (retried["resolution"], retried["resolved_by"]) == ("retried", "person:SUP01")
    assert port.unacked_events(1)[0].idempotency_key == first.idempotency_key  # back in its old place
    discarded = client.post(f"/api/v1/sync/dead-letters/{discard_id}/discard",
                            json={"reason": "a test event from an old build"}, headers=sup).json()
    assert discarded["resolution"] == "discarded"
    told = [e for e in port.unacked_events(1000) if e.kind == "sync.event_discarded"]
    assert [e.payload["idempotency_key"] for e in told] == [second.idempotency_key]
    assert client.post(f"/api/v1/sync/dead-letters/{discard_id}/discard", json={"reason": "again"},
                       headers=sup).status_code == 404
    assert client.get("/api/v1/sync/status", headers=sup).json()["dead_letters"] == 0


def test_a_write_on_a_nearly_full_disk_is_refused_cleanly_in_the_callers_language(edge_node: EdgeNode) -> None:
    store, sup = edge_node.store, edge_node.headers(Role.SUPERVISOR)
    store.min_free_bytes = store.free_bytes() + 2**40
    try:
        answer = edge_node.client.post("/api/v1/sync/exceptions/1/resolve", headers=sup)
        assert answer.status_code == 503 and answer.json()["code"] == "disk_low"
        assert "磁盘即将写满" in answer.json()["detail"]
        english = edge_node.client.post("/api/v1/sync/exceptions/1/resolve?lang=en", headers=sup)
        assert "disk is nearly full" in english.json()["detail"]
        assert samples(edge_node.client.get("/metrics", headers=sup).text)[("haolin_disk_free_bytes", ())] > 0
    finally:
        store.min_free_bytes = 0
