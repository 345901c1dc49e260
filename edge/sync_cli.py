"""`haolin-edge sync ...`: run the HQ sync agent and look at what it is doing.

Wires the library (`hq_sync`) to this node: the store's port, the settings' HQ address and
credentials. Each command calls one function the tests call too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from edge.cli_context import settings_for
from edge.domain.problems import InputRejected
from edge.services import sync_dead_letters
from edge.services.hq_port import StorePort, list_exceptions, sync_status
from edge.settings import Settings
from edge.store import Store
from hq_sync.agent import AgentConfig, SyncAgent
from hq_sync.client import HqClient

app = typer.Typer(help="Sync with HQ: orders down, fulfillment facts up.", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings TOML file")]


def build_agent(settings: Settings, config: AgentConfig, *, timeout: float = 10.0) -> tuple[SyncAgent, Store]:
    """The agent for this node: its store's port and a client signed with this edge's secret."""
    store = Store(settings.database_path)
    client = HqClient(
        settings.hq_url, settings.hq_edge_id, settings.hq_secret.get_secret_value(), timeout=timeout
    )
    return SyncAgent(StorePort(store), client, config), store


def reconcile_dates(settings: Settings) -> list[dt.date]:
    """Today and tomorrow in the site's zone: the nights still being picked or delivered."""
    today = dt.datetime.now(dt.UTC).astimezone(settings.zone).date()
    return [today, today + dt.timedelta(days=1)]


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class _Notifier:
    """sd_notify READY/WATCHDOG/STOPPING when systemd asked for it (NOTIFY_SOCKET set)."""

    def __init__(self) -> None:
        self._notifier = None
        if os.environ.get("NOTIFY_SOCKET"):
            import sdnotify

            self._notifier = sdnotify.SystemdNotifier()

    def __call__(self, state: str) -> None:
        if self._notifier is not None:
            self._notifier.notify(state)


@app.command()
def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option(help="stop when a cycle finds nothing to push or pull")] = False,
    poll_interval: Annotated[float, typer.Option(min=0.01)] = 5.0,
    max_backoff: Annotated[float, typer.Option(min=0.01)] = 60.0,
    timeout: Annotated[float, typer.Option(min=0.1, help="seconds to wait for HQ per request")] = 10.0,
    page_size: Annotated[int, typer.Option(min=1, max=5000)] = 200,
    push_batch: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    reconcile_interval: Annotated[float, typer.Option(min=1.0)] = 600.0,
    reconcile: Annotated[bool, typer.Option(help="reconcile today and tomorrow periodically")] = True,
) -> None:
    """Run the agent until SIGTERM/SIGINT (systemd: Type=notify with a watchdog)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings_for(ctx, config)
    agent_config = AgentConfig(
        page_size=page_size, push_batch=push_batch, poll_interval=poll_interval,
        reconcile_interval=reconcile_interval, backoff_cap=max_backoff,
    )
    agent, store = build_agent(settings, agent_config, timeout=timeout)
    notify = _Notifier()

    def _stop(signum: int, frame: FrameType | None) -> None:
        notify("STOPPING=1")
        agent.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    notify("READY=1")
    try:
        agent.run(
            reconcile_dates=(lambda: reconcile_dates(settings)) if reconcile else (lambda: []),
            on_cycle=lambda: notify("WATCHDOG=1"),
            until_idle=once,
        )
    finally:
        agent.client.close()
        store.close()


@app.command()
def status(ctx: typer.Context, config: ConfigOption = None) -> None:
    """The link each way, from what is known: lag, oldest unsent event, dead letters, last success and error, skew."""
    store = Store(settings_for(ctx, config).database_path)
    _print(sync_status(store, dt.datetime.now(dt.UTC)))


@app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    date: Annotated[str, typer.Option("--date", help="delivery date, YYYY-MM-DD")],
    config: ConfigOption = None,
) -> None:
    """Compare digests with HQ for one delivery date now, repair, and report exceptions to HQ."""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise typer.BadParameter(f"--date {date!r} is not YYYY-MM-DD") from None
    agent, store = build_agent(settings_for(ctx, config), AgentConfig())
    try:
        report = agent.reconcile(day)
        agent.push()
    finally:
        agent.client.close()
        store.close()
    _print(report.as_dict())


@app.command()
def exceptions(
    ctx: typer.Context,
    config: ConfigOption = None,
    include_resolved: Annotated[bool, typer.Option("--all", help="resolved ones too")] = False,
) -> None:
    """What neither HQ's nor the edge's rule settles: a supervisor decides."""
    store = Store(settings_for(ctx, config).database_path)
    _print(list_exceptions(store, include_resolved=include_resolved))


dead_letter_app = typer.Typer(help="Events HQ refused, set aside while the rest flows.", no_args_is_help=True)
app.add_typer(dead_letter_app, name="dead-letter")

ByOption = Annotated[str, typer.Option("--by", help="the supervisor's person id (audited)")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why (audited, told to HQ on discard)")]


def _supervisor(store: Store, person_id: str) -> str:
    """The actor for a supervisor's decision: a known, active supervisor, else a clear refusal."""
    role = store.scalar("SELECT role FROM people WHERE person_id = ? AND active", (person_id,))
    if role != "supervisor":
        raise typer.BadParameter(f"{person_id!r} is not an active supervisor here", param_hint="--by")
    return f"person:{person_id}"


@dead_letter_app.command("list")
def dead_letter_list(
    ctx: typer.Context,
    config: ConfigOption = None,
    include_resolved: Annotated[bool, typer.Option("--all", help="settled ones too")] = False,
) -> None:
    """Refused events with HQ's reason, newest first."""
    store = Store(settings_for(ctx, config).database_path)
    _print(sync_dead_letters.list_dead_letters(store, include_resolved=include_resolved))


@dead_letter_app.command("retry")
def dead_letter_retry(ctx: typer.Context, dead_id: int, by: ByOption, reason: ReasonOption,
                      config: ConfigOption = None) -> None:
    """Send a refused event again (after HQ or its data was fixed)."""
    _settle(ctx, config, sync_dead_letters.retry, dead_id, by, reason)


@dead_letter_app.command("discard")
def dead_letter_discard(ctx: typer.Context, dead_id: int, by: ByOption, reason: ReasonOption,
                        config: ConfigOption = None) -> None:
    """Give a refused event up for good; HQ is told what it will not receive."""
    _settle(ctx, config, sync_dead_letters.discard, dead_id, by, reason)


def _settle(ctx: typer.Context, config: Path | None, action: Callable[..., dict[str, Any]], dead_id: int, by: str,
            reason: str) -> None:
    store = Store(settings_for(ctx, config).database_path)
    try:
        _print(action(store, dead_id, actor=_supervisor(store, by), reason=reason, now=dt.datetime.now(dt.UTC)))
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="DEAD_ID") from None
    except InputRejected as error:
        raise typer.BadParameter(str(error), param_hint="--reason") from None


if __name__ == "__main__":
    app()
