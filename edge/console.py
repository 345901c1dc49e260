"""What the console's command groups share: run one service call over the node's store, print its
answer as JSON, and turn a refusal into one line on stderr and exit 2; who acts, and when."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from edge.cli_context import settings_for
from edge.services.floor.errors import FloorError
from edge.settings import Settings
from edge.store import Store

EXIT_REFUSED = 2

ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]
DateOption = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="delivery date")]
ByOption = Annotated[str | None, typer.Option("--by", help="who does it (default: the shell's user)")]


def run_service(ctx: typer.Context, config: Path | None, call: Callable[[Store, Settings], Any]) -> None:
    settings = settings_for(ctx, config)
    store = Store(settings.database_path)
    try:
        result = call(store, settings)
        if result is not None:
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    except FloorError as error:
        typer.echo(f"refused ({error.code}): {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        store.close()


def actor(by: str | None) -> str:
    """`person:<code>` when the console names who does it (`--by`), else the shell's user."""
    return f"person:{by}" if by else f"console:{getpass.getuser()}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
