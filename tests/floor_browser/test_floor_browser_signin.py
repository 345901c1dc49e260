"""Signing in on a PDA, in Chinese by default and in English when switched."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from tests.fixtures.browser import Pda

pytestmark = pytest.mark.browser


def test_floor_browser_wrong_pin_is_refused_then_right_pin_signs_in(pda: Pda) -> None:
    page = pda.goto("/floor/signin?next=/floor/pick")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#code", "P01")
    page.fill("#pin", "0000")
    page.click("#go")
    expect(page.locator("#message")).to_contain_text("PIN 不对")
    assert page.locator("#pin").input_value() == ""
    pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    assert page.locator("#take").is_visible()
    assert page.evaluate("JSON.parse(localStorage.getItem('haolin.session')).principal.role") == "picker"


def test_floor_browser_language_switches_to_english_and_stays(pda: Pda) -> None:
    page = pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    assert page.locator("#take").inner_text() == "领取下一张拣货单"
    page.click("header a.lang")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#take").inner_text() == "Take the next tour"
    pda.goto("/floor/signin")  # the choice is remembered for the next page
    assert page.locator("h1").inner_text() == "Sign in"


def test_floor_browser_pages_need_sign_in(pda: Pda) -> None:
    page = pda.goto("/floor/pick")
    page.wait_for_url("**/floor/signin?next=%2Ffloor%2Fpick")
    assert page.locator("#code").is_visible()


@pytest.mark.parametrize(("code", "path", "heading"), [
    ("P01", "/floor/pick", "拣货"), ("T01", "/floor/sort", "分拣（播种墙）"), ("D01", "/floor/load", "装车"),
    ("D01", "/floor/handoff", "门店交接"), ("SUP01", "/floor/supervisor", "主管看板"),
])
def test_floor_browser_each_page_opens_for_its_role(pda: Pda, code: str, path: str, heading: str) -> None:
    """Every page's scripts load and run (a script error fails the test through the fixture)."""
    page = pda.sign_in(code, SUPERVISOR_PIN if code == "SUP01" else DEMO_PIN, path)
    expect(page.locator("h1").first).to_contain_text(heading)
    expect(page.locator("#wedge, #date").first).to_be_attached()
