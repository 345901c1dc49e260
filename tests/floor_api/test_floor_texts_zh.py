"""No English sentence reaches a floor user who reads Chinese: not in the catalogs the pages and
the server read, not on any page shell, not in any scan refusal or refused request the API answers
in zh-CN (every scan channel with every kind of bad scan, and the floor's refused requests). What
was scanned is echoed as scanned, so the junk scans here are single words.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from edge.api.floor_pages import FLOOR_PAGES, SIGN_IN_PATH
from edge.domain.auth import Role
from edge.pages.i18n import catalog
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import API, ENGLISH, build_wave, new_scan, take_tour

BAD_SCANS = ["", "hello", "1234567", "06901234001007", "(01)0690", "(01)06901234001006(10)", "]C1garbage",
             "SORT-1", "SLOT-999", "LOC:A01-01-1", "369012340000000017", "9" * 500, "苹果"]


class _Text(HTMLParser):
    """The text a person sees on a page: everything outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("alt", "aria-label", "placeholder", "title") and v]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _english(texts: dict[str, str]) -> dict[str, str]:
    """The texts that read as English."""
    return {where: text for where, text in texts.items() if ENGLISH.search(text)}


def test_the_chinese_catalogs_hold_no_english_sentence() -> None:
    zh = catalog("zh-CN")
    assert not _english({k: v for k, v in zh.items() if k.startswith(("floor.", "brix.", "app.", "index."))})


@pytest.mark.parametrize("path", [*FLOOR_PAGES, SIGN_IN_PATH, "/brix", "/"])
def test_every_floor_page_reads_chinese_by_default(edge_node: EdgeNode, path: str) -> None:
    page = edge_node.client.get(path)
    assert page.status_code == 200
    text = _Text()
    text.feed(page.text)
    seen = " ".join(" ".join(text.parts).split())
    assert not ENGLISH.search(seen.replace("English", "")), seen  # the language switch names itself


def _messages(answer: Any) -> list[tuple[str, str]]:
    """Every (code, message) an answer (a scan result, a batch, a refused request) carries."""
    if isinstance(answer, dict):
        found = [(str(answer.get("code")), answer["message"])] if isinstance(answer.get("message"), str) else []
        return found + [m for value in answer.values() for m in _messages(value)]
    if isinstance(answer, list):
        return [m for item in answer for m in _messages(item)]
    return []


def test_every_refusal_the_api_answers_in_chinese_is_chinese(edge_node: EdgeNode) -> None:
    day = str(edge_node.delivery_date)
    sup, picker, sorter, driver = (edge_node.headers(r) for r in (Role.SUPERVISOR, Role.PICKER, Role.SORTER,
                                                                   Role.DRIVER))
    build_wave(edge_node)
    tour = take_tour(edge_node)
    answers: list[Any] = []
    post = edge_node.client.post

    def batch(path: str, headers: dict[str, str], **fields: Any) -> None:
        r = post(path, json={"scans": [new_scan(code, **fields) for code in BAD_SCANS]}, headers=headers)
        assert r.status_code == 200, r.text
        answers.append(r.json())

    batch(f"{API}/tours/{tour['tour_id']}/scans/batch", picker, tour_version=tour["version"])
    stop = tour["stops"][0]
    answers.append(post(f"{API}/tours/{tour['tour_id']}/scans/batch", headers=picker, json={"scans": [
        new_scan(stop["gtin"], tour_version=tour["version"]),  # before its location
        new_scan(stop["location_code"], tour_version=tour["version"]),
        new_scan(tour["stops"][-1]["gtin"] if len(tour["stops"]) > 1 else "06901234003000",
                 tour_version=tour["version"]),  # a wrong item
        new_scan(stop["gtin"], tour_version=tour["version"], count=9999),  # too many
        new_scan("SORT-1", tour_version=tour["version"], action="drop"),  # not done
        new_scan("", tour_version=tour["version"], action="short", stop_no=99, reason="x"),
        new_scan(stop["gtin"], tour_version=tour["version"] + 1)]}).json())  # stale
    batch(f"{API}/sort/scans/batch", sorter, delivery_date=day)
    answers.append(post(f"{API}/waves", json={"delivery_date": day}, headers=sup).json())  # wave_exists
    answers.append(edge_node.client.get(f"{API}/tours/T-none", headers=sup).json())
    answers.append(post(f"{API}/crates/000000000000000000/close", headers=sorter).json())
    answers.append(post(f"{API}/routes/R-none/assign", json={"driver_id": "D01"}, headers=sup).json())
    answers.append(post(f"{API}/routes/R-none/depart", headers=driver).json())
    answers.append(post(f"{API}/exceptions/999999/resolve", json={"note": "x"}, headers=sup).json())
    messages = _messages(answers)
    assert {"unknown_code", "location_first", "wrong_item", "too_many", "tour_not_done", "bad_stop", "stale_tour",
            "wave_exists", "no_tour", "no_crate", "no_route"} <= {code for code, _ in messages}, messages
    assert not [(code, text) for code, text in messages if ENGLISH.search(text)]
