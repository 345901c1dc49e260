"""Object-level authorization on the floor (docs/security.md): drivers work only their own routes,
a photo goes only to an undelivered stop and is matched exactly, owners see only their store, a
reused scan id with other content is refused, and the owner's PIN is never what a phone queues."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from edge.demo import DEMO_PIN
from edge.domain.auth import FREE_PIN_ATTEMPTS, Role
from edge.services import auth
from tests.fixtures.edge import EdgeNode
from tests.floor_api.floor_helpers import (
    API,
    assign_route,
    build_wave,
    new_scan,
    pick_every_tour,
    plan_routes,
    sort_everything,
    take_tour,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def two_routes(edge_node: EdgeNode) -> tuple[EdgeNode, str, str, dict[str, str]]:
    """Routes ready to load: the first D01's, the second D02's; with D02's headers."""
    pick_every_tour(edge_node)
    plan_routes(edge_node)
    sort_everything(edge_node)
    first, second = [r["route_id"] for r in edge_node.store.query("SELECT route_id FROM routes ORDER BY route_no")][:2]
    assign_route(edge_node, first, "D01")
    assign_route(edge_node, second, "D02")
    token = auth.sign_in(edge_node.store, "D02", DEMO_PIN, now=edge_node.clock(), lifetime=dt.timedelta(hours=8)).token
    return edge_node, first, second, {"Authorization": f"Bearer {token}"}


def _depart(node: EdgeNode, route_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    man = node.client.get(f"{API}/routes/{route_id}/manifest", headers=headers).json()
    node.client.post(f"{API}/routes/{route_id}/load-scans/batch",
                     json={"scans": [new_scan(c["sscc"]) for c in man["crates"]]}, headers=headers)
    assert node.client.post(f"{API}/routes/{route_id}/depart", headers=headers).status_code == 200
    return list(man["crates"])


def test_a_driver_reads_and_works_only_the_routes_assigned_to_them(
        two_routes: tuple[EdgeNode, str, str, dict[str, str]]) -> None:
    node, mine, theirs, d02 = two_routes
    d01 = node.headers(Role.DRIVER)
    crates = _depart(node, theirs, d02)
    unassigned = node.store.scalar("SELECT route_id FROM routes WHERE driver_id IS NULL LIMIT 1")
    for route in filter(None, (theirs, unassigned)):
        stop = f"{API}/routes/{route}/stops/1"
        refused = [node.client.get(f"{API}/routes/{route}/manifest", headers=d01),
                   node.client.get(stop, headers=d01),
                   node.client.post(f"{API}/routes/{route}/load-scans/batch",
                                    json={"scans": [new_scan(crates[0]["sscc"])]}, headers=d01),
                   node.client.post(f"{API}/routes/{route}/depart", headers=d01),
                   node.client.post(f"{stop}/scans/batch", json={"scans": [new_scan(crates[0]["sscc"])]}, headers=d01),
                   node.client.post(f"{stop}/photo", content=JPEG, headers=d01),
                   node.client.post(f"{stop}/owner-approval", json={"owner_code": "O0001", "pin": DEMO_PIN},
                                    headers=d01),
                   node.client.post(f"{stop}/confirm", json={"owner_code": "O0001", "pin": DEMO_PIN}, headers=d01),
                   node.client.get(f"/api/v1/coldchain/exposure/trips/{route}", headers=d01)]
        for answer in refused:
            assert answer.status_code == 403, (answer.request.url, answer.text)
        assert "不是你的" in refused[0].json()["detail"]["message"]
    single = node.client.post(f"{API}/routes/{theirs}/stops/1/scans", json=new_scan(crates[0]["sscc"]), headers=d01)
    assert single.json()["code"] == "not_your_route"  # a lone scan is answered, and nothing is delivered
    assert node.store.scalar("SELECT delivered_at FROM crates WHERE sscc = ?", (crates[0]["sscc"],)) is None
    seen = node.client.get(f"/api/v1/coldchain/exposure/crates/{crates[0]['sscc']}", headers=d01)
    assert seen.status_code == 404
    listed = node.client.get(f"{API}/routes", params={"date": str(node.delivery_date)}, headers=d01).json()
    assert [r["route_id"] for r in listed] == [mine]
    crates_seen = node.client.get(f"{API}/crates", params={"date": str(node.delivery_date)}, headers=d01).json()
    assert crates_seen and {c["route_id"] for c in crates_seen} == {mine}
    assert node.client.get(f"{API}/routes/{mine}/manifest", headers=d01).status_code == 200


def test_a_photo_goes_only_to_an_undelivered_stop_of_ones_route_and_is_matched_exactly(
        two_routes: tuple[EdgeNode, str, str, dict[str, str]]) -> None:
    node, mine, _, _ = two_routes
    d01 = node.headers(Role.DRIVER)
    crates = _depart(node, mine, d01)
    stop_no = crates[-1]["stop_no"]
    owner = "O" + crates[-1]["store_id"][1:]
    url = f"{API}/routes/{mine}/stops/{stop_no}"
    photo = node.client.post(f"{url}/photo", content=JPEG, headers=d01).json()["photo_id"]
    look_alike = photo[:16] + ("0" if photo[16] != "0" else "1") + photo[17:]
    near = node.client.post(f"{url}/confirm", json={"owner_code": owner, "pin": DEMO_PIN, "photo_id": look_alike},
                            headers=d01)
    assert near.status_code == 409 and near.json()["detail"]["code"] == "bad_photo"
    done = node.client.post(f"{url}/confirm", json={"owner_code": owner, "pin": DEMO_PIN, "photo_id": photo},
                            headers=d01)
    assert done.status_code == 200, done.text
    late = node.client.post(f"{url}/photo", content=JPEG + b"x", headers=d01)
    assert late.status_code == 409 and late.json()["detail"]["code"] == "stop_confirmed"


def test_an_owner_sees_only_their_own_store(two_routes: tuple[EdgeNode, str, str, dict[str, str]]) -> None:
    node, mine, _, _ = two_routes
    owner = node.headers(Role.STORE_OWNER)  # O0001, owner of S0001
    other = node.store.scalar("SELECT sscc FROM crates WHERE store_id != 'S0001' LIMIT 1")
    answer = node.client.get(f"/api/v1/coldchain/exposure/crates/{other}", headers=owner)
    assert answer.status_code == 404 and "门店" in answer.json()["detail"]
    code = node.client.get(f"{API}/handoff-code", params={"date": str(node.delivery_date)}, headers=owner).json()
    assert code["store_id"] == "S0001" and len(code["code"]) == 10
    for path in (f"{API}/routes/{mine}/manifest", f"{API}/routes/{mine}/stops/1", f"{API}/crates"):
        assert node.client.get(path, params={"date": str(node.delivery_date)}, headers=owner).status_code == 403


def test_a_reused_scan_id_with_other_content_is_refused(edge_node: EdgeNode) -> None:
    build_wave(edge_node)
    tour = take_tour(edge_node)
    url = f"{API}/tours/{tour['tour_id']}/scans"
    first = new_scan("LOC-NOWHERE", tour_version=tour["version"])
    answer = edge_node.client.post(url, json=first, headers=edge_node.headers(Role.PICKER)).json()
    again = edge_node.client.post(url, json=first, headers=edge_node.headers(Role.PICKER)).json()
    assert again["duplicate"] and again["code"] == answer["code"]
    other = edge_node.client.post(url, json=first | {"code": "0000000000000"},
                                  headers=edge_node.headers(Role.PICKER)).json()
    assert not other["ok"] and other["code"] == "scan_id_reused" and not other["duplicate"]
    assert "扫描编号" in other["message"]
    auth.add_person(edge_node.store, person_id="P77", code="P77", name="拣货员77", role=Role.PICKER, pin="135790",
                    now=edge_node.clock())
    token = auth.sign_in(edge_node.store, "P77", "135790", now=edge_node.clock(), lifetime=dt.timedelta(hours=1)).token
    someone_else = edge_node.client.post(url, json=first, headers={"Authorization": f"Bearer {token}"}).json()
    assert someone_else["code"] in ("scan_id_reused", "not_your_tour")
    assert edge_node.store.scalar("SELECT COUNT(*) FROM floor_scans WHERE scan_id = ?", (first["scan_id"],)) == 1


def test_the_owner_consents_by_signed_approval_or_day_code_and_no_pin_is_queued(
        two_routes: tuple[EdgeNode, str, str, dict[str, str]]) -> None:
    node, mine, _, _ = two_routes
    d01 = node.headers(Role.DRIVER)
    crates = _depart(node, mine, d01)
    stops = sorted({(c["stop_no"], c["store_id"]) for c in crates})
    assert len(stops) >= 2, "the demo route should have two stops"
    (first, first_store), (second, second_store) = stops[0], stops[1]
    owner1, owner2 = "O" + first_store[1:], "O" + second_store[1:]
    base = f"{API}/routes/{mine}/stops"

    approval = node.client.post(f"{base}/{first}/owner-approval", json={"owner_code": owner1, "pin": DEMO_PIN},
                                headers=d01)
    assert approval.status_code == 200 and DEMO_PIN not in approval.text
    token = approval.json()["approval"]
    wrong_stop = node.client.post(f"{base}/{second}/confirm", json={"approval": token}, headers=d01)
    assert wrong_stop.status_code == 403 and wrong_stop.json()["detail"]["code"] == "approval_invalid"
    tampered = node.client.post(f"{base}/{first}/confirm", json={"approval": token[:-1] + "0"}, headers=d01)
    assert tampered.status_code == 403
    node.clock.advance(hours=3)
    later = auth.sign_in(node.store, "D01", DEMO_PIN, now=node.clock(), lifetime=dt.timedelta(hours=1)).token
    expired = node.client.post(f"{base}/{first}/confirm", json={"approval": token},
                               headers={"Authorization": f"Bearer {later}"})
    assert expired.status_code == 403 and expired.json()["detail"]["code"] == "approval_invalid"
    node.clock.advance(hours=-3)
    proof = node.client.post(f"{base}/{first}/confirm", json={"approval": token}, headers=d01)
    assert proof.status_code == 200 and proof.json()["confirmed_by"] == owner1

    owner_token = auth.sign_in(node.store, owner2, DEMO_PIN, now=node.clock(), lifetime=dt.timedelta(hours=1)).token
    day = node.client.get(f"{API}/handoff-code", params={"date": str(node.delivery_date)},
                          headers={"Authorization": f"Bearer {owner_token}"}).json()["code"]
    for _ in range(FREE_PIN_ATTEMPTS):
        wrong = node.client.post(f"{base}/{second}/confirm", json={"owner_code": owner2, "handoff_code": "1" * 10},
                                 headers=d01)
        assert wrong.status_code == 401
    locked = node.client.post(f"{base}/{second}/confirm", json={"owner_code": owner2, "handoff_code": day},
                              headers=d01)
    assert locked.status_code == 401  # wrong codes count against the owner's sign-in limits
    node.clock.advance(seconds=3)
    signed = node.client.post(f"{base}/{second}/confirm", json={"owner_code": owner2, "handoff_code": day},
                              headers=d01)
    assert signed.status_code == 200 and signed.json()["confirmed_by"] == owner2
    both = node.client.post(f"{base}/{second}/confirm", json={"owner_code": owner2, "pin": DEMO_PIN,
                                                              "approval": token}, headers=d01)
    assert both.status_code == 422
