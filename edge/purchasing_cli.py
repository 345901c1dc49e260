"""`haolin-edge purchase ...`: purchase orders to the suppliers, confirmations, shortage allocation.

For the supervisor at the node's console; each command calls the service the API calls and
names the person with `--by` (default: the shell's user).
"""

from __future__ import annotations

from typing import Annotated

import typer

from edge.console import EXIT_REFUSED, ByOption, ConfigOption, DateOption, actor, now, run_service
from edge.domain.digits import ascii_digits
from edge.services import purchasing

app = typer.Typer(help="Purchase orders to the suppliers and shortage allocation.", no_args_is_help=True)


@app.command("list")
def list_orders(ctx: typer.Context, date: DateOption, config: ConfigOption = None) -> None:
    """Each PO of the date: supplier, version, state, units ordered and confirmed, open conflicts."""
    run_service(ctx, config, lambda store, _: purchasing.list_purchase_orders(store, date.date()))


@app.command()
def show(ctx: typer.Context, po_id: str, config: ConfigOption = None) -> None:
    """One PO with its lines, every version with what it changed, and open conflicts."""
    run_service(ctx, config, lambda store, _: purchasing.purchase_order(store, po_id))


@app.command()
def issue(ctx: typer.Context, date: DateOption, by: ByOption = None, config: ConfigOption = None) -> None:
    """Send a PO per supplier for the date, or a new version where the orders changed since."""
    run_service(ctx, config, lambda store, _: purchasing.issue_purchase_orders(store, date.date(), actor=actor(by),
                                                                     now=now()))


@app.command()
def confirm(ctx: typer.Context, po_id: str,
            version: Annotated[int, typer.Option(help="the PO version the supplier confirms")],
            line: Annotated[list[str], typer.Option(help="SKU=units the supplier will bring (repeat)")],
            by: ByOption = None, config: ConfigOption = None) -> None:
    """Record a supplier's confirmation, e.g. `--line SKU-001=36 --line SKU-007=120`."""
    lines: dict[str, int] = {}
    for item in line:
        sku, _, units = item.partition("=")
        if not sku or not ascii_digits(units):
            typer.echo(f"--line {item!r}: expected SKU=units, e.g. SKU-001=36", err=True)
            raise typer.Exit(EXIT_REFUSED)
        lines[sku] = int(units)
    run_service(ctx, config, lambda store, _: purchasing.confirm(store, po_id, version, lines, actor=actor(by),
                                                                 now=now()))


@app.command()
def allocate(ctx: typer.Context, date: DateOption, by: ByOption = None, config: ConfigOption = None) -> None:
    """Share short SKUs across the stores before the wave (largest remainder, whole packs, order time)."""
    run_service(ctx, config, lambda store, _: purchasing.allocate_shortages(store, date.date(), actor=actor(by),
                                                                            now=now()))
