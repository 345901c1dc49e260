"""The pick page and the server judge every scan alike: one table of tour states and scans, run
through the server's rules (edge/domain/floor) and the page's (static/pick-rules.js under Node).

Every kind of scan a picker can make is in the table: locations, stations, plain GTINs of each
length, GS1 with AIM and FNC1, GS1 typed by hand in brackets (with spaces, empty parts, cases
with AI 37, weights), crate labels, damaged codes and junk; each against a tour before the
location, at it, just after a finished stop, at a weighed stop and when done; with and without a
keyed count. A difference in the decision, its reason or the units counted fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from edge.domain.floor.codes import classify
from edge.domain.floor.picking import PickDecision, StopState, judge_drop, judge_tour_scan

JUDGE = Path(__file__).parent / "js" / "judge.mjs"
NODE = shutil.which("node")

APPLE, PEAR, OTHER = "06901234001006", "6901234002003", "06901234003000"  # valid GTIN-14/13/14
SSCC = "369012340000000017"


def _stop(no: int, loc: str, gtin: str, qty: int, *, picked: int = 0, at: bool = False, status: str = "open",
          weighed: bool = False) -> dict[str, Any]:
    return {"stop_no": no, "location_code": loc, "sku_id": f"SKU{no}", "gtin": gtin.zfill(14), "lot": f"L{no}",
            "quantity": qty, "picked_qty": picked, "at_location": at, "status": status, "variable_weight": weighed,
            "name_zh": f"商品{no}", "name_en": f"Item {no}"}


STATES: dict[str, list[dict[str, Any]]] = {
    "before_location": [_stop(1, "A01-01-1", APPLE, 12), _stop(2, "A01-02-1", PEAR, 1000, weighed=True)],
    "at_location": [_stop(1, "A01-01-1", APPLE, 12, picked=3, at=True), _stop(2, "A01-02-1", PEAR, 1000, weighed=True)],
    "after_finished": [_stop(1, "A01-01-1", APPLE, 12, picked=12, at=True, status="done"),
                       _stop(2, "A01-02-1", PEAR, 1000, weighed=True)],
    "weighed_stop": [_stop(1, "A01-01-1", APPLE, 12, picked=12, at=True, status="done"),
                     _stop(2, "A01-02-1", PEAR, 1000, picked=400, at=True, weighed=True)],
    "done": [_stop(1, "A01-01-1", APPLE, 12, picked=12, at=True, status="done"),
             _stop(2, "A01-02-1", PEAR, 1000, picked=600, at=True, status="short", weighed=True)],
}

SCANS: dict[str, str] = {
    "location": "A01-01-1", "location_lowercase": "a01-01-1", "location_next": "A01-02-1",
    "location_wrong": "B09-09-9", "location_prefixed": "LOC:A01-01-1",
    "station": "SORT-1", "station_lowercase": "sort-12", "slot": "SLOT-007", "slot_lowercase": "slot-12",
    "gtin14": APPLE, "gtin13": APPLE[1:], "gtin_other": OTHER, "gtin_next": PEAR, "gtin8": "12345670",
    "gtin_bad_check": APPLE[:-1] + "7", "digits_7": "1234567", "digits_18_bad": SSCC[:-1] + "8",
    "gs1_aim": f"]C101{APPLE}10L1", "gs1_aim_wrong_lot": f"]C101{APPLE}10L9", "gs1_fnc1": f"01{APPLE}10L1\x1d376",
    "gs1_no_aim": f"01{APPLE}", "gs1_bad_date": f"01{APPLE}17991399", "gs1_aim_junk": "]C1garbage",
    "hri": f"(01){APPLE}(10)L1", "hri_wrong_lot": f"(01){APPLE}(10)L9", "hri_spaces": f"(01) {APPLE} (10) L1",
    "hri_empty_part": f"(01){APPLE}(10)", "hri_bad_check": f"(01){APPLE[:-1]}7", "hri_short": "(01)0690",
    "hri_case_37": f"(01){APPLE}(37)6", "hri_case_02": f"(02){APPLE}(37)4", "hri_case_zero": f"(01){APPLE}(37)0",
    "hri_case_big": f"(02){APPLE}(37)24", "hri_weight": f"(01){PEAR.zfill(14)}(3103)000250",
    "hri_weight_over": f"(01){PEAR.zfill(14)}(3102)099900", "gs1_weight": f"]C101{PEAR.zfill(14)}3103000250",
    "hri_unknown_ai": "(99)x", "sscc_bare": SSCC, "sscc_hri": f"(00){SSCC}", "sscc_aim": f"]C100{SSCC}",
    "aim_ean": f"]E0{APPLE[1:]}", "junk": "hello", "empty": "  ", "too_long": "9" * 600, "chinese": "苹果",
}

CASES = [(state, scan, keyed) for state in STATES for scan in SCANS for keyed in (None, 3)]
CASES += [(state, scan, 50) for state in ("at_location", "weighed_stop") for scan in ("gtin14", "hri_case_37")]
DROPS = [(state, scan) for state in STATES for scan in ("station", "station_lowercase", "junk", "gtin14", "empty")]


def _server(stops: list[dict[str, Any]], action: str, raw: str, keyed: int | None) -> dict[str, Any]:
    states = [(StopState(s["stop_no"], s["location_code"], s["sku_id"], s["gtin"], s["lot"], s["quantity"],
                         s["picked_qty"], s["at_location"], s["variable_weight"], s["name_zh"], s["name_en"]),
               s["status"]) for s in stops]
    decision: PickDecision
    if action == "drop":
        decision = judge_drop(states, classify(raw))
    else:
        _, decision = judge_tour_scan(states, classify(raw), keyed)
    return {"code": decision.code, "reason": decision.params.get("reason_code"), "added": decision.added,
            "capped": decision.capped}


def _page(cases: list[tuple[list[dict[str, Any]], str, str, int | None]]) -> list[dict[str, Any]]:
    assert NODE, "node is needed to run the pages' rules (Debian package nodejs, scripts/bootstrap.sh)"
    body = {"cases": [{"tour": {"tour_id": "T1", "stops": stops}, "action": action, "raw": raw, "keyed": keyed}
                      for stops, action, raw, keyed in cases]}
    done = subprocess.run([NODE, str(JUDGE)], input=json.dumps(body), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return [{"code": r["code"], "reason": r["params"].get("reason_code"), "added": r["added"], "capped": r["capped"]}
            for r in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def page_answers() -> dict[tuple[str, str, str, int | None], dict[str, Any]]:
    table = [("scan", state, scan, keyed) for state, scan, keyed in CASES]
    table += [("drop", state, scan, None) for state, scan in DROPS]
    answers = _page([(STATES[state], action, SCANS[scan], keyed) for action, state, scan, keyed in table])
    return dict(zip(table, answers, strict=True))


@pytest.mark.parametrize(("state", "scan", "keyed"), CASES)
def test_pick_scan_is_judged_alike(page_answers: dict[Any, dict[str, Any]], state: str, scan: str,
                                   keyed: int | None) -> None:
    server = _server(STATES[state], "scan", SCANS[scan], keyed)
    assert page_answers[("scan", state, scan, keyed)] == server


@pytest.mark.parametrize(("state", "scan"), DROPS)
def test_drop_is_judged_alike(page_answers: dict[Any, dict[str, Any]], state: str, scan: str) -> None:
    assert page_answers[("drop", state, scan, None)] == _server(STATES[state], "drop", SCANS[scan], None)


def test_the_table_covers_every_outcome(page_answers: dict[Any, dict[str, Any]]) -> None:
    """Every code the rules can give is reached by some case (a table that misses one proves little)."""
    codes = {a["code"] for a in page_answers.values()}
    assert codes >= {"ok", "unknown_code", "wrong_location", "location_first", "wrong_item", "wrong_lot",
                     "over_quantity", "too_many", "tour_finished", "tour_not_done", "not_a_station"}
    reasons = {a["reason"] for a in page_answers.values()}
    assert reasons >= {"empty", "too_long", "bad_gs1", "not_a_code", "not_a_pick", "needs_weight"}
    added = {(k[2], a["added"]) for k, a in page_answers.items() if a["code"] == "ok" and k[1] == "at_location"}
    assert {("hri_case_37", 6), ("hri_case_02", 4), ("gtin14", 1)} <= added
