"""Settings for a command group that can run alone (`python -m edge.sync_cli`) or under `haolin-edge`."""

from __future__ import annotations

from pathlib import Path

import typer

from edge.settings import Settings, load_settings


def settings_for(ctx: typer.Context, config: Path | None) -> Settings:
    """The group's own `--config`, else what `haolin-edge --config/--data-dir` resolved, else the defaults."""
    if config is not None:
        return load_settings(config)
    root = ctx.find_root().obj
    return root if isinstance(root, Settings) else load_settings()
