"""Scan ingest on the floor: 200 simulated PDAs sending pick scans to one edge process.

The edge runs as it does in production: the real app under uvicorn on loopback, in its own
process, over a demo database (200 stores, 5,000 orders, a wave of tours). Each PDA is an
httpx async client with its own connection and its own signed-in picker; it sends its tour's
scans in order (location, then one scan per unit), one request per scan, at a fixed rate with
the PDAs' phases spread evenly, so the offered load is 200 scans/s. Each PDA holds one of the
200 biggest tours of the wave (a supervisor's assignment). A PDA whose tour is
finished starts over (those scans are refused as `tour_finished`: still recorded, logged and
answered; `accepted_share` says how many counted a pick). Latency is measured from
the moment a scan was due to its answer (a late send counts against us). A second phase lets
every PDA send back to back to find the saturation throughput. The paced load alternates between
the two servers in rounds, so a noisy neighbour on the machine hits both alike.

The ceiling is a bare ASGI endpoint under the same uvicorn settings, driven by the same clients
in the same run: it reads the body and answers a fixed JSON, with no auth, no SQLite, no rules.

One JSON object per line on stdout. `BENCH_SECONDS` sets each phase's length (default 20).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

PDAS = 200
RATE_PER_PDA = 1.0  # scans per second per PDA: 200 scans/s offered
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARMUP = 1.0  # per round, after every connection is open and every token checked once
CART_ML = 60_000  # small carts, so there are more tours than PDAs
TARGET_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- the two servers (child processes)

async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ceiling: read the request body, answer a small fixed JSON."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b'{"ok":true,"code":"ok"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve(kind: str, data_dir: str, port: int) -> None:
    import uvicorn

    if kind == "bare":
        app: Any = bare_app
    else:
        from edge.api.app import create_app
        from edge.settings import Settings

        app = create_app(Settings(data_dir=Path(data_dir)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(kind: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(data_dir), str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start on port {port}")


# ---------------------------------------------------------------- the day on the floor

def prepare(data_dir: Path) -> list[dict[str, Any]]:
    """Demo data, a wave of tours, and per PDA: a picker's token and its tour's scans in order."""
    from edge.demo import DEMO_PIN, DemoSize, demo_site_file, load_demo
    from edge.domain.auth import Principal, Role
    from edge.services import auth
    from edge.services.floor import tours
    from edge.settings import Settings
    from edge.site import load_site_file
    from edge.store import Store

    settings = Settings(data_dir=data_dir)
    store = Store(settings.database_path)
    now = dt.datetime.now(dt.UTC)
    loaded = load_demo(store, settings, now, DemoSize(stores=200, orders=5000, pickers=PDAS))
    tours.build_wave(store, loaded.delivery_date, site=load_site_file(demo_site_file()), actor="bench", now=now,
                     cart_volume_ml=CART_ML)
    biggest = store.query("SELECT tour_id FROM tours t WHERE delivery_date = ? ORDER BY"
                          " (SELECT SUM(quantity) + COUNT(*) FROM tour_lines l WHERE l.tour_id = t.tour_id) DESC,"
                          " tour_no LIMIT ?", (loaded.delivery_date.isoformat(), PDAS))
    supervisor = Principal("person", "SUP01", Role.SUPERVISOR, "bench")
    pdas = []
    for n, row in enumerate(biggest, 1):
        signed = auth.sign_in(store, f"P{n:02d}", DEMO_PIN, now=now, lifetime=dt.timedelta(hours=2),
                              device_id=f"pda-{n:03d}")
        tour = tours.reassign(store, row["tour_id"], f"P{n:02d}",
                              supervisor=supervisor, now=now)
        scans = []
        for stop in tour["stops"]:
            scans.append(stop["location_code"])
            scans += [stop["gtin"]] * stop["quantity"]
        pdas.append({"token": signed.token, "tour_id": tour["tour_id"], "version": tour["version"],
                     "device": f"pda-{n:03d}", "scans": scans})
    store.close()
    return pdas


class Pda:
    def __init__(self, spec: dict[str, Any], base: str, path: str):
        self.spec = spec
        self.url = base + path.format(tour_id=spec["tour_id"])
        self.client = httpx.AsyncClient(headers={"Authorization": f"Bearer {spec['token']}"}, timeout=30.0,
                                        limits=httpx.Limits(max_connections=1))
        self.next = 0
        self.seq = 0
        self.accepted = 0
        self.refused = 0

    def body(self) -> dict[str, Any]:
        scans = self.spec["scans"]
        code = scans[self.next % len(scans)]
        self.next += 1
        self.seq += 1
        return {"scan_id": str(uuid.uuid4()), "seq": self.seq, "device_id": self.spec["device"],
                "tour_version": self.spec["version"], "code": code}

    async def send(self) -> bool:
        r = await self.client.post(self.url, json=self.body())
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code}: {r.text[:200]}")
        ok = bool(r.json()["ok"])
        self.accepted += ok
        self.refused += not ok
        return ok


async def paced(pdas: list[Pda], seconds: float) -> tuple[list[float], int, float]:
    """Each PDA sends at RATE_PER_PDA, phases spread; latency from when the scan was due."""
    latencies: list[float] = []
    t0 = time.perf_counter() + 0.2
    period = 1.0 / RATE_PER_PDA
    stop_at = t0 + WARMUP + seconds
    sent = 0

    async def run(i: int, pda: Pda) -> None:
        nonlocal sent
        due = t0 + period * i / len(pdas)
        while due < stop_at:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await pda.send()
            if due >= t0 + WARMUP:
                latencies.append(time.perf_counter() - due)
                sent += 1
            due += period

    start = time.perf_counter()
    await asyncio.gather(*(run(i, p) for i, p in enumerate(pdas)))
    elapsed = time.perf_counter() - start - WARMUP - 0.2
    return latencies, sent, elapsed


async def flat_out(pdas: list[Pda], seconds: float) -> tuple[list[float], int, float]:
    """Every PDA sends its next scan as soon as the last is answered: saturation throughput."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def run(pda: Pda) -> None:
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            await pda.send()
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(run(p) for p in pdas))
    return latencies, len(latencies), time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(case: str, target: str, latencies: list[float], count: int, elapsed: float, **extra: Any) -> None:
    print(json.dumps({
        "bench": "floor_scan_ingest", "case": case, "target": target, "pdas": PDAS, "scans": count,
        "seconds": round(elapsed, 2), "throughput_per_s": round(count / elapsed, 1),
        "p50_ms": round(pct(latencies, 0.50), 2), "p90_ms": round(pct(latencies, 0.90), 2),
        "p99_ms": round(pct(latencies, 0.99), 2), "max_ms": round(max(latencies) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2), **extra,
    }), flush=True)


ROUNDS = 4  # the paced load alternates bare / edge in rounds, so machine noise hits both alike
PATHS = {"bare": "/scan", "edge": "/api/v1/floor/tours/{tour_id}/scans"}


async def drive(specs: list[dict[str, Any]], ports: dict[str, int]) -> dict[str, dict[str, float]]:
    fleets = {kind: [Pda(s, f"http://127.0.0.1:{ports[kind]}", PATHS[kind]) for s in specs] for kind in PATHS}
    out: dict[str, dict[str, float]] = {}
    try:
        for pdas in fleets.values():  # each PDA connects and signs its first scan before the clock starts
            for pda in pdas:
                await pda.send()
        pooled: dict[str, tuple[list[float], int, float]] = {kind: ([], 0, 0.0) for kind in PATHS}
        for _ in range(ROUNDS):
            for kind, pdas in fleets.items():
                lat, n, el = await paced(pdas, SECONDS / ROUNDS)
                got = pooled[kind]
                pooled[kind] = (got[0] + lat, got[1] + n, got[2] + el)
        for kind, pdas in fleets.items():
            lat, n, el = pooled[kind]
            accepted = sum(p.accepted for p in pdas)
            line("paced_200_per_s", kind, lat, n, el, offered_per_s=PDAS * RATE_PER_PDA, rounds=ROUNDS,
                 accepted_share=round(accepted / max(1, accepted + sum(p.refused for p in pdas)), 3),
                 reference="bare uvicorn endpoint, interleaved rounds" if kind == "edge" else "ceiling",
                 target_p99_ms=TARGET_P99_MS if kind == "edge" else None)
            out[kind] = {"p99": pct(lat, 0.99), "p50": pct(lat, 0.50)}
        for kind, pdas in fleets.items():
            lat2, n2, el2 = await flat_out(pdas, SECONDS / 2)
            line("saturation", kind, lat2, n2, el2,
                 reference="bare uvicorn endpoint" if kind == "edge" else "ceiling")
            out[kind]["sat"] = n2 / el2
        return out
    finally:
        await asyncio.gather(*(p.client.aclose() for pdas in fleets.values() for p in pdas))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        data_dir = Path(tmp)
        t = time.perf_counter()
        specs = prepare(data_dir)
        setup = time.perf_counter() - t
        print(json.dumps({"bench": "floor_scan_ingest", "case": "setup", "seconds": round(setup, 1),
                          "pdas": PDAS, "scans_per_pda_available": min(len(s["scans"]) for s in specs),
                          "reference": None}), flush=True)
        ports = {kind: free_port() for kind in PATHS}
        procs = [start_server(kind, data_dir, port) for kind, port in ports.items()]
        try:
            results = asyncio.run(drive(specs, ports))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        edge, bare = results["edge"], results["bare"]
        print(json.dumps({"bench": "floor_scan_ingest", "case": "summary",
                          "edge_p50_ms": round(edge["p50"], 2), "edge_p99_ms": round(edge["p99"], 2),
                          "bare_p99_ms": round(bare["p99"], 2), "target_p99_ms": TARGET_P99_MS,
                          "meets_target": edge["p99"] <= TARGET_P99_MS,
                          "edge_saturation_per_s": round(edge["sat"], 1),
                          "bare_saturation_per_s": round(bare["sat"], 1),
                          "edge_share_of_ceiling": round(edge["sat"] / bare["sat"], 3),
                          "reference": "bare uvicorn endpoint, same clients, same run"}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
