"""A PDA on the warehouse Wi-Fi: the node at a LAN name over HTTPS, Chromium trusting the site CA.

Browsers forgive http://127.0.0.1 what they do not forgive a LAN name (secure context, service
workers, mixed content), so these tests reach the node as `edge.lan` (and a LAN tile server as
`tiles.lan`; `--host-resolver-rules` maps both to loopback) over HTTPS under a site CA that the
browser trusts through its own NSS database (`certutil`, Debian's libnss3-tools), made in a
temporary $HOME for that browser alone. One CA per worker; each test's node keeps it in its data
dir, as a real node keeps its CA.
"""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

from edge import runtime, tls
from edge.api.app import create_app
from edge.api.enrolment import create_plain_http_app
from edge.demo import demo_site_file, load_demo
from edge.settings import Settings
from edge.store import Store
from tests.fixtures.browser import LiveEdge, Pda, _free_socket, _open_pda, launch_chromium, serving
from tests.fixtures.edge import SMALL_DEMO, FrozenClock

LAN_NAME = "edge.lan"
#: Another server on the warehouse's network, with a certificate from the same site CA.
TILES_NAME = "tiles.lan"


@dataclass
class LanEdge:
    """The node as a PDA on the Wi-Fi sees it: pages at https://edge.lan:PORT, enrolment on plain HTTP."""

    edge: LiveEdge
    http_url: str
    site: tls.SiteTls


@pytest.fixture(scope="session")
def site_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site CA (certificate and key, as a node keeps them in `<data_dir>/tls`)."""
    directory = tmp_path_factory.mktemp("site-ca")
    tls.site_ca(Settings(data_dir=directory), dt.datetime.now(dt.UTC))
    return directory / "tls"


@pytest.fixture(scope="session")
def lan_browser(playwright_driver: Playwright, site_ca_dir: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium that resolves edge.lan to loopback and trusts the site CA, through its own NSS database."""
    if shutil.which("certutil") is None:
        pytest.fail("certutil is missing: run scripts/bootstrap.sh --dev (it installs Debian's libnss3-tools)")
    home = tmp_path_factory.mktemp("pda-home")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    for args in (["-N", "--empty-password"],
                 ["-A", "-t", "C,,", "-n", "Haolin site CA", "-i", str(site_ca_dir / "ca.crt")]):
        subprocess.run(["certutil", "-d", f"sql:{nssdb}", *args], check=True, capture_output=True, timeout=60)
    rules = f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1, MAP {TILES_NAME} 127.0.0.1"
    with launch_chromium(playwright_driver, (rules,), home) as chromium:
        yield chromium


def issued_by_site_ca(settings: Settings, site_ca_dir: Path) -> tls.SiteTls:
    """A server certificate for `settings.tls_names` from the site CA, kept in `<data_dir>/tls` as a node keeps it."""
    shutil.copytree(site_ca_dir, settings.data_dir / "tls")
    return tls.prepare(settings, dt.datetime.now(dt.UTC))  # the browser checks against its real clock


@pytest.fixture
def lan_site_file() -> Path:
    """The node's site file: the demo's, unless a test module gives its own."""
    return demo_site_file()


@pytest.fixture
def lan_edge(tmp_path: Path, site_ca_dir: Path, lan_site_file: Path) -> Iterator[LanEdge]:
    """The node with the small demo, its app over HTTPS and its enrolment app on plain HTTP, both in threads."""
    https_sock, http_sock = _free_socket(), _free_socket()
    https_port, http_port = https_sock.getsockname()[1], http_sock.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "data", site_file=lan_site_file, tls_names=[LAN_NAME, "127.0.0.1"],
                        https_port=https_port, http_port=http_port)
    site = issued_by_site_ca(settings, site_ca_dir)
    store = Store(settings.database_path)
    clock = FrozenClock()
    loaded = load_demo(store, settings, clock(), SMALL_DEMO)
    app = create_app(settings, store, clock)
    quiet = {"log_level": "warning", "lifespan": "off", "ws": "none"}
    with ExitStack() as stack:
        stack.callback(store.close)
        stack.enter_context(serving(runtime.https_server(app, site, **quiet), https_sock, "lan-https"))
        stack.enter_context(serving(runtime.plain_server(create_plain_http_app(settings), **quiet), http_sock,
                                    "lan-http"))
        edge = LiveEdge(f"https://{LAN_NAME}:{https_port}", settings, store, clock, loaded.delivery_date, app,
                        api_url=f"https://127.0.0.1:{https_port}",
                        verify=ssl.create_default_context(cafile=str(site_ca_dir / "ca.crt")))
        yield LanEdge(edge, f"http://{LAN_NAME}:{http_port}", site)


@pytest.fixture
def lan_pda(lan_browser: Browser, lan_edge: LanEdge, request: pytest.FixtureRequest) -> Iterator[Pda]:
    """A PDA-sized page at https://edge.lan; JavaScript errors on the page fail the test."""
    with _open_pda(lan_browser, lan_edge.edge, request, "lan-pda") as device:
        yield device
