"""The supervisor hears about the database's disk filling up well before the node refuses writes."""

from __future__ import annotations

from edge.domain.auth import Role
from edge.services.floor.supervision import disk_state
from tests.fixtures.edge import EdgeNode


def test_low_disk_shows_on_the_supervisors_overview_before_writes_stop(edge_node: EdgeNode) -> None:
    store = edge_node.store
    free = store.free_bytes()
    day = edge_node.delivery_date.isoformat()
    answer = edge_node.client.get("/api/v1/floor/supervisor/overview", params={"date": day},
                                  headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert answer["disk"]["state"] == "ok"
    store.min_free_bytes = free // 2  # writes still go through, but free space is under 4x the floor
    answer = edge_node.client.get("/api/v1/floor/supervisor/overview", params={"date": day},
                                  headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert answer["disk"]["state"] == "low" and answer["disk"]["floor_mb"] == free // 2 // 1_048_576
    store.min_free_bytes = free * 2
    try:
        assert disk_state(store)["state"] == "refusing"
    finally:
        store.min_free_bytes = 0  # the node's own shutdown writes
