"""`haolin-edge hq serve`: run the reference HQ beside the edge (the demo and the fault tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from hq_sync.reference_hq.app import create_app
from hq_sync.reference_hq.coldchain.consumer import BrokerLink, UplinkConsumer
from hq_sync.reference_hq.coldchain.dashboard import mount_coldchain
from hq_sync.reference_hq.coldchain.db import ColdChainDb

app = typer.Typer(help="The reference HQ: HQ's side of the sync protocol.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """The reference HQ: HQ's side of the sync protocol, beside the edge for the demo and the tests."""


def parse_edges(values: list[str]) -> dict[str, str]:
    """`edge-id=secret` pairs -> {edge id: secret}, refusing malformed ones by position."""
    edges = {}
    for i, value in enumerate(values):
        edge_id, sep, secret = value.partition("=")
        if not sep or not edge_id or len(secret) < 8:
            raise typer.BadParameter(f"--edge #{i + 1} must be EDGE_ID=SECRET with a secret of 8+ characters")
        edges[edge_id] = secret
    return edges


@app.command()
def serve(
    db: Annotated[Path, typer.Option(help="HQ's SQLite file", envvar="HAOLIN_HQ_DB")] = Path("data/hq.sqlite3"),
    host: Annotated[str, typer.Option(envvar="HAOLIN_HQ_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="HAOLIN_HQ_PORT")] = 8090,
    edge: Annotated[
        list[str] | None, typer.Option(help="EDGE_ID=SECRET, repeatable", envvar="HAOLIN_HQ_EDGES")
    ] = None,
    admin_token: Annotated[str, typer.Option(envvar="HAOLIN_HQ_ADMIN_TOKEN")] = "change-me-hq-admin",
    tls_cert: Annotated[Path | None, typer.Option(help="serve HTTPS with this certificate")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="private key of --tls-cert")] = None,
    clock_skew: Annotated[float, typer.Option(help="shift HQ's clock by seconds (tests)")] = 0.0,
    allow_faults: Annotated[bool, typer.Option(help="let /admin/faults inject failures (tests)")] = False,
    mqtt_host: Annotated[str | None, typer.Option(
        help="broker carrying the edges' cold-chain uplink (none: no dashboard feed)", envvar="HAOLIN_HQ_MQTT_HOST",
    )] = None,
    mqtt_port: Annotated[int, typer.Option(envvar="HAOLIN_HQ_MQTT_PORT")] = 1883,
) -> None:
    """Serve HQ's API (and, with --mqtt-host, the cold-chain dashboard fed by the edges' uplink) until interrupted."""
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    db.parent.mkdir(parents=True, exist_ok=True)
    edges = parse_edges(edge or ["edge-wh-sh-01=change-me-edge-secret"])
    api = create_app(db, edges, admin_token, clock_skew=clock_skew, allow_faults=allow_faults)
    coldchain = ColdChainDb(db.with_name(f"{db.stem}-coldchain.sqlite3"))
    mount_coldchain(api, coldchain, admin_token)
    consumer = UplinkConsumer(coldchain, BrokerLink(mqtt_host, mqtt_port)) if mqtt_host else None
    if consumer is not None:
        consumer.start()
    try:
        uvicorn.run(
            api, host=host, port=port, log_level="warning",
            ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None,
        )
    finally:
        if consumer is not None:
            consumer.stop()


if __name__ == "__main__":
    app()
