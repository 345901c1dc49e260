"""The site file: `site check` names every problem with its file and field, a bad file stops the node
in one line, the documented schema is the model's, and no bytes crash the loader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from edge.api.app import create_app
from edge.cli import app as cli
from edge.demo import demo_site_file
from edge.domain.auth import Role
from edge.services import auth
from edge.services.floor.fleet import Fleet, get_fleet, put_fleet
from edge.settings import Settings
from edge.site import SiteFileError, load_site_file
from edge.site.node import SITE_ACTOR, seed_fleet
from edge.store import Store
from tests.fixtures.edge import FrozenClock
from tests.site.second_site import WAREHOUSE_ID, site_document, write_site

SCHEMA = Path(__file__).parents[2] / "docs" / "schemas" / "site.schema.json"


def _break(site: Path, change: dict[str, object]) -> None:
    document = yaml.safe_load(site.read_text(encoding="utf-8"))
    for path, value in change.items():
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value
    site.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_check_accepts_both_sites_and_prints_what_it_read(tmp_path: Path) -> None:
    for file, warehouse in ((demo_site_file(), "WH-SH-01"), (write_site(tmp_path), WAREHOUSE_ID)):
        result = CliRunner().invoke(cli, ["site", "check", str(file)])
        assert result.exit_code == 0, result.output
        facts = json.loads(result.output)
        assert facts["warehouse"]["id"] == warehouse
    assert facts["layout"]["aisle_prefix"] == "K" and len(facts["layout"]["blocks"]) == 2
    assert facts["delivery"]["travel_matrix"]["places"] == 9


def test_check_lists_every_problem_with_its_file_and_field(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    _break(site, {"warehouse.position.lat": 95, "points.drop_off": "nowhere", "delivery.circuity": 0.5,
                  "delivery.dispatch_hours.back_by": "25:00", "delivery.max_on_truck_minutes.frozen": 0})
    result = CliRunner().invoke(cli, ["site", "check", str(site)])
    assert result.exit_code == 2
    for path in ("warehouse.position.lat", "delivery.circuity", "delivery.dispatch_hours.back_by",
                 "delivery.max_on_truck_minutes.frozen"):
        assert f"  {path}: " in result.output, result.output
    assert str(site) in result.output
    # once the document's own fields are right, what its parts say is checked, naming their files
    _break(site, {"warehouse.position.lat": 30.3, "delivery.circuity": 1.3, "delivery.dispatch_hours.back_by": "14:00",
                  "delivery.max_on_truck_minutes.frozen": 180})
    (tmp_path / "travel.csv").write_text("from,to,seconds,metres\nWH-HZ-02,HZ001,soon,100\nWH-HZ-02,HZ001,5,5\n")
    layout = yaml.safe_load((tmp_path / "layout.yaml").read_text())
    layout["zones"][0]["temperature"] = "lukewarm"
    (tmp_path / "layout.yaml").write_text(yaml.safe_dump(layout))
    result = CliRunner().invoke(cli, ["site", "check", str(site)])
    assert result.exit_code == 2
    assert "points.drop_off: 'nowhere' is not a depot of the layout" not in result.output  # layout unusable
    assert f"layout ({tmp_path / 'layout.yaml'}) zones[0]: temperature must be one of" in result.output
    assert f"delivery.travel_matrix ({tmp_path / 'travel.csv'}) line 2.seconds: must be a number" in result.output
    assert "line 3: the pair WH-HZ-02 -> HZ001 appears twice" in result.output


def test_depots_devices_and_cold_assets_are_checked_against_their_own_rules(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    _break(site, {"points.drop_off": "nowhere", "sort_stations": [{"id": "SORT-9", "point": "dock2"}],
                  "devices": {"devices": [{"id": "t1", "profile": "xy-md02", "port": "/dev/x", "host": "10.0.0.1"}]},
                  "coldchain": "missing.yaml"})
    with pytest.raises(SiteFileError) as refused:
        load_site_file(site)
    paths = {p.path: p.message for p in refused.value.problems}
    assert paths["points.drop_off"].startswith("'nowhere' is not a depot of the layout (have dock, pack)")
    assert "sort_stations[0].point" in paths
    assert "give either port (serial) or host (network)" in paths["devices.devices[0]"]
    assert paths["coldchain"].startswith(f"cannot read {tmp_path / 'missing.yaml'}")


def test_a_bad_site_file_stops_the_node_in_one_line_naming_file_and_field(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    _break(site, {"delivery.speed_kmh": -3})
    env = {"HAOLIN_SITE_FILE": str(site), "HAOLIN_WAREHOUSE_ID": WAREHOUSE_ID,
           "HAOLIN_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [f"site file {site}: delivery.speed_kmh: Input should be greater than 0"], result.output
    assert not (tmp_path / "data").exists()  # nothing was created or touched


def test_the_site_file_must_describe_the_node_s_warehouse(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", site_file=write_site(tmp_path / "site"))
    with pytest.raises(SiteFileError, match=r"warehouse\.id: is 'WH-HZ-02' but the setting warehouse_id is 'WH-SH-01'"):
        create_app(settings)


def test_without_a_site_file_waves_and_routes_say_what_to_set(tmp_path: Path) -> None:
    clock = FrozenClock()
    app = create_app(Settings(data_dir=tmp_path / "data"), clock=clock)
    auth.add_person(app.state.store, person_id="S1", code="S1", name="s", role=Role.SUPERVISOR, pin="975310",
                    now=clock())
    token = auth.sign_in(app.state.store, "S1", "975310", now=clock(), lifetime=dt.timedelta(hours=1)).token
    with TestClient(app) as client:
        for path in ("/api/v1/floor/waves", "/api/v1/floor/routes/plan"):
            answer = client.post(path, json={"delivery_date": "2026-07-02"},
                                 headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 409
            assert answer.json()["detail"]["code"] == "no_site"
            assert answer.json()["detail"]["message"].startswith("本节点未配置站点文件：请设置 site_file")
            english = client.post(f"{path}?lang=en", json={"delivery_date": "2026-07-02"},
                                  headers={"Authorization": f"Bearer {token}"})
            assert "set site_file (docs/site.md)" in english.json()["detail"]["message"]


def test_the_documented_schema_is_the_models_and_accepts_both_sites(tmp_path: Path) -> None:
    printed = CliRunner().invoke(cli, ["site", "schema"])
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema == json.loads(printed.output), "regenerate: haolin-edge site schema > docs/schemas/site.schema.json"
    jsonschema.validate(yaml.safe_load(demo_site_file().read_text(encoding="utf-8")), schema)
    jsonschema.validate(site_document(), schema)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_site_or_a_site_file_error(tmp_path: Path, data: bytes) -> None:
    site = tmp_path / "site.yaml"
    site.write_bytes(data)
    try:
        load_site_file(site)
    except SiteFileError as error:
        assert error.problems and error.one_line().startswith(f"site file {site}: ")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_a_travel_matrix_give_problems_not_a_crash(tmp_path: Path, data: bytes) -> None:
    site = write_site(tmp_path)
    (tmp_path / "travel.csv").write_bytes(b"from,to,seconds,metres\n" + data)
    try:
        load_site_file(site)
    except SiteFileError as error:
        assert all(p.path.startswith("delivery.travel_matrix") for p in error.problems)


def test_show_prints_what_the_node_runs_on_and_which_setting_wins(tmp_path: Path) -> None:
    env = {"HAOLIN_SITE_FILE": str(write_site(tmp_path / "site")), "HAOLIN_WAREHOUSE_ID": WAREHOUSE_ID,
           "HAOLIN_DATA_DIR": str(tmp_path / "data")}
    shown = json.loads(CliRunner().invoke(cli, ["site", "show"], env=env).output)
    assert shown["site"]["warehouse"]["position"] == {"lat": 30.312, "lon": 120.084}
    assert shown["site"]["points"] == {"start": "dock", "drop_off": "pack"}
    assert shown["site"]["delivery"]["dispatch_hours"] == {"leave_from": "05:00", "back_by": "14:00"}
    assert (shown["devices"], shown["device_count"]) == ("site file", 0)
    assert (shown["coldchain"], shown["cold_assets"]) == ("site file", 1)
    assert shown["fleet"] == []  # seeded when the node first starts, not by looking
    own = tmp_path / "coldchain.yaml"
    env["HAOLIN_COLDCHAIN_CONFIG"] = str(own)
    shown = json.loads(CliRunner().invoke(cli, ["site", "show"], env=env).output)
    assert (shown["coldchain"], shown["cold_assets"]) == (f"setting coldchain_config: {own}", None)


def _leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [path, *[p for k, v in node.items() for p in _leaves(v, (*path, k))]]
    if isinstance(node, list):
        return [path, *[p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]]
    return [path]


_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.data())
def test_any_value_anywhere_in_a_site_or_its_layout_gives_a_site_or_a_site_file_error(tmp_path: Path,
                                                                                       data: st.DataObject) -> None:
    site = write_site(tmp_path)
    layout_file = tmp_path / "layout.yaml"
    target = data.draw(st.sampled_from([site, layout_file]))
    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    *parents, last = data.draw(st.sampled_from([p for p in _leaves(document) if p]))
    node = document
    for key in parents:
        node = node[key]
    node[last] = data.draw(_JUNK)
    target.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_site_file(site)
    except SiteFileError as error:
        assert error.problems


def test_the_site_file_seeds_the_fleet_once_and_then_leaves_it_to_the_supervisor(tmp_path: Path) -> None:
    site, store, now = load_site_file(write_site(tmp_path)), Store(tmp_path / "edge.sqlite3"), FrozenClock()()
    assert seed_fleet(store, site, now)
    put_fleet(store, Fleet(vehicles=site.document.fleet[1:]), who=SITE_ACTOR, now=now)  # HZ-T1 retired
    assert not seed_fleet(store, site, now)
    assert [v["vehicle_id"] for v in get_fleet(store)["vehicles"]] == ["HZ-T2"]


def test_one_check_reports_the_document_s_and_its_parts_problems_together(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    _break(site, {"warehouse.position.lat": 95, "layout": None, "devices": {"devices": [{"id": "x"}]}})
    with pytest.raises(SiteFileError) as refused:
        load_site_file(site)
    assert {p.path for p in refused.value.problems} == {"warehouse.position.lat", "layout", "devices.devices[0]"}
