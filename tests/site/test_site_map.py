"""The site's optional map tiles: a tile URL is checked field by field, the supervisor's map answer
carries the tile settings with every point in the tiles' datum, and the page policy lets images come
from exactly the tile origins (and stays as it was without tiles)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from edge.api.app import create_app
from edge.api.security_headers import CONTENT_SECURITY_POLICY
from edge.cli import app as cli
from edge.demo import demo_site_file
from edge.domain.auth import Role
from edge.domain.geo import wgs84_to_gcj02
from edge.domain.map_tiles import MapTiles
from edge.domain.problems import problems_from_validation
from edge.settings import Settings
from tests.fixtures.edge import EdgeNode
from tests.site.map_site import AMAP, write_site_with_map


@pytest.fixture
def edge_settings(tmp_path: Path) -> Settings:
    """The node of this module runs on the demo site with AMap's tiles."""
    return Settings(data_dir=tmp_path / "data", site_file=write_site_with_map(tmp_path / "site", AMAP))


def _problems(tiles: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        MapTiles.model_validate(tiles)
    return {p.path: p.message for p in problems_from_validation(refused.value)}


@pytest.mark.parametrize(("tiles", "path", "says"), [
    ({"tile_url": "https://t.example.cn/{z}/{x}.png"}, "tile_url", "must contain {y}"),
    ({"tile_url": "https://t.example.cn/{z}/{x}/{y}{r}.png"}, "tile_url", "unknown placeholder(s) {r}"),
    ({"tile_url": "ftp://t.example.cn/{z}/{x}/{y}.png"}, "tile_url", "must be an https:// URL"),
    ({"tile_url": "http://tiles.example.cn/{z}/{x}/{y}.png"}, "tile_url", "must be https: the pages are served"),
    ({"tile_url": "https://me:secret@t.example.cn/{z}/{x}/{y}.png"}, "tile_url", "user name or password"),
    ({"tile_url": "https://t.example.cn:99999/{z}/{x}/{y}.png"}, "tile_url", "bad port"),
    ({"tile_url": "https://t;x.example.cn/{z}/{x}/{y}.png"}, "tile_url", "bad host name"),
    ({"tile_url": "https://t.example.cn/{z}/{x}/{y}.png x"}, "tile_url", "' ' at character 37 cannot stand in a URL"),
    ({"tile_url": "https://{z}.example.cn/{z}/{x}/{y}.png"}, "tile_url", "only {s} may stand in the host name"),
    ({"tile_url": "https://t{s}.example.cn/{z}/{x}/{y}.png"}, "subdomains", "tile_url has {s}"),
    ({"tile_url": "https://t.example.cn/{z}/{x}/{y}.png", "subdomains": ["a"]}, "subdomains", "tile_url has no {s}"),
    ({"tile_url": "https://t{s}.example.cn/{z}/{x}/{y}.png", "subdomains": ["a;b"]}, "subdomains[0]", "pattern"),
    ({"datum": "bd09"}, "datum", "'wgs84' or 'gcj02'"),
    ({"max_zoom": 30}, "max_zoom", "less than or equal to 22"),
    ({"zoom": 3}, "zoom", "Extra inputs are not permitted"),
])
def test_a_bad_map_section_names_the_field_and_says_what_is_wrong(tiles: dict[str, Any], path: str,
                                                                  says: str) -> None:
    problems = _problems({"tile_url": "https://t.example.cn/{z}/{x}/{y}.png", "datum": "wgs84", **tiles})
    assert says in problems[path], problems


@pytest.mark.parametrize("host", ["127.0.0.1", "192.168.1.20", "[fd00::5]", "tiles", "tiles.lan", "map.local",
                                  "tiles.example.cn"])
def test_http_is_refused_for_any_host_and_the_error_says_why(host: str) -> None:
    """The pages are served over HTTPS: an http tile would never show, so the site file cannot name one."""
    for scheme in ("http", "HTTP"):
        message = _problems({"tile_url": f"{scheme}://{host}:8080/{{z}}/{{x}}/{{y}}.png", "datum": "wgs84"})["tile_url"]
        assert "must be https: the pages are served over HTTPS" in message
        assert "browsers do not load http images" in message and "serve the tiles over https" in message


def test_https_is_taken_for_any_host_on_the_lan_or_beyond() -> None:
    for host in ("127.0.0.1", "192.168.1.20", "[fd00::5]", "tiles", "tiles.lan", "tiles.example.cn"):
        tiles = MapTiles.model_validate({"tile_url": f"https://{host}:8443/{{z}}/{{x}}/{{y}}.png", "datum": "wgs84"})
        assert tiles.origins == (f"https://{host}:8443",)


def test_the_origins_are_one_per_subdomain() -> None:
    assert MapTiles.model_validate(AMAP).origins == tuple(f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5))
    path_only = MapTiles.model_validate({**AMAP, "tile_url": "https://Tiles.Example.cn:8443/{s}/{z}/{x}/{y}.png"})
    assert path_only.origins == ("https://tiles.example.cn:8443",)


@given(st.text(max_size=80) | st.from_regex(r"\Ahttps?://[a-z0-9.{}:\[\]-]{1,20}/\{z\}/\{x\}/\{y\}[^/]{0,10}\Z"),
       st.lists(st.text(max_size=5), max_size=3))
def test_any_tile_url_is_refused_cleanly_or_gives_origins_a_policy_can_hold(url: str, subdomains: list[str]) -> None:
    try:
        tiles = MapTiles.model_validate({"tile_url": url, "subdomains": subdomains, "datum": "wgs84"})
    except ValidationError:
        return
    for origin in tiles.origins:
        assert re.fullmatch(r"https://[A-Za-z0-9.:\[\]-]+", origin), origin  # nothing that ends a CSP source


def test_site_check_names_the_map_field_of_a_bad_file(tmp_path: Path) -> None:
    site = write_site_with_map(tmp_path, {**AMAP, "tile_url": "http://webrd0{s}.is.autonavi.com/{z}/{x}/{y}"})
    result = CliRunner().invoke(cli, ["site", "check", str(site)])
    assert result.exit_code == 2
    assert "map.tile_url: Value error, must be https: the pages are served over HTTPS" in result.output


def test_site_show_tells_the_tile_origins_the_pages_will_allow(tmp_path: Path) -> None:
    site = write_site_with_map(tmp_path, AMAP)
    result = CliRunner().invoke(cli, ["site", "check", str(site)])
    assert result.exit_code == 0, result.output
    assert '"image_origins": [' in result.output and "https://webrd04.is.autonavi.com" in result.output


def test_the_map_answer_carries_the_tiles_and_every_point_in_their_datum(edge_node: EdgeNode) -> None:
    answer = edge_node.client.get("/api/v1/floor/supervisor/map", params={"date": str(edge_node.delivery_date)},
                                  headers=edge_node.headers(Role.SUPERVISOR))
    assert answer.status_code == 200, answer.text
    drawn = answer.json()
    assert drawn["datum"] == "gcj02"
    assert drawn["tiles"] == {"url": AMAP["tile_url"], "subdomains": AMAP["subdomains"], "datum": "gcj02",
                              "attribution": "© 高德地图", "max_zoom": 18}
    warehouse = yaml.safe_load(demo_site_file().read_text(encoding="utf-8"))["warehouse"]["position"]
    assert (drawn["depot"]["latitude"], drawn["depot"]["longitude"]) == wgs84_to_gcj02(warehouse["lat"],
                                                                                        warehouse["lon"])
    kept = {r["store_id"]: (r["latitude"], r["longitude"])
            for r in edge_node.store.query("SELECT store_id, latitude, longitude FROM stores")}
    assert drawn["stores"]
    for place in drawn["stores"]:
        assert (place["latitude"], place["longitude"]) == wgs84_to_gcj02(*kept[place["store_id"]])
        assert (place["latitude"], place["longitude"]) != kept[place["store_id"]]  # Shanghai: shifted


def _page_policy(site_file: Path, data: Path) -> str:
    app = create_app(Settings(data_dir=data, site_file=site_file))
    try:
        page = TestClient(app).get("/floor/signin")  # outside `with`: no lifespan, no devices or cold chain applied
    finally:
        app.state.store.close()
    assert page.status_code == 200
    return page.headers["content-security-policy"]


def test_the_page_policy_allows_images_from_exactly_the_tile_origins(tmp_path: Path) -> None:
    with_tiles = _page_policy(write_site_with_map(tmp_path / "tiles", AMAP), tmp_path / "d1")
    origins = " ".join(f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5))
    assert f"img-src 'self' data: blob: {origins};" in with_tiles
    assert with_tiles.replace(f" {origins}", "") == CONTENT_SECURITY_POLICY  # nothing else changes
    assert "connect-src 'self';" in with_tiles and "autonavi" not in with_tiles.split("img-src")[0]


def test_without_tiles_the_page_policy_is_byte_for_byte_as_before(tmp_path: Path) -> None:
    assert _page_policy(write_site_with_map(tmp_path / "plain", None), tmp_path / "d2") == CONTENT_SECURITY_POLICY
    assert _page_policy(demo_site_file(), tmp_path / "d3") == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
