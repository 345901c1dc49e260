"""Device status written by the running node is what `devices list` and the API show."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from drivers.readings import BrixReading
from drivers.site import parse_site
from drivers.supervisor import DeviceStatus, Supervisor
from edge.cli import app as cli
from edge.domain.auth import Role
from edge.services.device_runtime import crate_label_printer
from edge.services.device_status import save_statuses
from tests.fixtures.edge import EdgeNode


def _statuses(now: dt.datetime) -> list[DeviceStatus]:
    online = DeviceStatus("refr-1", "refractometer", "atago-prm-2000a", "/dev/pts/4", "online", None, now,
                          frames=12, last_reading=BrixReading(brix=13.2), last_reading_at=now)
    dead = DeviceStatus("cold-3", "climate", "xy-md02", "/dev/serial/by-id/x", "unavailable",
                        "timeout: no answer from unit 3", now, errors=4, reconnects=2)
    return [online, dead]


def test_devices_list_shows_state_reason_and_counters(edge_node: EdgeNode) -> None:
    save_statuses(edge_node.store, _statuses(dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC))
    result = CliRunner().invoke(cli, ["--data-dir", str(edge_node.settings.data_dir), "devices", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("cold-3") and "unavailable — timeout: no answer from unit 3" in lines[0]
    assert "errors=4 reconnects=2" in lines[0]
    assert lines[1].startswith("refr-1") and "online" in lines[1] and "frames=12" in lines[1]


def test_a_snapshot_the_node_stopped_refreshing_is_marked_stale(edge_node: EdgeNode) -> None:
    save_statuses(edge_node.store, _statuses(edge_node.clock()), edge_node.clock())
    fresh = edge_node.client.get("/api/v1/devices", headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert [d["stale"] for d in fresh] == [False, False]
    assert fresh[1]["last_reading"]["brix"] == 13.2
    edge_node.clock.advance(minutes=5)
    stale = edge_node.client.get("/api/v1/devices", headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert [d["stale"] for d in stale] == [True, True]


def test_sync_status_and_exceptions_are_visible_to_the_supervisor(edge_node: EdgeNode) -> None:
    headers = edge_node.headers(Role.SUPERVISOR)
    status = edge_node.client.get("/api/v1/sync/status", headers=headers).json()
    assert status["queue_depth"] == edge_node.store.scalar("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL")
    assert edge_node.client.get("/api/v1/sync/exceptions", headers=headers).json() == []
    assert edge_node.client.post("/api/v1/sync/exceptions/99/resolve", headers=headers).status_code == 404


def test_crate_labels_go_to_the_named_printer_or_the_first_one() -> None:
    site = parse_site({"devices": [
        {"id": "scan-1", "profile": "honeywell-serial-aim", "port": "/dev/serial/by-id/x"},
        {"id": "label-a", "profile": "escpos-80mm-network", "host": "127.0.0.1", "tcp_port": 9100},
        {"id": "label-b", "profile": "zebra-zpl-network", "host": "127.0.0.1", "tcp_port": 9101}]})
    supervisor = Supervisor(site)
    assert crate_label_printer(supervisor, None).id == "label-a"  # type: ignore[union-attr]
    assert crate_label_printer(supervisor, "label-b").id == "label-b"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="scan-1"):
        crate_label_printer(supervisor, "scan-1")
    assert crate_label_printer(Supervisor(devices=[]), None) is None
