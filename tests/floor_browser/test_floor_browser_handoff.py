"""Handoff at a store on the driver's phone: crates scanned off the truck, one marked damaged while
the phone has no signal (and the page even reloads), the owner signs with the day's handoff code
(their PIN is never kept on the phone) and a photo still offline; back online everything arrives
once: the exception, the delivered crates, and the proof of delivery in the outbox for HQ."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN
from edge.services.coldchain_exposure import crate_exposure
from tests.fixtures.browser import LiveEdge, Pda
from tests.floor_browser.floor_flow import assign_route, cold_truck, crates_ready, feed, manifest, plan_routes

pytestmark = pytest.mark.browser


def tiny_png() -> bytes:
    """A real 1x1 PNG, as a phone camera would hand over (only much smaller)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x20\x60\xc0")) + chunk(b"IEND", b""))


def loaded_and_departed(edge: LiveEdge, driver: str) -> tuple[str, int, list[str]]:
    """A route with every crate loaded and on its way; returns it, its stop with most crates, and those crates."""
    crates_ready(edge, "chilled")
    route_id = plan_routes(edge)[0]["route_id"]
    assign_route(edge, route_id, driver)
    crates = manifest(edge, route_id)
    with edge.api(driver) as api:
        scans = [{"scan_id": str(uuid.uuid4()), "seq": n, "code": c["sscc"]} for n, c in enumerate(crates, 1)]
        answer = api.post(f"/api/v1/floor/routes/{route_id}/load-scans/batch", json={"scans": scans}).json()
        assert answer["refused"] == 0, answer
        assert api.post(f"/api/v1/floor/routes/{route_id}/depart").status_code == 200
    by_stop: dict[int, list[str]] = {}
    for c in crates:
        by_stop.setdefault(c["stop_no"], []).append(c["sscc"])
    stop_no = max(by_stop, key=lambda s: len(by_stop[s]))
    return route_id, stop_no, sorted(by_stop[stop_no])


def test_floor_browser_handoff_with_a_damaged_crate_offline(pda: Pda, live_edge: LiveEdge, tmp_path: Path) -> None:
    route_id, stop_no, crates = loaded_and_departed(live_edge, "D01")
    assert len(crates) >= 2, "the test needs a stop with two crates or more"
    store_id = live_edge.store.scalar("SELECT store_id FROM route_stops WHERE route_id = ? AND stop_no = ?",
                                      (route_id, stop_no))
    first, damaged = crates[0], crates[1]

    page = pda.sign_in("D01", DEMO_PIN, "/floor/handoff")
    page.select_option("#stop", str(stop_no))
    expect(page.locator("#total")).to_have_text(str(len(crates)))
    pda.scan(f"]C100{first}")
    expect(page.locator("#scanned")).to_have_text("1")
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0")

    # The signal drops in the store's back room: the driver goes on scanning, the page even reloads.
    pda.wifi(False)
    page.select_option("#condition", "damaged")
    pda.scan(f"]C100{damaged}")
    expect(page.locator(f"#crates li[data-sscc='{damaged}']")).to_have_attribute("data-condition", "damaged")
    pda.scan(f"]C100{first}")  # scanned twice by mistake: refused on the phone, never sent
    expect(page.locator("#message")).to_contain_text("已扫描过")
    pda.wait_stored(1)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#stop", str(stop_no))
    expect(page.locator("#scanned")).to_have_text("2")
    expect(page.locator(f"#crates li[data-sscc='{damaged}']")).to_have_class(re.compile(r"\bflag\b"))

    # The owner signs on the driver's phone, still offline, with a photo of the damaged crate: a PIN
    # typed offline is not kept; the day's handoff code from the owner's own phone is.
    owner = f"O{store_id[1:]}"
    with live_edge.api(owner) as own_phone:
        day_code = own_phone.get("/api/v1/floor/handoff-code", params={"date": str(live_edge.delivery_date)}).json()
    photo = tmp_path / "crate.png"
    photo.write_bytes(tiny_png())
    page.fill("#owner", owner)
    page.fill("#owner-pin", DEMO_PIN)
    page.click("#confirm-go")
    expect(page.locator("#confirm-message")).to_contain_text("交接码")  # next to the button pressed
    expect(page.locator("#sync")).to_have_attribute("data-pending", "1")
    page.fill("#owner-pin", day_code["code"])
    page.set_input_files("#photo", str(photo))
    page.click("#confirm-go")
    expect(page.locator("#message")).to_contain_text("已确认收货")
    expect(page.locator("#sync")).to_have_attribute("data-pending", "2")
    queued = page.evaluate("""() => new Promise((resolve) => {
        indexedDB.open("haolin-floor").onsuccess = (e) => {
            const rows = e.target.result.transaction("queue").objectStore("queue").getAll();
            rows.onsuccess = () => resolve(JSON.stringify(rows.result.map((r) => ({ ...r.payload, photo: null }))));
        };
    })""")
    assert day_code["code"] in queued and DEMO_PIN not in queued and '"pin"' not in queued
    assert live_edge.store.scalar("SELECT status FROM route_stops WHERE route_id = ? AND stop_no = ?",
                                  (route_id, stop_no)) == "pending"

    pda.wifi(True)
    expect(page.locator("#sync")).to_have_attribute("data-pending", "0", timeout=15_000)

    # Server side: each crate delivered once, one damaged exception, the others missing, and one proof.
    store = live_edge.store
    assert store.scalar("SELECT COUNT(*) FROM floor_scans WHERE channel = 'handoff' AND outcome = 'ok'") == 2
    assert store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'floor.crate_delivered'") == 2
    exceptions = store.query("SELECT kind, subject FROM floor_exceptions WHERE kind IN ('damaged', 'warm', 'missing')"
                             " ORDER BY subject")
    assert exceptions == sorted([{"kind": "damaged", "subject": damaged}]
                                + [{"kind": "missing", "subject": s} for s in crates[2:]], key=lambda e: e["subject"])
    proofs = store.query("SELECT o.payload, e.actor FROM outbox o JOIN events e USING (event_id)"
                         " WHERE o.kind = 'delivery.proof'")
    assert len(proofs) == 1 and proofs[0]["actor"] == "person:D01"
    proof: dict[str, Any] = json.loads(proofs[0]["payload"])
    proof = proof.get("payload", proof)
    assert (proof["route_id"], proof["stop_no"], proof["store_id"]) == (route_id, stop_no, store_id)
    assert proof["confirmed_by"] == f"O{store_id[1:]}"
    assert sorted(proof["delivered"]) == [first, damaged]
    assert {(e["kind"], e["sscc"]) for e in proof["exceptions"]} == {
        ("damaged", damaged), *(("missing", s) for s in crates[2:])}
    assert proof["photo_sha256"] == hashlib.sha256(tiny_png()).hexdigest()
    assert {c["sscc"]: c["status"] for c in proof["crates"]}[damaged] == "damaged"
    assert store.scalar("SELECT status FROM orders WHERE store_id = ? AND delivery_date = ? LIMIT 1",
                        (store_id, str(live_edge.delivery_date))) == "delivered"


def shown_exposure(exposure: dict[str, Any]) -> str:
    """What the page should say for this history (zh-CN)."""
    def c(v: float) -> str:
        return f"{v:.1f} °C"
    text = (f"途中温度 {c(exposure['min_c'])} ~ {c(exposure['max_c'])} · MKT {c(exposure['mkt_c'])}"
            f" · 超出温区 {round(exposure['out_of_range_s'] / 60)} 分钟")
    if round(exposure["unmonitored_s"] / 60):
        text += f" · 未监测 {round(exposure['unmonitored_s'] / 60)} 分钟"
    return text


def test_floor_browser_handoff_shows_each_crates_temperature_history(pda: Pda, live_edge: LiveEdge) -> None:
    route_id, stop_no, crates = loaded_and_departed(live_edge, "D01")
    vehicle = live_edge.store.scalar("SELECT vehicle_id FROM routes WHERE route_id = ?", (route_id,))
    sensors = cold_truck(live_edge, vehicle)
    # Two hours on the road: the chilled box runs warm (6.5 °C) for 20 minutes in the middle.
    left = live_edge.clock()
    live_edge.clock.advance(hours=2)
    feed(live_edge, sensors["chilled"], left, [3.0] * 50 + [6.5] * 20 + [3.0] * 50)
    feed(live_edge, sensors["frozen"], left, [-20.0] * 120)
    classes = {c: live_edge.store.scalar("SELECT temp_class FROM crates WHERE sscc = ?", (c,)) for c in crates}
    assert "chilled" in classes.values(), classes

    page = pda.sign_in("D01", DEMO_PIN, "/floor/handoff")
    page.select_option("#stop", str(stop_no))
    for sscc in crates:
        expected = crate_exposure(live_edge.store, sscc, now=live_edge.clock())
        line = page.locator(f"#crates li[data-sscc='{sscc}'] .exposure")
        expect(line).to_have_text(shown_exposure(expected))
        if classes[sscc] == "chilled":
            assert expected["max_c"] == 6.5 and 19 * 60 <= expected["out_of_range_s"] <= 21 * 60, expected
            expect(line).to_have_attribute("data-out-of-range", "1")
            expect(line).to_contain_text("超出温区 20 分钟")

    # The history stays on the phone: offline and reloaded, the driver and owner still see it.
    pda.wifi(False)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#stop", str(stop_no))
    chilled = next(s for s in crates if classes[s] == "chilled")
    expect(page.locator(f"#crates li[data-sscc='{chilled}'] .exposure")).to_contain_text("6.5 °C")
