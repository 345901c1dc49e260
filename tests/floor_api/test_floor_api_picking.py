"""Pick scans: every rule of the picking channel through the HTTP API, against a real SQLite store."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

from edge.domain.auth import Role
from edge.services import auth
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import API, build_wave, events, new_scan, outbox, pick, take_tour


def test_wave_builds_tours_one_temperature_class_each_along_the_routed_path(edge_node: EdgeNode) -> None:
    wave = build_wave(edge_node, cart_volume_ml=120_000)
    assert len(wave["tours"]) >= 3
    rows = edge_node.store.query(
        "SELECT t.tour_id, COUNT(DISTINCT s.temp_class) AS classes, SUM(l.quantity) AS units"
        " FROM tours t JOIN tour_lines l USING (tour_id) JOIN skus s USING (sku_id) GROUP BY t.tour_id")
    assert all(r["classes"] == 1 for r in rows)
    toured = edge_node.store.query("SELECT sku_id, lot, SUM(quantity) AS q FROM tour_lines GROUP BY sku_id, lot")
    listed = edge_node.client.get(f"{API.replace('/floor', '')}/aggregation/picking",
                                  params={"date": str(edge_node.delivery_date)},
                                  headers=edge_node.headers(Role.SUPERVISOR)).json()["pick_lines"]
    expected: dict[tuple[str, str], int] = {}
    for line in listed:
        expected[(line["sku_id"], line["lot"])] = expected.get((line["sku_id"], line["lot"]), 0) + line["quantity"]
    assert {(r["sku_id"], r["lot"]): r["q"] for r in toured} == expected
    assert all(t["path_method"] == "exact" for t in wave["tours"])
    again = edge_node.client.post(f"{API}/waves", json={"delivery_date": str(edge_node.delivery_date)},
                                  headers=edge_node.headers(Role.SUPERVISOR))
    assert again.status_code == 409 and again.json()["detail"]["code"] == "wave_exists"
    assert len(outbox(edge_node, "floor.wave_built")) == 1


def test_location_then_items_count_up_and_finish_the_stop(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    assert pick(edge_node, tour, stop["gtin"])["code"] == "location_first"
    assert pick(edge_node, tour, stop["location_code"])["ok"]
    for n in range(1, stop["quantity"] + 1):
        answer = pick(edge_node, tour, stop["gtin"])
        assert answer["ok"] and answer["picked_qty"] == n
    assert answer["stop_done"] and answer["current_stop"] == tour["stops"][1]["stop_no"]
    over = pick(edge_node, tour, stop["gtin"])  # one more than asked: refused, nothing counted
    assert over["code"] == "over_quantity" and over["params"]["quantity"] == stop["quantity"]
    line = edge_node.store.query("SELECT * FROM tour_lines WHERE tour_id = ? AND stop_no = 1", (tour["tour_id"],))[0]
    assert line["picked_qty"] == stop["quantity"] and line["status"] == "done"
    assert len(outbox(edge_node, "floor.pick")) == stop["quantity"] + 1
    who = {(e["actor"], e["device_id"]) for e in events(edge_node, "floor.pick")}
    assert who == {("person:P01", "pda-test")}
    sent = json.loads(outbox(edge_node, "floor.pick")[-1]["payload"])
    assert sent["device_id"] == "pda-test" and sent["payload"]["picked_qty"] == stop["quantity"]


def test_wrong_location_item_and_unknown_codes_are_refused_with_codes_and_messages(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop, other = tour["stops"][0], tour["stops"][1]
    wrong = pick(edge_node, tour, "A16-20-3" if stop["location_code"] != "A16-20-3" else "A01-01-1")
    assert wrong["code"] == "wrong_location" and stop["location_code"] in wrong["message"]
    assert pick(edge_node, tour, stop["location_code"])["ok"]
    item = pick(edge_node, tour, other["gtin"])
    assert item["code"] == "wrong_item" and item["message_key"] == "floor.scan.wrong_item"
    for junk in ("hello", "0690123400100X", "\x00\xff", "]C1zz", "06901234001007"):
        assert pick(edge_node, tour, junk)["code"] == "unknown_code", junk
    zh = edge_node.client.post(f"{API}/tours/{tour['tour_id']}/scans",
                               json=new_scan("xyz!", tour_version=tour["version"]),
                               headers=edge_node.headers(Role.PICKER)).json()
    assert zh["code"] == "unknown_code" and "无法识别" in zh["message"]
    refused = events(edge_node, "floor.scan_refused")
    assert len(refused) == 8 and not outbox(edge_node, "floor.scan_refused")
    assert edge_node.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                                  (tour["tour_id"],)) == 0


def test_gs1_item_with_wrong_lot_is_refused_and_right_lot_counts(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    pick(edge_node, tour, stop["location_code"])
    wrong = pick(edge_node, tour, f"]C101{stop['gtin']}\x1d10NOTTHELOT")
    assert wrong["code"] == "wrong_lot" and wrong["params"] == {"expected": stop["lot"], "got": "NOTTHELOT"}
    right = pick(edge_node, tour, f"]C101{stop['gtin']}\x1d10{stop['lot']}")
    assert right["ok"] and right["picked_qty"] == 1


def test_same_scan_id_sent_twice_counts_once(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    pick(edge_node, tour, stop["location_code"])
    scan = new_scan(stop["gtin"], tour_version=tour["version"])
    url, headers = f"{API}/tours/{tour['tour_id']}/scans", edge_node.headers(Role.PICKER)
    first = edge_node.client.post(url, json=scan, headers=headers).json()
    second = edge_node.client.post(url, json=scan, headers=headers).json()
    batch = edge_node.client.post(f"{url}/batch", json={"scans": [scan, scan]}, headers=headers).json()
    assert first["picked_qty"] == 1 and not first["duplicate"]
    assert second["duplicate"] and second["picked_qty"] == 1
    assert batch["duplicates"] == 2
    assert edge_node.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                                  (tour["tour_id"],)) == 1


def test_burst_in_one_batch_is_applied_in_order_with_each_answer(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    want = min(stop["quantity"], 9)
    scans = [new_scan(stop["location_code"], tour_version=tour["version"])]
    scans += [new_scan(stop["gtin"], tour_version=tour["version"]) for _ in range(want)]
    out = edge_node.client.post(f"{API}/tours/{tour['tour_id']}/scans/batch", json={"scans": scans},
                                headers=edge_node.headers(Role.PICKER)).json()
    assert [r["scan_id"] for r in out["results"]] == [s["scan_id"] for s in scans]
    assert [r.get("picked_qty") for r in out["results"][1:]] == list(range(1, want + 1))
    seqs = [r["device_seq"] for r in edge_node.store.query(
        "SELECT device_seq FROM floor_scans WHERE device_id = 'pda-test' ORDER BY received_at, rowid")]
    assert seqs == sorted(seqs)


def test_scan_for_someone_elses_tour_is_refused(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    other = auth.sign_in(edge_node.store, "P02", "2468", now=edge_node.clock(), lifetime=dt.timedelta(hours=1))
    theirs = {"Authorization": f"Bearer {other.token}"}
    answer = pick(edge_node, tour, tour["stops"][0]["location_code"], headers=theirs)
    assert answer["code"] == "not_your_tour" and not answer["ok"]
    view = edge_node.client.get(f"{API}/tours/{tour['tour_id']}", headers=theirs)
    assert view.status_code == 403
    assert take_tour(edge_node, headers=theirs)["tour_id"] != tour["tour_id"]


def test_reassigned_tour_refuses_old_versions_and_the_old_picker(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    sup = edge_node.headers(Role.SUPERVISOR)
    moved = edge_node.client.post(f"{API}/tours/{tour['tour_id']}/assign", json={"picker_id": "P02"}, headers=sup)
    assert moved.status_code == 200 and moved.json()["version"] == tour["version"] + 1
    assert pick(edge_node, tour, tour["stops"][0]["location_code"])["code"] == "not_your_tour"
    back = edge_node.client.post(f"{API}/tours/{tour['tour_id']}/assign", json={"picker_id": "P01"}, headers=sup)
    stale = pick(edge_node, tour, tour["stops"][0]["location_code"])
    assert stale["code"] == "stale_tour" and stale["params"]["current"] == back.json()["version"]
    fresh = pick(edge_node, back.json(), tour["stops"][0]["location_code"])
    assert fresh["ok"]
    assert [e["subject"] for e in events(edge_node, "floor.tour_assigned")].count(tour["tour_id"]) == 3
    assert len(outbox(edge_node, "floor.tour_assigned")) == 3


def test_pickers_token_cannot_do_supervisor_actions(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    picker = edge_node.headers(Role.PICKER)
    calls = [("post", f"{API}/tours/{tour['tour_id']}/assign", {"picker_id": "P01"}),
             ("post", f"{API}/waves", {"delivery_date": str(edge_node.delivery_date)}),
             ("get", f"{API}/supervisor/overview?date={edge_node.delivery_date}", None),
             ("get", f"{API}/exceptions?date={edge_node.delivery_date}", None)]
    for method, url, body in calls:
        r = edge_node.client.request(method.upper(), url, json=body, headers=picker)
        assert r.status_code == 403, url
    assert edge_node.client.post(f"{API}/tours/next").status_code == 401


def test_short_pick_needs_a_reason_and_is_an_exception(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    pick(edge_node, tour, stop["location_code"])
    pick(edge_node, tour, stop["gtin"])
    assert pick(edge_node, tour, "", action="short", stop_no=stop["stop_no"])["code"] == "bad_stop"
    assert pick(edge_node, tour, "", action="short", stop_no=99, reason="x")["code"] == "bad_stop"
    short = pick(edge_node, tour, "", action="short", stop_no=stop["stop_no"], reason="bay empty")
    assert short["ok"] and short["current_stop"] == tour["stops"][1]["stop_no"]
    over = edge_node.client.get(f"{API}/supervisor/overview", params={"date": str(edge_node.delivery_date)},
                                headers=edge_node.headers(Role.SUPERVISOR)).json()
    assert over["short_picks"][0]["picked_qty"] == 1 and over["short_picks"][0]["short_reason"] == "bay empty"
    assert [x["kind"] for x in over["exceptions"]] == ["short_pick"]
    assert over["pickers"][0]["picker_id"] == "P01"
    assert outbox(edge_node, "floor.short_pick")[0]["payload"].count("bay empty") == 1


def test_first_pick_locks_the_orders_for_hq(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    sku = tour["stops"][0]["sku_id"]
    before = edge_node.store.scalar(
        "SELECT COUNT(*) FROM orders WHERE status = 'open' AND hq_order_id IN"
        " (SELECT hq_order_id FROM order_lines WHERE sku_id = ?)", (sku,))
    assert before > 0
    pick(edge_node, tour, tour["stops"][0]["location_code"])
    assert edge_node.store.scalar(
        "SELECT COUNT(*) FROM orders WHERE status = 'picking' AND hq_order_id IN"
        " (SELECT hq_order_id FROM order_lines WHERE sku_id = ?)", (sku,)) == before
    assert outbox(edge_node, "floor.orders_picking")


def test_drop_needs_a_finished_tour_and_a_station(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    assert pick(edge_node, tour, "SORT-1", action="drop")["code"] == "tour_not_done"
    for stop in tour["stops"]:
        assert pick(edge_node, tour, "", action="short", stop_no=stop["stop_no"], reason="test")["ok"]
    assert pick(edge_node, tour, "A01-01-1")["code"] == "tour_finished"
    assert pick(edge_node, tour, "A01-01-1", action="drop")["code"] == "not_a_station"
    dropped = pick(edge_node, tour, "SORT-2", action="drop")
    assert dropped["ok"] and dropped["dropped"]
    row = edge_node.store.query("SELECT status, drop_station FROM tours WHERE tour_id = ?", (tour["tour_id"],))[0]
    assert row == {"status": "dropped", "drop_station": "SORT-2"}


def test_variable_weight_counts_grams_from_ai_310x_capped_at_the_request(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    with edge_node.store.write("test", edge_node.clock()) as w:  # this SKU is sold by weight: 2 kg asked
        w.conn.execute("INSERT INTO variable_weight_skus (sku_id) VALUES (?)", (stop["sku_id"],))
        w.conn.execute("UPDATE tour_lines SET quantity = 2000 WHERE tour_id = ? AND stop_no = 1", (tour["tour_id"],))
    view = edge_node.client.get(f"{API}/tours/{tour['tour_id']}", headers=edge_node.headers(Role.PICKER)).json()
    assert view["stops"][0]["variable_weight"] and view["stops"][0]["quantity"] == 2000
    pick(edge_node, tour, stop["location_code"])
    assert pick(edge_node, tour, stop["gtin"])["code"] == "unknown_code"  # no weight on a plain EAN
    first = pick(edge_node, tour, f"01{stop['gtin']}3103001250\x1d10{stop['lot']}")  # 1.250 kg
    assert first["ok"] and first["added"] == 1250 and first["picked_qty"] == 1250
    second = pick(edge_node, tour, f"]C101{stop['gtin']}3102000975")  # 9.75 kg / 10 = 0.975 kg
    assert second["ok"] and second["capped"] and second["added"] == 750 and second["picked_qty"] == 2000
    assert second["stop_done"]
    third = pick(edge_node, tour, f"]C101{stop['gtin']}3103000500")
    assert third["code"] == "over_quantity" and third["params"]["quantity"] == 2000


def test_bad_request_bodies_and_unknown_tours_answer_clearly(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    url, headers = f"{API}/tours/{tour['tour_id']}/scans", edge_node.headers(Role.PICKER)
    bad = edge_node.client.post(url, json={"scan_id": "x", "seq": -1, "tour_version": 0}, headers=headers)
    assert bad.status_code == 422
    assert {p["path"] for p in bad.json()["problems"]} >= {"scan_id", "seq", "tour_version"}
    assert edge_node.client.post(url, content=b"\xff\x00", headers=headers).status_code == 422
    missing = edge_node.client.post(f"{API}/tours/T19990101-001/scans", json=new_scan("A01-01-1", tour_version=1),
                                    headers=headers)
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "no_tour"
    too_many = {"scans": [new_scan("A01-01-1", tour_version=1)] * 501}
    assert edge_node.client.post(f"{url}/batch", json=too_many, headers=headers).status_code == 422


def test_the_same_scan_sent_from_many_threads_at_once_counts_once(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    stop = tour["stops"][0]
    pick(edge_node, tour, stop["location_code"])
    scan = new_scan(stop["gtin"], tour_version=tour["version"])
    url, headers = f"{API}/tours/{tour['tour_id']}/scans", edge_node.headers(Role.PICKER)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: edge_node.client.post(url, json=scan, headers=headers).json(), range(8)))
    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 7
    assert {a["picked_qty"] for a in answers} == {1}
    assert edge_node.store.scalar("SELECT picked_qty FROM tour_lines WHERE tour_id = ? AND stop_no = 1",
                                  (tour["tour_id"],)) == 1
