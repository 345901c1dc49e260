"""`haolin-edge`: the node's command line. Each command parses, calls one service, and prints."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from drivers import cli as drivers_cli
from drivers.runtime_cli import sim_app
from edge import coldchain_cli, purchasing_cli, receiving_cli, site_cli, sync_cli, tls_cli, uplink_cli
from edge.domain.auth import Role
from edge.domain.problems import InputRejected
from edge.services import aggregation, auth, intake
from edge.services.device_status import load_statuses
from edge.settings import Settings, load_settings
from edge.store import Store
from hq_sync.protocol import OrderBatch
from hq_sync.reference_hq import cli as hq_cli
from routing import cli as routing_cli

if TYPE_CHECKING:
    from edge.runtime import Listeners
    from edge.tls import SiteTls

app = typer.Typer(help="Haolin Edge: the warehouse-and-fulfillment edge node.", no_args_is_help=True)
orders_app = typer.Typer(help="Order intake.", no_args_is_help=True)
aggregate_app = typer.Typer(help="Purchase lists, pick lists and sort plans for a delivery date.",
                            no_args_is_help=True)
people_app = typer.Typer(help="People and machines that may sign in.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
app.add_typer(aggregate_app, name="aggregate")
app.add_typer(people_app, name="people")
app.add_typer(drivers_cli.app, name="devices")
app.add_typer(sim_app, name="sim")
app.add_typer(routing_cli.app, name="route")
app.add_typer(sync_cli.app, name="sync")
app.add_typer(hq_cli.app, name="hq")
app.add_typer(uplink_cli.app, name="uplink")
app.add_typer(coldchain_cli.app, name="coldchain")
app.add_typer(purchasing_cli.app, name="purchase")
app.add_typer(receiving_cli.app, name="receiving")
app.add_typer(tls_cli.app, name="tls")
app.add_typer(site_cli.app, name="site")

EXIT_REFUSED = 2


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(help="settings TOML file (else $HAOLIN_CONFIG or defaults)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="data directory (overrides settings)")] = None,
) -> None:
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = load_settings(config, **overrides)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _store(ctx: typer.Context) -> Store:
    return Store(_settings(ctx).database_path)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _refused(error: InputRejected) -> None:
    """Print every problem with its path on stderr and exit 2: nothing of the input was written."""
    typer.echo(str(error).split(":")[0], err=True)
    for problem in error.problems:
        typer.echo(f"  {problem.path}: {problem.message}", err=True)
    raise typer.Exit(EXIT_REFUSED)


def _prepare_serving(settings: Settings) -> tuple[SiteTls, Listeners]:
    """Certificate and both ports, or one line on stderr and exit 2 before anything is stored."""
    from edge.runtime import StartupRefused, prepare

    try:
        return prepare(settings)
    except StartupRefused as error:
        typer.echo(f"haolin-edge: {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None


@app.command()
def serve(ctx: typer.Context) -> None:
    """Serve the API and pages over HTTPS on https_port, and CA enrolment on http_port."""
    from edge.api.app import create_app
    from edge.api.enrolment import create_plain_http_app
    from edge.runtime import serve as run

    settings = _settings(ctx)
    site_cli.site_or_exit(settings)
    certificate, listeners = _prepare_serving(settings)
    run(create_app(settings), create_plain_http_app(settings), settings, certificate, listeners)


@app.command()
def demo(ctx: typer.Context, serve_http: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
         fail: Annotated[list[str] | None, typer.Option(
             "--fail", help="cold asset whose cooling dies two minutes in (e.g. FZ-1), to show an alarm")] = None,
         ) -> None:
    """Load the "summer fruit night" demo (safe to repeat), start its neighbours and serve the node.

    The neighbours run in their own processes: simulated devices with their broker, the reference
    HQ (seeded with the same stores, SKUs and orders) and the sync agent between HQ and the node.
    """
    from edge.demo import demo_site_file, load_demo
    from edge.demo_purchasing import start_day_from_purchase_orders

    settings = _settings(ctx)
    if settings.site_file is None:
        settings = settings.model_copy(update={"site_file": demo_site_file()})
    site_cli.site_or_exit(settings)
    serving = _prepare_serving(settings) if serve_http else None
    store = _store(ctx)
    loaded = load_demo(store, settings, _now())
    credentials_file = settings.data_dir / "demo-credentials.json"
    if "hq_token" in loaded.credentials:
        credentials_file.write_text(json.dumps(loaded.credentials, indent=2))
        credentials_file.chmod(0o600)
    typer.echo(f"demo data for delivery date {loaded.delivery_date} in {settings.database_path}")
    if loaded.intake:
        typer.echo(f"orders: {loaded.intake.as_dict()}")
    morning = start_day_from_purchase_orders(store, loaded.delivery_date, _now())
    if morning is not None:
        typer.echo(f"purchase orders: {morning.purchase_orders}; {morning.short_sku or 'no SKU'} confirmed short,"
                   f" {morning.allocation['lines_short']} order lines cut; lot {morning.rejected_lot} rejected at QC")
    if serving is None:
        return
    from edge.api.app import create_app
    from edge.api.enrolment import create_plain_http_app
    from edge.demo_stack import HQ_ADMIN_TOKEN, run_demo_stack
    from edge.runtime import addresses
    from edge.runtime import serve as run

    certificate, listeners = serving
    with run_demo_stack(settings, store, fail or ()) as stack:
        node = stack.settings
        served = addresses(node, certificate)
        base, enrolment = served[0]
        wifi_hint = "" if len(served) > 1 else "\nPDAs on the Wi-Fi: HAOLIN_HTTP_HOST=0.0.0.0 (and HAOLIN_TLS_NAMES)"
        typer.echo(f"""
Haolin Edge demo is running over HTTPS at {", ".join(secure for secure, _ in served)}
Install the site CA on each device first (SHA-256 {certificate.fingerprint}):
  enrolment page      {enrolment}
Then open:
  start page          {base}/
  picker (PDA)        {base}/floor/pick        sign in P01 / 2468
  sort station        {base}/floor/sort        sign in T01 / 2468
  loading, handoff    {base}/floor/load        sign in D01 / 2468
  supervisor          {base}/floor/supervisor  sign in SUP01 / 1357
  live Brix           {base}/brix              sign in O0001 / 2468
  HQ cold chain       {stack.hq_url}/coldchain-sign-in?token={HQ_ADMIN_TOKEN}
All sign-in codes and PINs: {credentials_file}; logs of the neighbours: {settings.data_dir / 'logs'}{wifi_hint}
""")
        run(create_app(node, store), create_plain_http_app(node), node, certificate, listeners)


@orders_app.command("import")
def import_orders(ctx: typer.Context, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import an order batch (JSON); a bad batch is refused whole with every problem listed (exit 2)."""
    settings = _settings(ctx)
    try:
        batch = intake.parse_batch(file.read_bytes())
        result = intake.ingest_batch(_store(ctx), batch, warehouse_id=settings.warehouse_id,
                                     source=f"file:{file.name}", actor="cli", now=_now(), zone=settings.zone)
    except InputRejected as error:
        _refused(error)
    _print_json(result.as_dict())


@orders_app.command("schema")
def order_batch_schema() -> None:
    """Print the JSON schema of an order batch (docs/schemas/order_batch.schema.json is this output)."""
    _print_json(OrderBatch.model_json_schema())


DateOption = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="delivery date")]


@aggregate_app.command("purchase")
def aggregate_purchase(ctx: typer.Context, date: DateOption,
                       format: Annotated[str, typer.Option(help="json or csv")] = "json") -> None:
    """Purchase list per supplier: SKU totals, whole cases, and the stores behind them."""
    lists = aggregation.purchase(_store(ctx), date.date())
    if format == "csv":
        sys.stdout.write(aggregation.purchase_as_csv(lists))
    elif format == "json":
        _print_json(aggregation.purchase_as_json(lists, date.date()))
    else:
        raise typer.BadParameter("json or csv", param_hint="--format")


@aggregate_app.command("picking")
def aggregate_picking(ctx: typer.Context, date: DateOption) -> None:
    """Pick-by-SKU list (lots first-expiry-first, shortfalls) and the sort-to-store plan."""
    plan, sorting = aggregation.picking(_store(ctx), date.date())
    _print_json(aggregation.picking_as_json(plan, sorting, date.date()))


@people_app.command("add")
def add_person(ctx: typer.Context, person_id: str, code: str, name: str,
               role: Annotated[Role, typer.Option()], store_id: str | None = None,
               pin: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "") -> None:
    """Add a person who signs in with a personal code and a PIN of 6 to 8 digits."""
    with _people_refusals():
        auth.add_person(_store(ctx), person_id=person_id, code=code, name=name, role=role, pin=pin, now=_now(),
                        store_id=store_id)
    typer.echo(f"added {role.value} {person_id}")


@contextmanager
def _people_refusals() -> Iterator[None]:
    """A short PIN or an unknown person: one line saying which, and exit 2."""
    try:
        yield
    except (ValueError, LookupError) as error:
        typer.echo(f"refused: {str(error).strip(chr(39))}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None


@people_app.command("set-pin")
def set_pin(ctx: typer.Context, person_id: str,
            pin: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "") -> None:
    """Give a person a new PIN (6 to 8 digits): their sessions end and a lock is lifted."""
    with _people_refusals():
        ended = auth.change_pin(_store(ctx), person_id, pin, actor="system:cli", now=_now())
    typer.echo(f"new PIN for {person_id}; {ended} session(s) ended")


@people_app.command("sign-out")
def sign_out_person(ctx: typer.Context, person_id: str) -> None:
    """End every session of a person, on every device (a lost PDA, someone leaving)."""
    with _people_refusals():
        ended = auth.revoke_sessions(_store(ctx), person_id, actor="system:cli", now=_now())
    typer.echo(f"{person_id}: {ended} session(s) ended")


@people_app.command("rotate-token")
def rotate_token(ctx: typer.Context, machine_id: str) -> None:
    """Revoke a machine's token and print its new one (shown this once)."""
    with _people_refusals():
        typer.echo(auth.rotate_machine_token(_store(ctx), machine_id, actor="system:cli", now=_now()))


@people_app.command("sessions")
def sessions(ctx: typer.Context) -> None:
    """People with their open sessions and last use (no secrets)."""
    _print_json(auth.open_sessions(_store(ctx), _now()))


@people_app.command("add-machine")
def add_machine(ctx: typer.Context, machine_id: str, name: str,
                kind: Annotated[Role, typer.Option(help="hq or device")] = Role.DEVICE) -> None:
    """Register HQ or a device; prints its token once (it is stored only as a hash)."""
    token = auth.add_machine(_store(ctx), machine_id=machine_id, kind=kind, name=name, now=_now())
    typer.echo(token)


@drivers_cli.app.command("list")
def list_devices(ctx: typer.Context) -> None:
    """Configured devices with live status and counters, as the running node last saw them."""
    statuses = load_statuses(_store(ctx), _now())
    if not statuses:
        typer.echo("no device status yet: is the node running with a site_config?", err=True)
    for row in statuses:
        state = f"{row['state']} (stale: the node is not running)" if row["stale"] else row["state"]
        reason = f" — {row['reason']}" if row["reason"] else ""
        typer.echo(f"{row['device_id']:<16} {row['kind']:<14} {row['profile'] or '-':<26} {state}{reason}"
                   f"  frames={row['frames']} errors={row['errors']} reconnects={row['reconnects']}"
                   f"  {row['link']}")


@app.command("migrate")
def migrate_db(ctx: typer.Context) -> None:
    """Create or upgrade the database schema."""
    store = _store(ctx)
    typer.echo(json.dumps(store.query("SELECT * FROM schema_migrations ORDER BY version")))


if __name__ == "__main__":
    app()
