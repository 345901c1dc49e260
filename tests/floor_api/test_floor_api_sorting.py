"""Sort-to-store: item scans show the puts, crate scans put them, labels reach the printer simulator."""

from __future__ import annotations

import time
from typing import Any

from edge.domain.auth import Role
from edge.domain.floor.codes import is_sscc
from tests.fixtures.barcode_scan import scan_png
from tests.fixtures.edge import EdgeNode
from tests.fixtures.printer import PrinterRig
from tests.floor_api.floor_helpers import API, new_scan, outbox, pick_every_tour


def sort(node: EdgeNode, code: str, **fields: Any) -> dict[str, Any]:
    body = new_scan(code, delivery_date=str(node.delivery_date)) | fields
    r = node.client.post(f"{API}/sort/scans?lang=en", json=body, headers=node.headers(Role.SORTER))
    assert r.status_code == 200, r.text
    return r.json()


def a_planned_sku(node: EdgeNode) -> dict[str, Any]:
    plan = node.client.get(f"{API}/sort/plan", params={"date": str(node.delivery_date)},
                           headers=node.headers(Role.SORTER)).json()
    return max(plan["skus"], key=lambda s: len(s["stores"]))


def test_item_before_picking_has_nothing_to_put_and_unknown_codes_are_refused(edge_node: EdgeNode) -> None:
    sku = a_planned_sku(edge_node)
    assert sort(edge_node, sku["gtin"])["code"] == "nothing_to_put"
    assert sort(edge_node, "nonsense")["code"] == "unknown_code"
    assert sort(edge_node, "069012340000000012")["code"] == "unknown_code"  # a valid SSCC, not ours
    assert sort(edge_node, "06901234999996")["code"] == "unknown_code"  # a valid GTIN, not ours


def test_put_wall_fills_store_crates_and_order_lines(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    sku = a_planned_sku(edge_node)
    assert sort(edge_node, "069012340000000012")["code"] == "unknown_code"
    shown = sort(edge_node, sku["gtin"])
    assert shown["ok"] and [p["store_id"] for p in shown["puts"]] == [s["store_id"] for s in sku["stores"]]
    assert all(is_sscc(p["sscc"]) and p["sscc"].startswith("06901234") for p in shown["puts"])
    first = shown["puts"][0]
    put = sort(edge_node, f"]C100{first['sscc']}")
    assert put["ok"] and put["put"] == first["quantity"] and put["remaining"] == 0 and not put["crate_full"]
    again = sort(edge_node, first["sscc"])
    assert again["code"] == "wrong_crate"
    picked = edge_node.store.scalar(
        "SELECT SUM(l.picked_qty) FROM order_lines l JOIN orders o USING (hq_order_id)"
        " WHERE o.store_id = ? AND l.sku_id = ?", (first["store_id"], sku["sku_id"]))
    assert picked == first["quantity"]
    payload = outbox(edge_node, "floor.put")[0]["payload"]
    assert first["sscc"] in payload and "order_lines" in payload
    assert edge_node.store.scalar("SELECT COUNT(*) FROM crate_scans WHERE sscc = ? AND kind = 'sorted'",
                                  (first["sscc"],)) == 1


def test_crate_scan_needs_an_item_first_and_the_right_temperature(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    plan = edge_node.client.get(f"{API}/sort/plan", params={"date": str(edge_node.delivery_date)},
                                headers=edge_node.headers(Role.SORTER)).json()["skus"]
    chilled = next(s for s in plan if s["temp_class"] == "chilled")
    other = next(s for s in plan if s["temp_class"] != "chilled")
    crate = sort(edge_node, chilled["gtin"], device_id="station-a")["puts"][0]["sscc"]
    assert sort(edge_node, crate, device_id="station-b")["code"] == "no_item"
    sort(edge_node, other["gtin"], device_id="station-b")
    assert sort(edge_node, crate, device_id="station-b")["code"] == "wrong_crate"


def _printed(rig: PrinterRig, jobs: int) -> list[bytes]:
    """The printer's jobs once it has `jobs` of them (it confirms each in its own time)."""
    deadline = time.monotonic() + 5
    while len(rig.sim.printed) < jobs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(rig.sim.printed) == jobs, f"{len(rig.sim.printed)} labels printed, expected {jobs}"
    return list(rig.sim.printed)


def _first_put(node: EdgeNode, rig: PrinterRig) -> tuple[str, dict[str, Any], list[bytes]]:
    """Every tour picked, one SKU scanned at the wall and put into its first store's crate: (its
    GTIN, the item scan's answer, the labels printed as the item's crates opened)."""
    pick_every_tour(node)
    gtin = a_planned_sku(node)["gtin"]
    shown = sort(node, gtin)
    opened = _printed(rig, len(shown["puts"]))
    sort(node, shown["puts"][0]["sscc"])
    return gtin, shown, opened


def test_closing_a_crate_prints_its_label_on_the_printer_and_reprints_are_logged(
        edge_node: EdgeNode, printer_rig: PrinterRig) -> None:
    gtin, shown, opened = _first_put(edge_node, printer_rig)
    target = shown["puts"][0]
    # Every crate the item opened got its label at once, so the sorter has its SSCC to scan.
    assert [p["sscc"] for p in shown["prints"]] == [p["sscc"] for p in shown["puts"]]
    assert all(p["sscc"].encode() in job for p, job in zip(shown["puts"], opened, strict=True))
    sup = edge_node.headers(Role.SORTER)
    closed = edge_node.client.post(f"{API}/crates/{target['sscc']}/close", headers=sup)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["print"]["outcome"] == "printed" and body["print"]["bytes"] > 0
    job = _printed(printer_rig, len(opened) + 1)[-1]
    assert b'"128M"' in job and b"!105!10200" + target["sscc"].encode() in job  # TSPL GS1-128: Start C, FNC1, AI 00
    assert f"(00){target['sscc']}".encode() in job  # the QR payload
    assert target["store_id"].encode() in job and b"CRATE 1/1" in job
    preview = edge_node.client.get(f"{API}/crates/{target['sscc']}/label.png", headers=sup)
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert scan_png(preview.content) == {"CODE128": f"]C1(00){target['sscc']}", "QRCODE": f"(00){target['sscc']}"}
    assert edge_node.client.post(f"{API}/crates/{target['sscc']}/close", headers=sup).json()["detail"]["code"] \
        == "crate_closed"
    assert sort(edge_node, target["sscc"])["code"] == "crate_closed"
    again = edge_node.client.post(f"{API}/crates/{target['sscc']}/reprint", json={"reason": "torn"}, headers=sup)
    assert again.json()["print"]["reprint"] and len(_printed(printer_rig, len(opened) + 2)) == len(opened) + 2
    log = edge_node.store.query("SELECT reprint, reason, outcome FROM label_prints WHERE sscc = ? ORDER BY print_id",
                                (target["sscc"],))
    assert log == [{"reprint": 0, "reason": None, "outcome": "printed"},  # opened
                   {"reprint": 0, "reason": None, "outcome": "printed"},  # closed
                   {"reprint": 1, "reason": "torn", "outcome": "printed"}]
    assert len(outbox(edge_node, "floor.label_printed")) == len(opened) + 2
    nxt = sort(edge_node, gtin)
    assert all(p["sscc"] != target["sscc"] for p in nxt["puts"])


def test_label_waits_through_paper_out_and_prints_once_paper_is_back(
        edge_node: EdgeNode, printer_rig: PrinterRig) -> None:
    _, shown, jobs = _first_put(edge_node, printer_rig)
    target, opened = shown["puts"][0], len(jobs)
    printer_rig.sim.paper_out = True
    closed = edge_node.client.post(f"{API}/crates/{target['sscc']}/close", headers=edge_node.headers(Role.SORTER))
    assert closed.json()["print"]["outcome"] == "queued: printer not ready"
    assert len(printer_rig.sim.printed) == opened
    printer_rig.sim.paper_out = False
    assert target["sscc"].encode() in _printed(printer_rig, opened + 1)[-1]


def test_label_without_a_printer_is_logged_as_not_printed(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    target = sort(edge_node, a_planned_sku(edge_node)["gtin"])["puts"][0]
    sort(edge_node, target["sscc"])
    closed = edge_node.client.post(f"{API}/crates/{target['sscc']}/close", headers=edge_node.headers(Role.SORTER))
    assert closed.json()["print"]["outcome"] == "no printer configured"
    assert edge_node.store.scalar("SELECT status FROM crates WHERE sscc = ?", (target["sscc"],)) == "closed"


def test_a_store_name_the_printer_cannot_print_is_refused_before_printing_and_logged(
        edge_node: EdgeNode, printer_rig: PrinterRig) -> None:
    _, shown, jobs = _first_put(edge_node, printer_rig)
    target, opened = shown["puts"][0], len(jobs)
    with edge_node.store.write("test", edge_node.clock()) as w:  # a name from HQ outside the printer's GB2312 font
        w.conn.execute("UPDATE stores SET name = '𠮷野家' WHERE store_id = ?", (target["store_id"],))
    closed = edge_node.client.post(f"{API}/crates/{target['sscc']}/close", headers=edge_node.headers(Role.SORTER))
    outcome = closed.json()["print"]["outcome"]
    assert outcome.startswith("refused: printer crate-labels cannot print '𠮷' U+20BB7"), outcome
    assert len(printer_rig.sim.printed) == opened and "𠮷".encode("gb18030") not in printer_rig.sim.received
    assert edge_node.store.scalar("SELECT outcome FROM label_prints WHERE sscc = ? ORDER BY print_id DESC LIMIT 1",
                                  (target["sscc"],)) == outcome


def test_a_label_preview_needs_a_label_printer_and_says_so_in_chinese(edge_node: EdgeNode) -> None:
    pick_every_tour(edge_node)
    target = sort(edge_node, a_planned_sku(edge_node)["gtin"])["puts"][0]
    answer = edge_node.client.get(f"{API}/crates/{target['sscc']}/label.png", headers=edge_node.headers(Role.SORTER))
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert (detail["code"], detail["message"]) == ("no_printer", "没有配置标签打印机")
