"""The floor on a shared LAN (docs/security.md): sign-in limits, sessions, forgery, revocation, body size."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from edge.demo import DEMO_PIN
from edge.domain.auth import FREE_ATTEMPTS, FREE_PIN_ATTEMPTS, Role
from edge.services import auth, photos
from edge.services.floor.handoff import MAX_PHOTO
from tests.fixtures.edge import EdgeNode

SIGN_IN = "/api/v1/auth/sign-in"


def sign_in(node: EdgeNode, code: str, pin: str, device: str = "pda-3", **extra: Any) -> Any:
    return node.client.post(SIGN_IN, json={"code": code, "pin": pin, "device_id": device, **extra})


def test_parallel_guesses_cannot_pass_the_lock(edge_node: EdgeNode) -> None:
    """Many threads guess at once (the right PIN among the late ones): only the free attempts are
    ever checked, because lock check, count and PIN check share one write transaction."""
    results: list[str] = []
    start = threading.Barrier(24)

    def guess(pin: str) -> None:
        start.wait()
        try:
            auth.sign_in(edge_node.store, "P02", pin, now=edge_node.clock(), lifetime=dt.timedelta(hours=1),
                         device_id=f"pda-{pin}")
            results.append("in")
        except auth.AuthError as refused:
            results.append(refused.key)
        finally:
            edge_node.store.close()

    pins = [f"{n:04d}" for n in range(23)] + [DEMO_PIN]
    threads = [threading.Thread(target=guess, args=(pin,)) for pin in pins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 24
    checked = edge_node.store.scalar("SELECT failures FROM sign_in_limits WHERE scope = 'account' AND key = 'P02'")
    assert checked == FREE_PIN_ATTEMPTS or results.count("in") == 1
    if results.count("in") == 0:  # the right PIN came after the lock: it was refused like the rest
        assert checked == FREE_PIN_ATTEMPTS
    refusals = edge_node.store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'auth.sign_in_refused'")
    assert refusals == 24 - results.count("in")


def test_a_device_that_guesses_at_many_accounts_is_locked(edge_node: EdgeNode) -> None:
    for n in range(FREE_ATTEMPTS["device"]):
        code = f"P0{n + 1}" if n < 2 else f"X{n}"
        assert sign_in(edge_node, code, "999999", device="pda-evil").status_code == 401
    locked = sign_in(edge_node, "T01", DEMO_PIN, device="pda-evil")  # right PIN, locked device
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "设备" in locked.json()["detail"]
    english = edge_node.client.post(SIGN_IN, headers={"Accept-Language": "en"},
                                    json={"code": "T01", "pin": DEMO_PIN, "device_id": "pda-evil"})
    assert "this device" in english.json()["detail"]
    assert sign_in(edge_node, "T01", DEMO_PIN, device="pda-good").status_code == 200


def test_an_address_that_rotates_device_ids_is_locked(edge_node: EdgeNode) -> None:
    for n in range(FREE_ATTEMPTS["address"]):
        assert sign_in(edge_node, f"X{n}", "999999", device=f"pda-{n}").status_code == 401
    locked = sign_in(edge_node, "T01", DEMO_PIN, device="pda-fresh")
    assert locked.status_code == 429 and "network address" in edge_node.client.post(
        SIGN_IN, headers={"Accept-Language": "en"}, json={"code": "T01", "pin": DEMO_PIN}).json()["detail"]


def test_unknown_code_wrong_pin_and_locked_account_cost_and_read_the_same(
        edge_node: EdgeNode, monkeypatch: pytest.MonkeyPatch) -> None:
    hashes: list[str] = []
    verify = auth._pin_matches

    def counted(pin_hash: str, pin: str) -> bool:
        hashes.append(pin_hash)
        return verify(pin_hash, pin)

    monkeypatch.setattr(auth, "_pin_matches", counted)
    unknown = sign_in(edge_node, "NOBODY", "123456", device="a")
    wrong = sign_in(edge_node, "P02", "123456", device="b")
    for _ in range(FREE_PIN_ATTEMPTS):
        sign_in(edge_node, "P01", "123456", device="c")
    locked = sign_in(edge_node, "P01", DEMO_PIN, device="d")
    assert unknown.status_code == wrong.status_code == locked.status_code == 401
    assert unknown.json() == wrong.json() == locked.json()
    assert len(hashes) == 3 + FREE_PIN_ATTEMPTS  # every attempt paid for one argon2id check
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)


def test_new_people_need_six_digit_pins(edge_node: EdgeNode) -> None:
    with pytest.raises(ValueError, match="6 to 8 digits"):
        auth.add_person(edge_node.store, person_id="P99", code="P99", name="新人", role=Role.PICKER, pin="2468",
                        now=edge_node.clock())
    auth.add_person(edge_node.store, person_id="P99", code="P99", name="新人", role=Role.PICKER, pin="246813",
                    now=edge_node.clock())
    assert sign_in(edge_node, "P99", "246813").status_code == 200


def test_pages_get_an_http_only_cookie_and_never_the_token(edge_node: EdgeNode) -> None:
    answer = sign_in(edge_node, "P02", DEMO_PIN)
    assert answer.status_code == 200 and "token" not in answer.json() and answer.json()["csrf_token"]
    cookie = answer.headers["set-cookie"]
    assert "haolin_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http in this test; https sets Secure (below)
    assert edge_node.client.get("/api/v1/auth/me").json()["id"] == "P02"
    again = edge_node.client.get("/api/v1/auth/session").json()
    assert again["csrf_token"] == answer.json()["csrf_token"] and "token" not in again


def test_the_session_cookie_is_secure_over_https(edge_node: EdgeNode) -> None:
    from fastapi.testclient import TestClient

    with TestClient(edge_node.client.app, base_url="https://edge.lan") as client:
        cookie = client.post(SIGN_IN, json={"code": "P02", "pin": DEMO_PIN}).headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_state_changes_with_the_cookie_need_same_origin_and_the_csrf_header(edge_node: EdgeNode) -> None:
    csrf = sign_in(edge_node, "P01", DEMO_PIN).json()["csrf_token"]
    client = edge_node.client
    assert client.post("/api/v1/floor/tours/next").status_code == 403  # no header
    forged = client.post("/api/v1/floor/tours/next", headers={"X-CSRF-Token": "0" * 32})
    assert forged.status_code == 403 and "防伪令牌" in forged.json()["detail"]
    cross = client.post("/api/v1/floor/tours/next", headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "其他网站" in cross.json()["detail"]
    other_origin = client.post("/api/v1/floor/tours/next", headers={"X-CSRF-Token": csrf,
                                                                   "Origin": "http://evil.lan"})
    assert other_origin.status_code == 403
    ours = client.post("/api/v1/floor/tours/next", headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin",
                                                           "Origin": "http://testserver"})
    assert ours.status_code in (200, 404, 409), ours.text  # past the guard: the tour service answers
    assert client.get("/api/v1/auth/me").status_code == 200  # reads need no header
    cross_sign_in = client.post(SIGN_IN, headers={"Sec-Fetch-Site": "cross-site"},
                                json={"code": "P01", "pin": DEMO_PIN})
    assert cross_sign_in.status_code == 403


def test_an_idle_session_ends_before_the_shift_does(edge_node: EdgeNode) -> None:
    idle = edge_node.settings.session_idle_minutes
    token = sign_in(edge_node, "P02", DEMO_PIN, session="bearer").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # in use: each call restarts the idle time
        edge_node.clock.advance(minutes=idle - 1)
        assert edge_node.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    edge_node.clock.advance(minutes=idle)
    answer = edge_node.client.get("/api/v1/auth/me", headers=headers)
    assert answer.status_code == 401 and "请先登录" in answer.json()["detail"]


def test_the_supervisor_sets_a_pin_and_signs_someone_out_everywhere(edge_node: EdgeNode) -> None:
    tokens = [sign_in(edge_node, "P02", DEMO_PIN, device=f"pda-{n}", session="bearer").json()["token"]
              for n in range(2)]
    sup = edge_node.headers(Role.SUPERVISOR)
    listed = {p["person_id"]: p for p in edge_node.client.get("/api/v1/people", headers=sup).json()}
    assert listed["P02"]["sessions"] == 2 and "pin_hash" not in listed["P02"]
    assert edge_node.client.post("/api/v1/people/P02/revoke", headers=sup).json()["sessions_ended"] == 2
    for token in tokens:
        assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # Each refused with the same sentence in the caller's language; full-width digits (a Chinese
    # keyboard's) too, as a PDA's keypad could never type them back.
    for wrong in ("1234", "", "1" * 17, "８６４２０９"):
        short = edge_node.client.post("/api/v1/people/P02/pin", headers=sup, json={"pin": wrong})
        assert short.status_code == 422 and "6 到 8 位" in short.json()["detail"], short.text
    assert edge_node.client.post("/api/v1/people/P02/pin", headers=sup, json={"pin": "864209"}).status_code == 200
    assert sign_in(edge_node, "P02", DEMO_PIN).status_code == 401
    assert sign_in(edge_node, "P02", "864209").status_code == 200
    assert edge_node.client.post("/api/v1/people/NOBODY/revoke", headers=sup).status_code == 404


def test_a_machine_token_is_rotated(edge_node: EdgeNode) -> None:
    old = edge_node.tokens[Role.DEVICE]
    new = auth.rotate_machine_token(edge_node.store, "station-1", actor="system", now=edge_node.clock())
    assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(edge_node: EdgeNode) -> None:
    limit = edge_node.settings.max_body_bytes
    huge = b'{"code": "' + b"9" * limit + b'"}'
    answer = edge_node.client.post(SIGN_IN, content=huge, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and str(limit) in answer.json()["detail"] and "请求过大" in answer.json()["detail"]

    def chunks() -> Any:  # no Content-Length: the bound holds on the bytes as they arrive
        for _ in range(limit // 4096 + 2):
            yield b"9" * 4096

    streamed = edge_node.client.post(SIGN_IN, content=chunks(), headers={"Content-Type": "application/json",
                                                                         "Accept-Language": "en"})
    assert streamed.status_code == 413 and "too large" in streamed.json()["detail"]
    photo = "/api/v1/floor/routes/R1/stops/1/photo"  # the one route with a larger bound (5 MiB)
    assert edge_node.client.post(photo, content=b"\xff" * (limit + 1), headers=edge_node.headers(Role.DRIVER)
                                 ).status_code == 404  # past the body limit: the route answers (no such route)
    over = edge_node.client.post(photo, content=b"\xff" * (MAX_PHOTO + 1), headers=edge_node.headers(Role.DRIVER))
    assert over.status_code == 413 and str(MAX_PHOTO) in over.json()["detail"]
    receiving = "/api/v1/receiving/receipts/1/photos"  # a dock photo may be larger still (8 MiB)
    assert edge_node.client.post(receiving, content=b"\xff" * (MAX_PHOTO + 1),
                                 headers=edge_node.headers(Role.SUPERVISOR)).status_code != 413
    assert edge_node.client.post(receiving, content=b"\xff" * (photos.MAX_PHOTO + 1),
                                 headers=edge_node.headers(Role.SUPERVISOR)).status_code == 413


def test_people_are_managed_from_the_cli(edge_node: EdgeNode) -> None:
    from typer.testing import CliRunner

    from edge.cli import app as cli

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--data-dir", str(edge_node.settings.data_dir), "people", *args])

    short = run("add", "P88", "P88", "拣货员88", "--role", "picker", "--pin", "2468")
    assert short.exit_code == 2 and "6 to 8 digits" in short.output
    assert run("add", "P88", "P88", "拣货员88", "--role", "picker", "--pin", "246813").exit_code == 0
    token = sign_in(edge_node, "P88", "246813", session="bearer").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert '"person_id": "P88"' in run("sessions").output  # (the CLI's clock is real: no open session then)
    changed = run("set-pin", "P88", "--pin", "975310")
    assert changed.exit_code == 0 and "1 session(s) ended" in changed.output
    assert edge_node.client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert sign_in(edge_node, "P88", "975310").status_code == 200
    assert "1 session(s) ended" in run("sign-out", "P88").output
    assert run("sign-out", "NOBODY").exit_code == 2
    old = edge_node.tokens[Role.DEVICE]
    new = run("rotate-token", "station-1").output.strip()
    assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200


PERSON_CODES = {Role.SUPERVISOR: ("SUP01", "1357"), Role.PICKER: ("P01", DEMO_PIN), Role.SORTER: ("T01", DEMO_PIN),
                Role.DRIVER: ("D01", DEMO_PIN), Role.STORE_OWNER: ("O0001", DEMO_PIN)}


def test_every_state_changing_route_refuses_the_cookie_without_csrf(edge_node: EdgeNode) -> None:
    """The route walk of test_edge_auth, with a page's cookie: each POST/PUT/DELETE a person may call
    is refused (403, the reason in Chinese) without the CSRF header, and from another site with it."""
    from tests.edge.test_edge_auth import _concrete, _guarded_routes

    checked = 0
    for role, (code, pin) in PERSON_CODES.items():
        signed = sign_in(edge_node, code, pin, device=f"walk-{role}")
        assert signed.status_code == 200, signed.text
        csrf = signed.json()["csrf_token"]
        for template, methods, roles in _guarded_routes(edge_node):
            for method in set(methods) - {"GET", "HEAD"}:
                if role not in roles:
                    continue
                path = _concrete(template)
                bare = edge_node.client.request(method, path)
                assert bare.status_code == 403 and "防伪令牌" in bare.json()["detail"], (method, template, bare.text)
                cross = edge_node.client.request(method, path, headers={"X-CSRF-Token": csrf,
                                                                        "Sec-Fetch-Site": "cross-site"})
                assert cross.status_code == 403 and "其他网站" in cross.json()["detail"], (method, template)
                checked += 1
    assert checked >= 20


def test_an_order_batch_is_parsed_and_ingested_off_the_event_loop(edge_node: EdgeNode,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The one large JSON body: parsing and ingesting it run in the thread pool, so the node keeps
    answering scans meanwhile (in a worker thread there is no running event loop)."""
    import asyncio

    from edge.services import intake
    from tests.edge.test_edge_intake import batch, order, post

    on_loop: dict[str, bool] = {}

    def watched(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            on_loop[name] = asyncio._get_running_loop() is not None
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(intake, "parse_batch", watched("parse", intake.parse_batch))
    monkeypatch.setattr(intake, "ingest_batch", watched("ingest", intake.ingest_batch))
    answer = post(edge_node, batch(edge_node, "b-off-loop", order("L1", edge_node.delivery_date)))
    assert answer.status_code == 200, answer.text
    assert on_loop == {"parse": False, "ingest": False}
