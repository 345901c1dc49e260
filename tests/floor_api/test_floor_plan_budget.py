"""The planning page offers the site's own budget (`route_time_limit_s`) preselected, so a supervisor
who just presses the button plans with what the site configured, not a number written into the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge.demo import demo_site_file
from edge.settings import Settings
from tests.fixtures.edge import EdgeNode


@pytest.fixture(params=[10.0, 45.0, 7.5])
def edge_settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return Settings(data_dir=tmp_path / "data", site_file=demo_site_file(), route_time_limit_s=request.param)


def _options(html: str) -> list[tuple[str, bool, str]]:
    select = re.search(r'<select id="plan-budget">(.*?)</select>', html, re.S)
    assert select, "no budget choice on the page"
    return [(value, bool(chosen), " ".join(label.split()))
            for value, chosen, label in re.findall(r'<option value="([^"]+)"( selected)?>(.*?)</option>',
                                                   select.group(1), re.S)]


def test_the_sites_budget_is_preselected_and_marked(edge_node: EdgeNode) -> None:
    own = f"{edge_node.settings.route_time_limit_s:g}"
    options = _options(edge_node.client.get("/floor/supervisor").text)
    assert [v for v, chosen, _ in options if chosen] == [own]
    assert dict((v, label) for v, _, label in options)[own] == f"{own} s （本站默认）"
    assert [float(v) for v, _, _ in options] == sorted({10, 30, 60, 120, float(own)})
    english = _options(edge_node.client.get("/floor/supervisor?lang=en").text)
    assert dict((v, label) for v, _, label in english)[own] == f"{own} s (site default)"
