"""The supervisor's route map on a site with map tiles, as a PDA on the warehouse Wi-Fi sees it: the
page at https://edge.lan fetches exactly the tiles that cover its view at the deepest zoom holding every
point (deeper on a wide screen, where a tile takes fewer drawing units) from a tile server on the LAN,
https://tiles.lan with a certificate from the site CA, under the page policy (no violation), with the
points where the tiles put them; tiles that fail leave the lines and markers. On the default site the
map fetches nothing beyond the node.

A page at http://127.0.0.1 loads http tiles that no PDA would ever show (its pages are HTTPS, and
browsers keep http images out of them), hence a LAN name, HTTPS on both servers, and a site file that
refuses an http tile URL (tests/site/test_site_map.py).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import ConsoleMessage, ViewportSize, expect

from edge import tls
from edge.demo import SUPERVISOR_PIN, demo_site_file
from edge.settings import Settings
from tests.fixtures.browser import Pda
from tests.floor_browser.floor_flow import plan_routes
from tests.lan.conftest import TILES_NAME, LanEdge
from tests.site.map_site import write_site_with_map

pytestmark = pytest.mark.browser

WIDTH, HEIGHT, MARGIN, TILE = 400, 300, 16, 256  # the drawing, as route-map.js and supervisor.html have it
MAX_ZOOM = 17
TILE_PATH = re.compile(r"^/(?P<s>[ab])/(?P<z>\d+)/(?P<x>\d+)/(?P<y>\d+)\.png$")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (TILE, TILE), (200, 230, 200)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class TileServer:
    """A real HTTPS tile server at tiles.lan (loopback), its certificate from the site CA as `haolin-edge
    tls issue` makes it: a PNG for /{s}/{z}/{x}/{y}.png with an even x, 404 for the rest (a provider
    that fails some tiles); it records every path asked for."""

    url: str = ""
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def tile_server(tmp_path: Path, site_ca_dir: Path) -> Iterator[TileServer]:
    issued = tls.issue(Settings(data_dir=site_ca_dir.parent), [TILES_NAME], tmp_path / "tiles", dt.datetime.now(dt.UTC))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert_file, issued.key_file)
    png = _png()
    served = TileServer()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.paths.append(self.path)
            match = TILE_PATH.match(self.path)
            ok = match is not None and int(match["x"]) % 2 == 0
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "image/png" if ok else "text/plain")
            body = png if ok else b"no such tile"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    # The handshake happens at the first read, in the request's own thread, not in the accepting one.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, name="tile-server", daemon=True)
    thread.start()
    served.url = f"https://{TILES_NAME}:{server.server_address[1]}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def lan_site_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The demo site, or (parametrised "tiles") the demo site drawn on the LAN tile server in GCJ-02."""
    if getattr(request, "param", None) != "tiles":
        return demo_site_file()
    tiles = request.getfixturevalue("tile_server")
    return write_site_with_map(tmp_path / "site", {
        "tile_url": f"{tiles.url}/{{s}}/{{z}}/{{x}}/{{y}}.png", "subdomains": ["a", "b"], "datum": "gcj02",
        "attribution": "© 测试瓦片", "max_zoom": MAX_ZOOM})


def _world(lat: float, lon: float) -> tuple[float, float]:
    """Web-Mercator, the world 1 × 1: the oracle the page's drawing is checked against."""
    sin = math.sin(math.radians(lat))
    return (lon + 180) / 360, 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)


@dataclass(frozen=True)
class View:
    zoom: int
    side: float  # a tile's side in drawing units
    left: float
    top: float
    tiles: frozenset[str]

    def at(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = _world(lat, lon)
        return x * 2 ** self.zoom * self.side - self.left, y * 2 ** self.zoom * self.side - self.top


def _expected_view(drawn: dict[str, Any], shown_width: float) -> View:
    """The view that holds every point of the map answer at the deepest zoom, its tiles as wide on the
    screen as a tile is (to the nearest power of two, at most four to a drawing unit)."""
    side = TILE / 2 ** max(0, min(2, math.floor(math.log2(shown_width / WIDTH) + 0.5)))
    points = [drawn["depot"], *(s for s in drawn["stores"] if s["latitude"] is not None)]
    world = [_world(p["latitude"], p["longitude"]) for p in points]
    xs, ys = [w[0] for w in world], [w[1] for w in world]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    zoom = next(z for z in range(MAX_ZOOM, -1, -1)
                if span_x * 2 ** z * side <= WIDTH - 2 * MARGIN and span_y * 2 ** z * side <= HEIGHT - 2 * MARGIN)
    left = (min(xs) + max(xs)) / 2 * 2 ** zoom * side - WIDTH / 2
    top = (min(ys) + max(ys)) / 2 * 2 ** zoom * side - HEIGHT / 2
    tiles = frozenset(f"/{'ab'[(x + y) % 2]}/{zoom}/{x}/{y}.png"
                      for x in range(math.floor(left / side), math.floor((left + WIDTH - 1e-9) / side) + 1)
                      for y in range(math.floor(top / side), math.floor((top + HEIGHT - 1e-9) / side) + 1))
    return View(zoom, side, left, top, tiles)


def _until(condition: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s} s for {what}")
        time.sleep(0.05)


def _policy_complaints(pda: Pda) -> list[str]:
    """Console lines about the page policy or mixed content, recorded from the first page on."""
    complaints: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if any(said in message.text for said in ("Content Security Policy", "Refused to", "Mixed Content")):
            complaints.append(message.text)

    pda.page.on("console", heard)
    pda.context.add_init_script("window.__violations = [];"
                                " document.addEventListener('securitypolicyviolation',"
                                " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    return complaints


@pytest.mark.parametrize("screen", [None, {"width": 1280, "height": 900}], ids=["pda", "desk"])
@pytest.mark.parametrize("lan_site_file", ["tiles"], indirect=True)
def test_the_route_map_lies_on_the_sites_tiles_served_over_https_on_the_lan(
        lan_pda: Pda, lan_edge: LanEdge, tile_server: TileServer, screen: ViewportSize | None) -> None:
    edge = lan_edge.edge
    routes = plan_routes(edge)
    with edge.api("SUP01") as sup:
        drawn = sup.get("/api/v1/floor/supervisor/map", params={"date": str(edge.delivery_date)}).json()
    complaints = _policy_complaints(lan_pda)
    if screen is not None:
        lan_pda.page.set_viewport_size(screen)

    page = lan_pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    assert page.url.startswith(edge.url) and page.evaluate("window.isSecureContext")
    svg = page.locator("#route-map")
    expect(svg.locator("polyline")).to_have_count(len(routes))
    view = _expected_view(drawn, (svg.bounding_box() or {"width": 0.0})["width"])
    tiles = view.tiles
    _until(lambda: set(tile_server.paths) == tiles, f"the tiles {sorted(tiles)} (asked: {tile_server.paths})")
    assert len(tile_server.paths) == len(tiles)  # each once
    served = {p for p in tiles if int(p.split("/")[3]) % 2 == 0}
    assert served and served != tiles  # some tiles load, some fail
    expect(svg.locator("image")).to_have_count(len(served))  # a failed tile leaves a gap ...
    assert {i.get_attribute("href") for i in svg.locator("image").all()} == {tile_server.url + p for p in served}
    expect(svg.locator("polyline")).to_have_count(len(routes))  # ... and the lines and markers stay
    expect(svg.locator("[data-store]")).to_have_count(len(drawn["stores"]))
    expect(svg.locator("[data-attribution]")).to_have_text("© 测试瓦片")

    first = svg.locator("image").first  # the tile grid and the points agree: the depot is where its tile says
    tx, ty = (int(v) for v in (first.get_attribute("data-tile") or "").split("/")[1:])
    assert float(first.get_attribute("x") or "nan") == pytest.approx(tx * view.side - view.left)
    assert float(first.get_attribute("y") or "nan") == pytest.approx(ty * view.side - view.top)
    depot = svg.locator("[data-depot]")
    x, y = view.at(drawn["depot"]["latitude"], drawn["depot"]["longitude"])
    assert float(depot.get_attribute("x") or "nan") + 6 == pytest.approx(x)
    assert float(depot.get_attribute("y") or "nan") + 6 == pytest.approx(y)
    assert (view.side == TILE) == (screen is None)  # a PDA shows the drawing at about its own size, a desk wider

    assert not complaints, complaints
    assert page.evaluate("window.__violations") == []


def test_the_default_site_fetches_no_tile(lan_pda: Pda, lan_edge: LanEdge) -> None:
    asked: list[str] = []
    lan_pda.page.on("request", lambda request: asked.append(request.url))
    complaints = _policy_complaints(lan_pda)
    page = lan_pda.sign_in("SUP01", SUPERVISOR_PIN, "/floor/supervisor")
    svg = page.locator("#route-map")
    expect(svg.locator("[data-store]").first).to_be_attached()
    expect(svg.locator("[data-depot]")).to_have_count(1)
    expect(svg.locator("image")).to_have_count(0)
    expect(svg.locator("[data-attribution]")).to_have_count(0)
    assert [url for url in asked if not url.startswith(lan_edge.edge.url + "/")] == []
    assert not complaints and page.evaluate("window.__violations") == []
    budget, own = page.locator("#plan-budget"), f"{lan_edge.edge.settings.route_time_limit_s:g}"
    expect(budget).to_have_value(own)  # planning starts at the site's own budget, said in Chinese
    expect(budget.locator("option:checked")).to_have_text(f"{own} s （本站默认）")
