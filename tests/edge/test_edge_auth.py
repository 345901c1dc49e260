"""Sign-in, sessions and lock-outs; and a walk over every route of the app for its roles."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from edge.api.deps import PUBLIC_PATHS, RoleGuard
from edge.demo import DEMO_PIN
from edge.domain.auth import FREE_PIN_ATTEMPTS, Role
from edge.services import auth
from tests.fixtures.edge import EdgeNode


def sign_in(node: EdgeNode, code: str, pin: str) -> Any:
    return node.client.post("/api/v1/auth/sign-in",
                            json={"code": code, "pin": pin, "device_id": "pda-3", "session": "bearer"})


def test_a_person_signs_in_and_the_session_expires(edge_node: EdgeNode) -> None:
    response = sign_in(edge_node, "P02", DEMO_PIN)
    assert response.status_code == 200
    token = response.json()["token"]
    me = edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "picker" and me.json()["device_id"] == "pda-3"
    edge_node.clock.advance(minutes=edge_node.settings.session_minutes + 1)
    assert edge_node.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_sign_out_ends_the_session(edge_node: EdgeNode) -> None:
    token = sign_in(edge_node, "P02", DEMO_PIN).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert edge_node.client.post("/api/v1/auth/sign-out", headers=headers).status_code == 204
    assert edge_node.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_pins_and_tokens_are_stored_hashed(edge_node: EdgeNode) -> None:
    person = edge_node.store.query("SELECT pin_hash FROM people WHERE code = 'P01'")[0]
    assert person["pin_hash"].startswith("$argon2id$") and DEMO_PIN not in person["pin_hash"]
    secret = edge_node.tokens[Role.PICKER].split(".", 1)[1]
    stored = edge_node.store.query("SELECT token_hash FROM sessions")
    assert stored and all(secret not in row["token_hash"] for row in stored)


def test_a_crew_given_one_first_pin_shares_its_hash_until_a_pin_is_set(edge_node: EdgeNode) -> None:
    crew = {r["person_id"]: r["pin_hash"] for r in edge_node.store.query(
        "SELECT person_id, pin_hash FROM people WHERE person_id IN ('P01', 'P02', 'T01', 'O0001')")}
    assert len(crew) == 4 and len(set(crew.values())) == 1  # the demo's people: one argon2id hash, not one each
    assert all(sign_in(edge_node, code, DEMO_PIN).status_code == 200 for code in crew)
    auth.change_pin(edge_node.store, "P01", "864209", actor="test", now=edge_node.clock())
    assert edge_node.store.scalar("SELECT pin_hash FROM people WHERE person_id = 'P01'") != crew["P01"]
    assert sign_in(edge_node, "P01", "864209").status_code == 200
    assert sign_in(edge_node, "P02", DEMO_PIN).status_code == 200


def test_repeated_wrong_pins_lock_the_account_for_growing_times(edge_node: EdgeNode) -> None:
    for _ in range(FREE_PIN_ATTEMPTS):
        refused = sign_in(edge_node, "P02", "0000")
        assert refused.status_code == 401
    locked = sign_in(edge_node, "P02", DEMO_PIN)  # even the right PIN is refused, and reads like a wrong one
    assert locked.status_code == 401 and locked.json() == refused.json()
    edge_node.clock.advance(seconds=3)
    assert sign_in(edge_node, "P02", "0000").status_code == 401
    edge_node.clock.advance(seconds=3)
    assert sign_in(edge_node, "P02", DEMO_PIN).status_code == 401  # the 4th miss locked for 4 s
    edge_node.clock.advance(seconds=2)
    assert sign_in(edge_node, "P02", DEMO_PIN).status_code == 200
    assert edge_node.store.scalar("SELECT COUNT(*) FROM sign_in_limits WHERE scope = 'account'") == 0


def test_unknown_code_and_wrong_pin_read_the_same(edge_node: EdgeNode) -> None:
    assert sign_in(edge_node, "NOBODY", "1111").json() == sign_in(edge_node, "P02", "1111").json()


def _guarded_routes(node: EdgeNode) -> list[tuple[str, set[str], frozenset[Role]]]:
    """Every API route of the app as (path, methods, roles), asserting each one is guarded or public."""
    routes = []
    for context in iter_route_contexts(node.client.app.routes):  # type: ignore[attr-defined]
        route, path = context.original_route, context.path
        if not isinstance(route, APIRoute) or path is None:
            continue
        guards = [d.call for d in route.dependant.dependencies if isinstance(d.call, RoleGuard)]
        if path in PUBLIC_PATHS:
            assert not guards, f"{path} is public but declares roles"
            continue
        assert len(guards) == 1, f"{sorted(route.methods)} {path} declares no roles and is not public"
        routes.append((path, route.methods, guards[0].roles))
    return routes


def _concrete(path: str) -> str:
    """Fill path parameters with plausible values; the guard answers before they are looked up."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_declares_roles_and_refuses_anyone_else(edge_node: EdgeNode) -> None:
    routes = _guarded_routes(edge_node)
    assert len(routes) >= 6
    for template, methods, roles in routes:
        for method in methods:
            path = _concrete(template)
            anonymous = edge_node.client.request(method, path)
            assert anonymous.status_code == 401, f"{method} {template} answered {anonymous.status_code} anonymously"
            bogus = edge_node.client.request(method, path, headers={"Authorization": "Bearer abc.def"})
            assert bogus.status_code == 401, f"{method} {template} took a forged token"
            for role in Role:
                if role in roles:
                    continue
                answer = edge_node.client.request(method, path, headers=edge_node.headers(role))
                assert answer.status_code == 403, f"{method} {template} answered {answer.status_code} to {role}"


@pytest.mark.parametrize("path", ["/api/v1/health", "/"])
def test_public_routes_answer_without_credentials(edge_node: EdgeNode, path: str) -> None:
    assert edge_node.client.get(path).status_code == 200


def test_start_page_is_chinese_by_default_and_english_on_request(edge_node: EdgeNode) -> None:
    assert '<html lang="zh-CN">' in edge_node.client.get("/").text
    english = edge_node.client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Today&#39;s work" in english.text
    assert '<html lang="en">' in edge_node.client.get("/").text  # remembered in a cookie
