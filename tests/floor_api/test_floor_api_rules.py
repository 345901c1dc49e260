"""The floor's pure rules: reading codes, SSCCs, the picking decision, splitting a put over order lines."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from edge.api.floor_common import explain
from edge.domain.floor.allocation import OpenLine, allocate_put
from edge.domain.floor.codes import classify, gs1_check_digit, is_sscc, make_sscc
from edge.domain.floor.messages import REFUSALS, message_key
from edge.domain.floor.picking import StopState, judge_scan

GTIN = "06901234001006"
STOP = StopState(1, "A03-12-2", "BLU-125", GTIN, "L1", 3, 0, True, False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
@example("²" * 18)  # isdigit() but not int(): it crashed the SSCC check
@example("²" * 13)
@example("(02)0" + "²" * 13 + "(37)5")
def test_classify_never_raises_and_always_says_what_it_read(text: str) -> None:
    scanned = classify(text)
    assert scanned.kind in ("location", "station", "item", "sscc", "unknown")
    if scanned.kind == "unknown":
        assert scanned.reason
    if scanned.kind == "sscc":
        assert scanned.sscc is not None and is_sscc(scanned.sscc)


@given(st.integers(min_value=0, max_value=10**9 - 1), st.integers(min_value=0, max_value=9))
def test_sscc_is_18_digits_with_the_company_prefix_and_a_valid_check_digit(serial: int, ext: int) -> None:
    sscc = make_sscc(ext, "6901234", serial)
    assert len(sscc) == 18 and sscc[0] == str(ext) and sscc[1:8] == "6901234" and is_sscc(sscc)
    assert classify(f"]C100{sscc}").sscc == sscc
    broken = sscc[:17] + str((int(sscc[17]) + 1) % 10)
    assert not is_sscc(broken) and classify(broken).kind == "unknown"


def test_only_ascii_digits_make_a_code() -> None:
    """A PDA's keypad and the pages' rules (/^\\d+$/) know only 0-9: full-width digits are no SSCC nor GTIN."""
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in "106141411234567897")
    assert not is_sscc(full_width) and classify(full_width).kind == "unknown"
    assert classify(full_width[:13]).reason == "not_a_code"


def test_known_check_digits() -> None:
    assert gs1_check_digit("690123400100") == 6  # EAN-13 6901234001006
    assert is_sscc("106141411234567897")  # GS1's SSCC example (0) 1 0614141 123456789 7 with ext 1


def test_judge_scan_walks_location_item_and_quantity() -> None:
    arrive = judge_scan(STOP, classify("a03-12-2"))
    assert arrive.ok and arrive.arrived
    assert judge_scan(STOP, classify("A03-12-3")).code == "wrong_location"
    assert judge_scan(STOP, classify("6901234001006")).added == 1
    assert judge_scan(STOP, classify(f"01{GTIN}\x1d10L2")).code == "wrong_lot"
    away = StopState(1, "A03-12-2", "BLU-125", GTIN, "L1", 3, 0, False, False)
    assert judge_scan(away, classify(GTIN)).code == "location_first"
    done = StopState(0, "A01-01-1", "MLK", "06901234001136", "L9", 2, 2, True, False)
    assert judge_scan(away, classify("06901234001136"), finished=done).code == "over_quantity"
    weighed = StopState(1, "A03-12-2", "MEL", GTIN, "L1", 1000, 400, True, True)
    capped = judge_scan(weighed, classify(f"01{GTIN}3103000750"))
    assert capped.ok and capped.capped and capped.added == 600


def test_put_is_spread_over_order_lines_oldest_first_and_never_beyond_a_line() -> None:
    lines = [OpenLine("HQ2", 1, 2, 0), OpenLine("HQ1", 2, 1, 1), OpenLine("HQ1", 1, 3, 1)]
    got = [(line.hq_order_id, line.line_no, take) for line, take in allocate_put(lines, 4)]
    assert got == [("HQ1", 1, 2), ("HQ2", 1, 2)]
    assert allocate_put(lines, 0) == []
    assert sum(t for _, t in allocate_put(lines, 99)) == 4


def test_every_refusal_has_both_texts() -> None:
    for code in REFUSALS:
        for locale in ("en", "zh-CN"):
            assert explain(message_key(code), {}, locale) != message_key(code), (code, locale)
    assert "A03" in explain(message_key("wrong_location"), {"expected": "A03-12-2"}, "en")
    wrong_class = {"reason_code": "crate_class", "crate_class": "ambient", "item_class": "chilled"}
    assert explain(message_key("wrong_crate"), wrong_class, "zh-CN") == "周转箱不对：这是常温箱，商品是冷藏"
