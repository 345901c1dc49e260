"""The session on a PDA lives only in an HttpOnly cookie: no script reads it, another site cannot use it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from edge.demo import DEMO_PIN, SUPERVISOR_PIN
from edge.services import auth
from tests.fixtures.browser import LiveEdge, Pda

pytestmark = pytest.mark.browser


def test_floor_browser_session_token_is_not_readable_by_the_page(pda: Pda, live_edge: LiveEdge) -> None:
    page = pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    session = next(c for c in pda.context.cookies() if c["name"] == "haolin_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert "haolin_session" not in page.evaluate("document.cookie")
    stored = page.evaluate("localStorage.getItem('haolin.session')")
    token_id = session["value"].split(".")[0]
    assert token_id not in stored and session["value"] not in stored and '"token"' not in stored
    # the page's own state change (taking a tour) goes through with the cookie and its CSRF header
    page.click("#take")
    page.wait_for_selector("#message[data-kind='info']")  # a tour taken (or none open): not a refusal
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'auth.signed_in'") >= 1


def test_floor_browser_a_forged_post_without_the_csrf_header_is_refused(pda: Pda) -> None:
    page = pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    status = page.evaluate("""async () => {
        const r = await fetch('/api/v1/floor/tours/next', { method: 'POST', credentials: 'same-origin' });
        return [r.status, (await r.json()).detail];
    }""")
    assert status[0] == 403 and "anti-forgery token" in status[1]  # the browser asked in English
    ok = page.evaluate("""async () => {
        const s = JSON.parse(localStorage.getItem('haolin.session'));
        const r = await fetch('/api/v1/auth/sign-out', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf_token } });
        return r.status;
    }""")
    assert ok == 204
    after = page.evaluate("fetch('/api/v1/auth/me').then((r) => r.status)")
    assert after == 401


def test_floor_browser_supervisor_sets_a_pin_and_signs_someone_out(pda: Pda, second_pda: Pda,
                                                                  live_edge: LiveEdge) -> None:
    picker = second_pda.sign_in("P01", DEMO_PIN, "/floor/pick")
    page = pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    page.click("#people-panel summary")
    row = page.locator("#people li[data-person='P01']")
    expect(row).to_contain_text("1 个在线会话")
    row.locator("button.revoke").click()
    expect(page.locator("#message")).to_contain_text("已在 1 台设备上退出")
    assert picker.evaluate("fetch('/api/v1/auth/me').then((r) => r.status)") == 401
    other = page.locator("#people li[data-person='P02']")
    other.locator("input.new-pin").fill("1234")
    other.locator("button.set-pin").click()
    expect(page.locator("#message")).to_contain_text("6 到 8 位")
    other.locator("input.new-pin").fill("864209")
    other.locator("button.set-pin").click()
    expect(page.locator("#message")).to_contain_text("已为")
    assert live_edge.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'auth.pin_changed'") == 1
    with pytest.raises(auth.AuthError):
        auth.sign_in(live_edge.store, "P02", DEMO_PIN, now=live_edge.clock(), lifetime=dt.timedelta(hours=1))
    assert auth.sign_in(live_edge.store, "P02", "864209", now=live_edge.clock(), lifetime=dt.timedelta(hours=1))


def test_floor_browser_owner_sees_the_days_handoff_code_on_their_own_phone(pda: Pda, live_edge: LiveEdge) -> None:
    from edge.services.floor.owner_approval import day_code

    page = pda.sign_in("O0001", DEMO_PIN, "/floor/owner")
    code = page.locator("#handoff-code")
    expect(code).to_have_attribute("data-code", re.compile(r"^\d{10}$"))
    date = dt.date.fromisoformat(page.locator("#date").input_value())
    assert code.get_attribute("data-code") == day_code(live_edge.store, "S0001", date, now=live_edge.clock())
    pda.kept_on_device()  # kept on the owner's phone for the day
    pda.wifi(False)
    page.reload()
    expect(page.locator("#handoff-code")).to_have_attribute("data-code", code.get_attribute("data-code") or "")
