"""A live edge with a refractometer on a pty: the meter simulator writes a frame, the real driver
reads it, the Supervisor puts it on the bus, the Brix feed stores it and the SSE stream sends it.

Used by the browser test and by bench/telemetry_brix.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import uvicorn
import yaml
from fastapi import FastAPI

from drivers.codecs.line import LineSpec
from drivers.profiles import load_profile
from drivers.readings import BrixReading
from drivers.simulators.line import LineDeviceSim
from edge.api import brix
from edge.api.app import create_app
from edge.demo import DemoSize, load_demo
from edge.settings import Settings
from edge.store import Store
from tests.fixtures.edge import FrozenClock

PROFILE = "atago-prm-2000a"
METER = "refr-1"
T = TypeVar("T")
TINY_DEMO = DemoSize(stores=2, orders=4, pickers=1, sorters=1, drivers=1)


class MeterThread:
    """The simulated meter on its own event loop: a steady 10.0 °Bx stream keeps the streaming
    instrument's link alive; `send` writes one chosen reading now and returns when it was written."""

    def __init__(self, link: Path) -> None:
        self.profile = load_profile(PROFILE)
        assert isinstance(self.profile.spec, LineSpec)
        self.spec: LineSpec = self.profile.spec
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="meter-sim", daemon=True)
        self._thread.start()
        steady = self.frame(10.0, 20.0)
        self.sim: LineDeviceSim = self._call(lambda: LineDeviceSim(self.profile, link, interval_s=0.25,
                                                                   frames=[steady]))
        self._call(self.sim.start)

    def frame(self, brix_value: float, temperature_c: float) -> bytes:
        return self.spec.encode(BrixReading(brix=brix_value, temperature_c=temperature_c, nd=1.35, sample_id="1"))

    def _call(self, fn: Callable[[], T]) -> T:
        async def run() -> T:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    @property
    def path(self) -> str:
        return self.sim.path

    def send(self, brix_value: float, temperature_c: float = 20.5) -> float:
        """Write one frame on the meter's side; returns the wall time (ms since epoch) of the write."""
        frame = self.frame(brix_value, temperature_c)

        def write() -> float:
            stamp = time.time() * 1000
            self.sim.port.write(frame)
            return stamp
        return self._call(write)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass
class LiveBrixEdge:
    url: str
    app: FastAPI
    loop: asyncio.AbstractEventLoop
    store: Store
    clock: FrozenClock
    meter: MeterThread
    sku_id: str
    credentials: dict[str, str]


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def live_brix_edge(root: Path) -> Iterator[LiveBrixEdge]:
    """Serve the edge app (lifespan on: device runtime + Brix feed) with one meter on a pty."""
    meter = MeterThread(root / "by-id" / "usb-ATAGO-if00")
    site = root / "site.yaml"
    site.write_text(yaml.safe_dump({"devices": [{"id": METER, "profile": PROFILE, "port": meter.path}]}))
    settings = Settings(data_dir=root / "data", site_config=site)
    store = Store(settings.database_path)
    clock = FrozenClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    loaded = load_demo(store, settings, clock(), TINY_DEMO)
    sku_id = str(store.scalar("SELECT sku_id FROM skus WHERE brix_min IS NOT NULL AND brix_max IS NOT NULL"
                              " ORDER BY sku_id LIMIT 1"))
    app = create_app(settings, store, clock)
    if not any(getattr(r, "path", None) == "/api/v1/brix/stream" for r in app.routes):
        app.include_router(brix.router)  # until the lead adds it to create_app
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets=[sock]),),
                              name="live-brix-edge", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the live edge did not start within 15 s")
            time.sleep(0.02)
        host, port = sock.getsockname()[:2]
        yield LiveBrixEdge(f"http://{host}:{port}", app, loop, store, clock, meter, sku_id, loaded.credentials)
    finally:
        meter.close()
        server.should_exit = True
        # DeviceRuntime.stop can miss its cancellation when a bus event lands at the same moment
        # (asyncio.wait_for on 3.11); the daemon thread is then left to finish on its own
        thread.join(3)
        if not thread.is_alive():
            loop.close()
        sock.close()
        store.close()
