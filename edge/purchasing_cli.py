"""`haolin-edge purchase ...`: purchase orders to the suppliers, confirmations, shortage allocation.

For the supervisor at the node's console; each command calls the service the API calls and
names the person with `--by` (default: the shell's user).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from edge.cli_context import settings_for
from edge.services import purchasing
from edge.services.floor.errors import FloorError
from edge.store import Store

app = typer.Typer(help="Purchase orders to the suppliers and shortage allocation.", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]
DateOption = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="delivery date")]
ByOption = Annotated[str | None, typer.Option("--by", help="who does it (default: the shell's user)")]
EXIT_REFUSED = 2


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _run(ctx: typer.Context, config: Path | None, call: Any) -> None:
    store = Store(settings_for(ctx, config).database_path)
    try:
        _print(call(store))
    except FloorError as error:
        typer.echo(f"refused ({error.code}): {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        store.close()


def _actor(by: str | None) -> str:
    return f"person:{by}" if by else f"console:{getpass.getuser()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@app.command("list")
def list_orders(ctx: typer.Context, date: DateOption, config: ConfigOption = None) -> None:
    """Each PO of the date: supplier, version, state, units ordered and confirmed, open conflicts."""
    _run(ctx, config, lambda store: purchasing.list_purchase_orders(store, date.date()))


@app.command()
def show(ctx: typer.Context, po_id: str, config: ConfigOption = None) -> None:
    """One PO with its lines, every version with what it changed, and open conflicts."""
    _run(ctx, config, lambda store: purchasing.purchase_order(store, po_id))


@app.command()
def issue(ctx: typer.Context, date: DateOption, by: ByOption = None, config: ConfigOption = None) -> None:
    """Send a PO per supplier for the date, or a new version where the orders changed since."""
    _run(ctx, config, lambda store: purchasing.issue_purchase_orders(store, date.date(), actor=_actor(by),
                                                                     now=_now()))


@app.command()
def confirm(ctx: typer.Context, po_id: str,
            version: Annotated[int, typer.Option(help="the PO version the supplier confirms")],
            line: Annotated[list[str], typer.Option(help="SKU=units the supplier will bring (repeat)")],
            by: ByOption = None, config: ConfigOption = None) -> None:
    """Record a supplier's confirmation, e.g. `--line SKU-001=36 --line SKU-007=120`."""
    lines: dict[str, int] = {}
    for item in line:
        sku, _, units = item.partition("=")
        if not sku or not units.isdigit():
            typer.echo(f"--line {item!r}: expected SKU=units, e.g. SKU-001=36", err=True)
            raise typer.Exit(EXIT_REFUSED)
        lines[sku] = int(units)
    _run(ctx, config, lambda store: purchasing.confirm(store, po_id, version, lines, actor=_actor(by), now=_now()))


@app.command()
def allocate(ctx: typer.Context, date: DateOption, by: ByOption = None, config: ConfigOption = None) -> None:
    """Share short SKUs across the stores before the wave (largest remainder, whole packs, order time)."""
    _run(ctx, config, lambda store: purchasing.allocate_shortages(store, date.date(), actor=_actor(by), now=_now()))
