"""`haolin-edge coldchain ...`: the daily report, open alarms and their acknowledgement, the assets,
and `replay` of recorded readings through the alarm engine to try thresholds.

For the supervisor at the node's console (or over SSH) when the pages are out of reach. Each
command calls the service the API calls; an acknowledgement names the person with `--by`
(default: the shell's user) and goes into the alarm's audit log like one from the page.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from edge.cli_context import settings_for
from edge.domain.problems import InputRejected
from edge.services import alarms, coldchain_replay, coldchain_report, telemetry
from edge.services.coldchain_assets import load_spec_file
from edge.store import Store

app = typer.Typer(help="Cold chain: daily record, alarms, acknowledgement, replay, assets.", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]
EXIT_REFUSED = 2


class ReportFormat(StrEnum):
    pdf = "pdf"
    png = "png"
    csv = "csv"
    json = "json"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _store(ctx: typer.Context, config: Path | None) -> Iterator[Store]:
    store = Store(settings_for(ctx, config).database_path)
    try:
        yield store
    finally:
        store.close()


def _refuse(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(EXIT_REFUSED)


@app.command()
def report(
    ctx: typer.Context,
    date: Annotated[str, typer.Option("--date", help="local calendar day, YYYY-MM-DD")],
    format: Annotated[ReportFormat, typer.Option("--format", help="pdf, png, csv or json")] = ReportFormat.pdf,
    out: Annotated[Path | None, typer.Option("--out", help="file to write (json: stdout when left out)")] = None,
    config: ConfigOption = None,
) -> None:
    """The warehouse's daily cold-chain record (GB 31605): per asset recording interval, min, max, mean, MKT,
    each excursion, each alarm with its acknowledgement and corrective action."""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise typer.BadParameter(f"{date!r} is not YYYY-MM-DD", param_hint="--date") from None
    if out is None and format != ReportFormat.json:
        raise typer.BadParameter(f"a {format.value} report needs a file", param_hint="--out")
    settings = settings_for(ctx, config)
    with _store(ctx, config) as store:
        built = coldchain_report.build_daily_report(store, day, warehouse_id=settings.warehouse_id,
                                                    zone=settings.zone, now=_now())
    if format == ReportFormat.json:
        text = json.dumps(built.as_json(), ensure_ascii=False, indent=2, default=str)
        if out is None:
            typer.echo(text)
            return
        out.write_text(text + "\n", encoding="utf-8")
    else:
        assert out is not None
        kinds: dict[ReportFormat, Literal["png", "pdf", "csv"]] = {
            ReportFormat.png: "png", ReportFormat.pdf: "pdf", ReportFormat.csv: "csv"}
        out.write_bytes(coldchain_report.render(built, kinds[format]))
    typer.echo(f"wrote {out} ({len(built.rows)} assets, {day})", err=True)


@app.command("alarms")
def list_alarms(
    ctx: typer.Context,
    include_closed: Annotated[bool, typer.Option("--all", help="cleared and acknowledged ones too")] = False,
    asset: Annotated[str | None, typer.Option("--asset", help="one asset only")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
    config: ConfigOption = None,
) -> None:
    """Open alarms (active, or not yet acknowledged), newest first, as JSON."""
    with _store(ctx, config) as store:
        _print(alarms.list_alarms(store, open_only=not include_closed, asset_id=asset, limit=limit))


@app.command()
def ack(
    ctx: typer.Context,
    alarm_id: Annotated[int, typer.Argument(help="the alarm's id (see `coldchain alarms`)")],
    reason: Annotated[str, typer.Option("--reason", help="what was seen and done")],
    by: Annotated[str | None, typer.Option("--by", help="who acknowledges (default: your user name)")] = None,
    config: ConfigOption = None,
) -> None:
    """Acknowledge an alarm with a reason; recorded in its audit log (and sent to HQ) with who and when."""
    who = f"cli:{by or getpass.getuser()}"
    with _store(ctx, config) as store:
        try:
            _print(alarms.acknowledge(store, alarm_id, actor=who, reason=reason, now=_now()))
        except alarms.AlarmNotFound as error:
            raise _refuse(str(error)) from None
        except alarms.AlarmAlreadyAcknowledged as error:
            raise _refuse(str(error)) from None
        except InputRejected as error:
            raise _refuse("; ".join(f"{p.path}: {p.message}" for p in error.problems)) from None


@app.command()
def replay(
    assets_file: Annotated[Path, typer.Option("--config", help="cold-chain configuration (YAML/TOML)")],
    readings: Annotated[Path, typer.Option("--readings", help="CSV: sensor_id,event_time,temperature_c[,door_open]")],
) -> None:
    """Replay readings through the alarm engine with the file's assets (defaults for the rest): one JSON
    line per alarm transition, {asset_id, sensor_id, kind, severity, transition, at}. Touches no store."""
    try:
        spec = load_spec_file(assets_file)
        loaded = coldchain_replay.read_readings(readings)
        transitions = coldchain_replay.replay(spec, loaded.readings)
    except InputRejected as error:
        raise _refuse(str(error)) from None
    for problem in loaded.refused:
        typer.echo(f"{readings}: {problem.path}: {problem.message} (skipped, as ingest does)", err=True)
    for transition in transitions:
        typer.echo(json.dumps(transition, ensure_ascii=False))


@app.command()
def assets(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Cold rooms, freezers and truck compartments: band, alarm timings, each sensor's newest reading."""
    with _store(ctx, config) as store:
        _print(telemetry.asset_overview(store))


if __name__ == "__main__":
    app()
