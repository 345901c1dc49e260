"""Receiving QC: n readings of a SKU lot give mean, standard deviation and pass/fail; the result
goes to HQ (outbox `qc.result`) and is what the lot's crate labels print. And the stream's replay."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.auth import Role
from edge.domain.brix import BrixSpec, decide, stats, verdict
from edge.domain.problems import InputRejected
from edge.services import qc
from hq_sync.protocol import QcResultPayload
from tests.fixtures.edge import EdgeNode

NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def spec_sku(node: EdgeNode) -> tuple[str, float, float]:
    row = node.store.query("SELECT sku_id, brix_min, brix_max FROM skus WHERE brix_min IS NOT NULL"
                           " AND brix_max IS NOT NULL ORDER BY sku_id LIMIT 1")[0]
    return row["sku_id"], row["brix_min"], row["brix_max"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 40, allow_nan=False), min_size=1, max_size=30))
def test_stats_match_the_statistics_module(values: list[float]) -> None:
    found = stats(values)
    assert found.n == len(values)
    assert math.isclose(found.mean, statistics.fmean(values), abs_tol=1e-9)
    expected_sd = statistics.stdev(values) if len(values) > 1 else 0.0
    assert math.isclose(found.sd, expected_sd, rel_tol=1e-9, abs_tol=1e-9)


def test_verdicts_and_decisions() -> None:
    spec = BrixSpec(10.0, 14.0)
    assert [verdict(v, spec) for v in (9.99, 10.0, 14.0, 14.01)] == ["low", "pass", "pass", "high"]
    assert verdict(12.0, BrixSpec(None, None)) == "no_spec"
    assert verdict(3.0, BrixSpec(None, 5.0)) == "pass"
    assert decide(stats([12.0, 12.5]), spec, 3) == (False, "too_few")
    assert decide(stats([12.0, 12.5, 13.0]), spec, 3) == (True, "pass")
    assert decide(stats([9.0, 9.5, 10.2]), spec, 3) == (False, "low")


def test_a_check_on_a_meter_collects_its_readings_and_reports_to_hq_and_labels(edge_node: EdgeNode) -> None:
    store = edge_node.store
    sku, low, high = spec_sku(edge_node)
    qc_id = qc.open_check(store, sku_id=sku, lot="L2607A", device_id="refr-1", actor="person:SUP01", now=NOW,
                          min_readings=3)
    values = [round(low + 0.5 + i * 0.3, 2) for i in range(5)]
    for i, value in enumerate(values):
        qc.record_meter_reading(store, device_id="refr-1", brix=value, temperature_c=20.0,
                                event_time=None, received_at=NOW + dt.timedelta(seconds=i))
    qc.record_meter_reading(store, device_id="refr-2", brix=99.0, temperature_c=None, event_time=None,
                            received_at=NOW)  # another meter: not part of this check
    assert qc.qc_result_for_lot(store, sku, "L2607A") is None
    result = qc.close_check(store, qc_id, actor="person:SUP01", now=NOW + dt.timedelta(minutes=1))
    assert (result.n, result.passed, result.verdict) == (5, True, "pass")
    assert result.mean_brix == pytest.approx(statistics.fmean(values))
    assert result.sd_brix == pytest.approx(statistics.stdev(values))
    assert (result.brix_min, result.brix_max) == (low, high)
    assert qc.qc_result_for_lot(store, sku, "L2607A") == result
    assert result.label_text.startswith("Brix ") and result.label_text.endswith("n=5 PASS")

    outbox = store.query("SELECT payload FROM outbox WHERE kind = 'qc.result'")
    assert len(outbox) == 1
    message = json.loads(outbox[0]["payload"])
    payload = QcResultPayload.model_validate(message["payload"])  # HQ's own model accepts it
    assert (payload.sku_id, payload.lot, payload.passed) == (sku, "L2607A", True)
    assert payload.brix == pytest.approx(result.mean_brix, abs=1e-3) and "n=5" in payload.notes
    # the meter is free again; a later reading attaches to nothing
    later = qc.record_meter_reading(store, device_id="refr-1", brix=12.0, temperature_c=20.0, event_time=None,
                                    received_at=NOW + dt.timedelta(minutes=2))
    assert later.qc_id is None


def test_refusals_say_what_and_where(edge_node: EdgeNode) -> None:
    store = edge_node.store
    sku, low, _ = spec_sku(edge_node)
    no_spec = store.scalar("SELECT sku_id FROM skus WHERE brix_min IS NULL AND brix_max IS NULL LIMIT 1")
    with pytest.raises(InputRejected) as refused:
        qc.open_check(store, sku_id=no_spec, lot=" ", device_id=None, actor="a", now=NOW)
    assert {p.path for p in refused.value.problems} == {"sku_id", "lot"}
    with pytest.raises(qc.QcNotFound):
        qc.open_check(store, sku_id="NOPE", lot="L", device_id=None, actor="a", now=NOW)
    qc_id = qc.open_check(store, sku_id=sku, lot="L1", device_id="refr-1", actor="a", now=NOW)
    with pytest.raises(InputRejected, match="already taking readings"):
        qc.open_check(store, sku_id=sku, lot="L2", device_id="refr-1", actor="a", now=NOW)
    for bad in (float("nan"), -1.0, 150.0):
        with pytest.raises(InputRejected) as refused:
            qc.add_manual_reading(store, qc_id, brix=bad, temperature_c=None, actor="a", now=NOW)
        assert refused.value.problems[0].path == "brix"
    with pytest.raises(InputRejected, match="no readings"):
        qc.close_check(store, qc_id, actor="a", now=NOW)
    qc.add_manual_reading(store, qc_id, brix=low - 1, temperature_c=19.0, actor="a", now=NOW)
    qc.add_manual_reading(store, qc_id, brix=low - 0.5, temperature_c=19.0, actor="a", now=NOW)
    result = qc.close_check(store, qc_id, actor="a", now=NOW)
    assert (result.passed, result.verdict) == (False, "too_few")
    with pytest.raises(InputRejected, match="closed at"):
        qc.close_check(store, qc_id, actor="a", now=NOW)


def test_qc_api_roles_and_the_stream_replays_after_last_event_id(edge_node: EdgeNode) -> None:
    client = edge_node.client
    sku, low, high = spec_sku(edge_node)
    body = {"sku_id": sku, "lot": "L9", "min_readings": 2}
    assert client.post("/api/v1/qc/checks", json=body).status_code == 401
    assert client.post("/api/v1/qc/checks", json=body, headers=edge_node.headers(Role.STORE_OWNER)).status_code == 403
    sup = edge_node.headers(Role.SUPERVISOR)
    opened = client.post("/api/v1/qc/checks", json=body, headers=sup)
    assert opened.status_code == 201, opened.text
    qc_id = opened.json()["qc_id"]
    for value in (low + 0.2, high - 0.2):
        assert client.post(f"/api/v1/qc/checks/{qc_id}/readings", json={"brix": value}, headers=sup).status_code == 201
    bad = client.post(f"/api/v1/qc/checks/{qc_id}/readings", json={"brix": 500}, headers=sup)
    assert bad.status_code == 422 and bad.json()["problems"][0]["path"] == "brix"
    assert client.post("/api/v1/qc/checks/999/close", headers=sup).status_code == 404
    closed = client.post(f"/api/v1/qc/checks/{qc_id}/close", headers=sup).json()
    assert closed["passed"] is True and closed["n"] == 2
    lot = client.get(f"/api/v1/qc/lots/{sku}/L9", headers=edge_node.headers(Role.SORTER))
    assert lot.json()["label_text"] == closed["label_text"]

    owner = edge_node.headers(Role.STORE_OWNER)
    text = read_events(client, 2, params={"sku_id": sku}, headers=owner)
    ids = [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]
    assert len(ids) == 2 and text.startswith("retry: 1000")
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [e["verdict"] for e in events] == ["pass", "pass"]
    replay = read_events(client, 1, headers={**owner, "Last-Event-ID": str(ids[0])})
    assert [int(line[4:]) for line in replay.splitlines() if line.startswith("id: ")] == ids[1:]
    assert client.get("/api/v1/brix/stream", params={"sku_id": "NOPE"}, headers=owner).status_code == 404
    assert client.get("/api/v1/brix/stream", headers=edge_node.headers(Role.PICKER)).status_code == 403


def read_events(client: Any, count: int, **request: Any) -> str:
    """The stream's text up to its `count`-th event: a live stream never ends by itself."""
    text = ""
    with client.stream("GET", "/api/v1/brix/stream", **request) as stream:
        for line in stream.iter_lines():
            text += line + "\n"
            if text.count("\nid: ") + text.startswith("id: ") >= count and line == "":
                break
    return text
