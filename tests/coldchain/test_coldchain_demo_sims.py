"""The demo's simulated cold assets read like their class (a freezer near -20 °C, a chilled truck
near 2.5 °C, no undecodable frames), and a failure is shown only when asked for."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

import pytest

from drivers.simulators.site import run_site_simulators
from drivers.site import parse_site
from drivers.supervisor import ReadingEvent, Supervisor
from edge.demo_stack import simulator_options
from edge.store import Store


def test_coldchain_demo_simulators_get_their_class_temperature(cold_store: Store) -> None:
    with resources.as_file(resources.files("edge").joinpath("demo_site.yaml")) as site_file:
        options = simulator_options(Path(site_file), cold_store, fail_assets=["FZ-1"])
        with pytest.raises(ValueError, match="no cold asset NOPE"):
            simulator_options(Path(site_file), cold_store, fail_assets=["NOPE"])
    assert "fz-1-t=-20.0" in options and "cr-1-t=2.5" in options and "truck-01-c=2.5" in options
    assert options.count("--fail") == 1 and options[options.index("--fail") + 1] == "fz-1-t=120"


async def test_coldchain_simulated_freezer_reads_minus_twenty_then_fails_on_request(tmp_path: Path) -> None:
    site = parse_site({"devices": [
        {"id": "fz-1-t", "profile": "dixell-xr-cx", "host": "127.0.0.1", "tcp_port": 502, "unit_id": 1,
         "poll_interval_s": 0.05, "asset": "FZ-1"},
        {"id": "truck-01-c", "profile": "tasmota-sensor", "topic": "tele/truck01/SENSOR", "asset": "V01-chilled"}]})
    simulated = await run_site_simulators(site, tmp_path, setpoints={"fz-1-t": -20.0, "truck-01-c": 2.5},
                                          failing={"fz-1-t": 0.5})
    try:
        supervisor = Supervisor(simulated.site)
        readings = supervisor.subscribe(10_000)
        temps: dict[str, list[float]] = {"fz-1-t": [], "truck-01-c": []}
        async with supervisor:
            deadline = asyncio.get_running_loop().time() + 20
            while (len(temps["truck-01-c"]) < 4 or not temps["fz-1-t"] or max(temps["fz-1-t"]) <= -19.8) \
                    and asyncio.get_running_loop().time() < deadline:
                event = await readings.get(timeout=1.0)
                temp = getattr(event.reading, "temperature_c", None) if isinstance(event, ReadingEvent) else None
                if isinstance(event, ReadingEvent) and temp is not None:
                    temps[event.device_id].append(temp)
            status = {s.device_id: s for s in supervisor.status()}
    finally:
        await simulated.stop()
    assert temps["fz-1-t"][0] == pytest.approx(-20.0, abs=0.2)  # a freezer reads like a freezer
    assert max(temps["fz-1-t"]) > -19.8  # and warms once its cooling dies, as asked (2.35 K per minute)
    assert temps["truck-01-c"] and all(abs(t - 2.5) <= 3.0 for t in temps["truck-01-c"])
    assert status["truck-01-c"].errors == 0  # every frame decodes: no garbage to degrade the sensor
