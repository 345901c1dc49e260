"""`haolin-edge site ...`: check a site file before it goes live, and show what the node runs on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from edge.cli_context import settings_for
from edge.settings import Settings
from edge.site import SiteFileError, load_site_file
from edge.site.document import SiteDocument
from edge.site.node import node_site
from edge.site.summary import node_summary, site_facts
from edge.store import Store

app = typer.Typer(help="The site file: the warehouse's own facts (docs/site.md).", no_args_is_help=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]
EXIT_REFUSED = 2


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _refused(error: SiteFileError) -> None:
    typer.echo(f"{error.file}: {len(error.problems)} problem(s)", err=True)
    for problem in error.problems:
        typer.echo(f"  {problem.path}: {problem.message}", err=True)
    raise typer.Exit(EXIT_REFUSED)


def site_or_exit(settings: Settings) -> None:
    """Before the node starts: a bad site file stops it with one line naming file and field (exit 2)."""
    try:
        node_site(settings)
    except SiteFileError as error:
        typer.echo(error.one_line(), err=True)
        raise typer.Exit(EXIT_REFUSED) from None


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="the site file (YAML)")]) -> None:
    """Validate a site file and the files it names; exit 2 with every problem and its path."""
    try:
        site = load_site_file(file)
    except SiteFileError as error:
        _refused(error)
    _print_json(site_facts(site))


@app.command("schema")
def schema() -> None:
    """Print the site file's JSON Schema (docs/schemas/site.schema.json is this output)."""
    _print_json(SiteDocument.model_json_schema())


@app.command("show")
def show(ctx: typer.Context, config: ConfigOption = None) -> None:
    """What the node runs on: the site's facts, where devices and cold assets come from, the fleet."""
    settings = settings_for(ctx, config)
    try:
        site = node_site(settings)
    except SiteFileError as error:
        _refused(error)
    store = Store(settings.database_path)
    try:
        _print_json(node_summary(settings, site, store))
    finally:
        store.close()


if __name__ == "__main__":
    app()
