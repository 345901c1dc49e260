"""The demo's neighbours, each in its own process as on a real site: simulated devices (with the
broker they publish to), the reference HQ seeded with the same stores, SKUs and orders as the
edge, and the sync agent between them.

`haolin-edge demo` starts them, serves the node, and stops them again when it exits.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import yaml

from edge.demo import demo_coldchain, demo_skus
from edge.demo_catalog import SUPPLIERS
from edge.services.coldchain_assets import ColdChainSpec, apply_spec, parse_spec
from edge.settings import Settings
from edge.store import Store

HQ_ADMIN_TOKEN = "demo-hq-admin-token"
#: What a simulated climate device reads, by its asset's class: inside the class band, as a working room does.
CLASS_SETPOINT_C = {"chilled": 2.5, "frozen": -20.0, "ambient": 15.0}
#: A failure scenario starts this long after the demo, so the charts show normal first.
FAILURE_AFTER_S = 120
STARTUP_TIMEOUT_S = 60.0


class DemoStackError(RuntimeError):
    """A neighbour of the demo did not come up; the message says which and shows its last output."""


@dataclass(frozen=True)
class DemoStack:
    settings: Settings
    hq_url: str
    mqtt_port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "edge.cli", *args]


@contextmanager
def _process(name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Iterator[
        subprocess.Popen[bytes]]:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(what: str, ready: Any, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise DemoStackError(f"{what} did not start (see {log}):\n{tail}")


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """`kill` or `systemctl stop` ends the demo as Ctrl-C does, through its `with` blocks, so its
    neighbours are stopped too instead of being left running (SIGTERM's default ends the process there)."""
    raise SystemExit(128 + signum)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def seed_hq(hq_url: str, store: Store) -> int:
    """Give HQ the edge's demo master data and the orders it lacks (a later day's demo adds new ones).

    Orders HQ already has are left alone: sending them again would make new versions.
    Returns how many orders were added.
    """
    headers = {"Authorization": f"Bearer {HQ_ADMIN_TOKEN}"}
    with httpx.Client(base_url=hq_url, headers=headers, timeout=60) as hq:
        stores = [{k: v for k, v in s.items() if k != "service_minutes"} for s in store.query("SELECT * FROM stores")]
        hq.put("/admin/stores", json=stores).raise_for_status()
        suppliers = {s: zh for s, zh, _ in SUPPLIERS}
        hq.put("/admin/skus", json=[dict(s, supplier_name=suppliers[s["supplier_id"]]) for s in demo_skus()]
               ).raise_for_status()
        known = {o["hq_order_id"] for o in hq.get("/admin/orders").raise_for_status().json()}
        missing = [o for o in _edge_orders(store) if o["hq_order_id"] not in known]
        for start in range(0, len(missing), 1000):
            hq.post("/admin/orders", json=missing[start:start + 1000]).raise_for_status()
        return len(missing)


def compartment_assets(store: Store) -> ColdChainSpec:
    """Each truck compartment of the fleet as a cold asset, so crates on a truck get its telemetry."""
    return parse_spec({"assets": [
        {"asset_id": c["compartment_id"], "kind": "truck_compartment", "temp_class": c["temp_class"],
         "name": f"{c['vehicle_id']} {c['temp_class']}", "vehicle_id": c["vehicle_id"]}
        for c in store.query("SELECT compartment_id, vehicle_id, temp_class FROM vehicle_compartments"
                             " WHERE temp_class != 'ambient' ORDER BY compartment_id")]}, "demo fleet compartments")


def simulator_options(site_file: Path, store: Store, fail_assets: Sequence[str] = ()) -> list[str]:
    """`sim start` options: each cold device reads its asset's class (a freezer near -20 °C), and the
    devices of `fail_assets` lose their cooling FAILURE_AFTER_S into the demo (ValueError: unknown asset)."""
    classes = {a.asset_id: a.temp_class for a in [*demo_coldchain().assets, *compartment_assets(store).assets]}
    unknown = [a for a in fail_assets if a not in classes]
    if unknown:
        raise ValueError(f"no cold asset {', '.join(unknown)} in the demo (known: {', '.join(sorted(classes))})")
    devices = yaml.safe_load(site_file.read_text(encoding="utf-8")).get("devices", [])
    options = []
    for device in devices:
        asset = device.get("asset")
        if asset in classes:
            options += ["--setpoint", f"{device['id']}={CLASS_SETPOINT_C[classes[asset]]}"]
            if asset in fail_assets:
                options += ["--fail", f"{device['id']}={FAILURE_AFTER_S}"]
    return options


def _edge_orders(store: Store) -> list[dict[str, Any]]:
    lines: dict[str, list[dict[str, Any]]] = {}
    for row in store.query("SELECT hq_order_id, line_no, sku_id, quantity, unit_price_fen FROM order_lines"
                           " ORDER BY hq_order_id, line_no"):
        lines.setdefault(row.pop("hq_order_id"), []).append(row)
    return [dict(o, lines=lines[o["hq_order_id"]])
            for o in store.query("SELECT hq_order_id, store_id, campaign_id, delivery_date FROM orders"
                                 " WHERE status != 'cancelled' ORDER BY hq_order_id")]


@contextmanager
def run_demo_stack(settings: Settings, store: Store, fail_assets: Sequence[str] = ()) -> Iterator[DemoStack]:
    """Start the simulators, the reference HQ and the sync agent; yield the settings that point at them.

    `fail_assets`: cold assets whose cooling dies two minutes in (a scenario shown on purpose)."""
    data = settings.data_dir.resolve()
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    site_out = data / "site.simulated.yaml"
    site_out.unlink(missing_ok=True)
    with ExitStack() as stack:
        stack.callback(signal.signal, signal.SIGTERM, signal.signal(signal.SIGTERM, _exit_on_sigterm))
        site_in = stack.enter_context(resources.as_file(resources.files("edge").joinpath("demo_site.yaml")))
        sims = stack.enter_context(_process("simulators", _command(
            "sim", "start", "--site", str(site_in), "--out", str(site_out), "--workdir", str(data / "sim"),
            *simulator_options(site_in, store, fail_assets)), logs))
        _wait_for("the device simulators", site_out.exists, sims, logs / "simulators.log")
        mqtt_port = int(yaml.safe_load(site_out.read_text())["mqtt"]["port"])

        hq_port = free_port()
        hq_url = f"http://127.0.0.1:{hq_port}"
        hq = stack.enter_context(_process("hq", _command(
            "hq", "serve", "--db", str(data / "hq" / "hq.sqlite3"), "--port", str(hq_port),
            "--admin-token", HQ_ADMIN_TOKEN, "--edge", f"{settings.hq_edge_id}={settings.hq_secret.get_secret_value()}",
            "--mqtt-host", "127.0.0.1", "--mqtt-port", str(mqtt_port)), logs))
        _wait_for("the reference HQ", lambda: _port_open(hq_port), hq, logs / "hq.log")
        seed_hq(hq_url, store)

        if not store.scalar("SELECT COUNT(*) FROM cold_assets"):  # the site file's own come at the node's start
            apply_spec(store, compartment_assets(store), actor="system:demo", now=dt.datetime.now(dt.UTC))
        node = settings.model_copy(update={
            "site_config": site_out, "mqtt_port": mqtt_port, "hq_url": hq_url,
            "uplink": settings.uplink.model_copy(update={"enabled": True, "host": "127.0.0.1", "port": mqtt_port}),
        })
        stack.enter_context(_process("sync-agent", _command("sync", "run", "--poll-interval", "2"), logs, env={
            "HAOLIN_DATA_DIR": str(data), "HAOLIN_HQ_URL": hq_url, "HAOLIN_HQ_EDGE_ID": settings.hq_edge_id,
            "HAOLIN_HQ_SECRET": settings.hq_secret.get_secret_value(), "HAOLIN_WAREHOUSE_ID": settings.warehouse_id}))
        yield DemoStack(node, hq_url, mqtt_port)
