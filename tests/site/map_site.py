"""The demo's site with a `map:` section: for the tests of map tiles (site, API, page policy, browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from edge.demo import demo_site_file

#: AMap's (高德) street tiles as a site would name them: four subdomains, drawn in GCJ-02.
AMAP = {"tile_url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "subdomains": ["1", "2", "3", "4"], "datum": "gcj02", "attribution": "© 高德地图", "max_zoom": 18}


def write_site_with_map(folder: Path, tiles: dict[str, Any] | None) -> Path:
    """The demo's site file with a `map:` section (or none), written into `folder`."""
    document = yaml.safe_load(demo_site_file().read_text(encoding="utf-8"))
    if tiles is not None:
        document["map"] = tiles
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "site.yaml"
    site.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return site
