"""`haolin-edge receiving ...`: receipts at the dock, the daily report with its loss rate, lots near
expiry, and write-offs — beside the dock and supervisor pages, calling the same services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from edge.console import ByOption, ConfigOption, DateOption, actor, now, run_service
from edge.services import daily_report, receiving
from edge.settings import Settings
from edge.store import Store

app = typer.Typer(help="Receiving at the dock, the daily report and the loss ledger.", no_args_is_help=True)


@app.command("list")
def list_receipts(ctx: typer.Context, date: DateOption, config: ConfigOption = None) -> None:
    """The receipts against the date's purchase orders."""
    run_service(ctx, config, lambda store, _: store.query(
        "SELECT r.receipt_id, r.po_id, r.asn_id, r.started_at, r.started_by, r.closed_at, r.closed_by FROM receipts r"
        " JOIN purchase_orders p USING (po_id) WHERE p.delivery_date = ? ORDER BY r.receipt_id",
        (date.date().isoformat(),)))


@app.command()
def show(ctx: typer.Context, receipt_id: int, config: ConfigOption = None) -> None:
    """One receipt: each PO line expected against counted, and each lot with its QC and decision."""
    run_service(ctx, config, lambda store, _: receiving.receipt(store, receipt_id))


@app.command()
def report(ctx: typer.Context, date: DateOption,
           pdf: Annotated[Path | None, typer.Option(help="also write the one-page PDF here")] = None,
           send: Annotated[bool, typer.Option(help="send it (and the lots near expiry) to HQ")] = False,
           by: ByOption = None, config: ConfigOption = None) -> None:
    """The day's report: received, shipped, shorts, fill rate, on-time stops, excursions, loss rate."""
    def build(store: Store, settings: Settings) -> dict[str, Any]:
        figures = daily_report.figures(store, date.date(), settings.zone).as_json()
        if pdf is not None:
            pdf.write_bytes(daily_report.render_pdf(figures, settings.warehouse_id))
        if send:
            daily_report.send(store, date.date(), settings.zone, actor=actor(by), now=now())
        return figures
    run_service(ctx, config, build)


@app.command("near-expiry")
def near_expiry(ctx: typer.Context,
                days: Annotated[int, typer.Option(help="days ahead")] = daily_report.NEAR_EXPIRY_DAYS,
                config: ConfigOption = None) -> None:
    """Lots on the shelf that expire within `days` (临期预警)."""
    run_service(ctx, config, lambda store, settings: daily_report.lots_near_expiry(
        store, now().astimezone(settings.zone).date(), days))


@app.command()
def discard(ctx: typer.Context, sku: Annotated[str, typer.Option(help="SKU id")],
            lot: Annotated[str, typer.Option(help="lot")], units: Annotated[int, typer.Option(help="units")],
            reason: Annotated[str, typer.Option(help="damage | spoilage | count_difference | expired")],
            note: Annotated[str, typer.Option(help="what happened")] = "", by: ByOption = None,
            config: ConfigOption = None) -> None:
    """Write units of a lot off the shelf into the loss ledger, with the reason."""
    run_service(ctx, config, lambda store, _: daily_report.record_loss(store, sku_id=sku, lot=lot, units=units,
                                                                reason=reason, note=note, actor=actor(by),
                                                                now=now()))
