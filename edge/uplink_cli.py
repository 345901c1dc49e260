"""`haolin-edge uplink ...`: look at the HQ uplink's spool, or run the publisher on its own."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from edge.cli_context import settings_for
from edge.services import uplink_spool
from edge.services.uplink import UplinkPublisher
from edge.store import Store

app = typer.Typer(help="HQ uplink over MQTT: queue depth, and the publisher.", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]


@app.command()
def status(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Print the spool's depth, bytes against the budget, evictions and the link's last state (JSON)."""
    settings = settings_for(ctx, config)
    store = Store(settings.database_path)
    typer.echo(json.dumps(uplink_spool.status(store, settings.uplink.budget_bytes).to_json(), indent=2))


@app.command()
def run(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Publish the spool to HQ's broker until interrupted (the app does this itself when enabled)."""
    settings = settings_for(ctx, config)
    publisher = UplinkPublisher(Store(settings.database_path), settings.uplink, edge_id=settings.hq_edge_id,
                                warehouse_id=settings.warehouse_id)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    publisher.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        publisher.stop()
