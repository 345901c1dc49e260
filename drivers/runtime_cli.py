"""`haolin-edge sim …`: run simulated devices for a site, for the demo and for trying a site file.

The simulators speak each profile over its real transport; the rewritten site file points the
drivers at them, so the edge runs exactly as it would against the hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer

from drivers.errors import DriverError
from drivers.simulators.site import run_site_simulators
from drivers.site import load_site

sim_app = typer.Typer(help="Simulated devices that speak each profile's real protocol.", no_args_is_help=True)


async def serve_simulators(site_file: Path, out: Path, workdir: Path, ready: asyncio.Event | None = None, *,
                           setpoints: dict[str, float] | None = None, failing: dict[str, float] | None = None) -> None:
    """Start every device of the site as a simulator, write `out`, and run until cancelled or signalled."""
    simulated = await run_site_simulators(load_site(site_file), workdir, setpoints=setpoints, failing=failing)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        simulated.site.dump(out)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await simulated.stop()


def _pairs(items: list[str] | None, option: str) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{item!r}: use DEVICE=NUMBER", param_hint=option) from None
    return out


@sim_app.command("start")
def start(
    site: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="site file naming devices and profiles")],
    out: Annotated[Path, typer.Option(help="where to write the site file that points at the simulators")],
    workdir: Annotated[Path, typer.Option(help="ptys' by-id links and the private broker live here")] = Path(
        "data/sim"),
    setpoint: Annotated[list[str] | None, typer.Option(
        help="DEVICE=°C: the temperature a climate device reads (repeat per device)")] = None,
    fail: Annotated[list[str] | None, typer.Option(
        help="DEVICE=SECONDS: the device's cooling dies that long after start (Modbus sensors)")] = None,
) -> None:
    """Run the simulators until Ctrl-C or SIGTERM; the drivers use the site file written to --out."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve_simulators(site, out, workdir, setpoints=_pairs(setpoint, "--setpoint"),
                                     failing=_pairs(fail, "--fail")))
    except DriverError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
