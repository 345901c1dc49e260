"""`haolin-edge tls show`: the site CA devices must trust, the server certificate, the addresses;
`tls issue`: a certificate from that CA for another server on the warehouse LAN (a map-tile server).

`show` is run by `./haolin install` (which makes the CA at install time, so the enrolment address is
known before the node first starts) and by whoever checks a PDA's fingerprint at the console.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from edge import runtime, tls
from edge.cli_context import settings_for

app = typer.Typer(help="HTTPS: the site CA, the server certificate, enrolment.", no_args_is_help=True)
EXIT_REFUSED = 2


@app.command("show")
def show(ctx: typer.Context,
         config: Annotated[Path | None, typer.Option("--config", help="settings TOML file")] = None) -> None:
    """Make the site CA and server certificate if due, and print what devices must trust and where."""
    settings = settings_for(ctx, config)
    try:
        site = tls.prepare(settings, dt.datetime.now(dt.UTC))
    except tls.TlsError as error:
        typer.echo(f"haolin-edge: {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    server = x509.load_pem_x509_certificates(site.cert_file.read_bytes())[0]
    typer.echo(f"CA                {site.ca.subject.rfc4514_string()}")
    typer.echo(f"CA SHA-256        {site.fingerprint}")
    typer.echo(f"server cert       {site.cert_file} (until {server.not_valid_after_utc:%Y-%m-%d})")
    typer.echo(f"names             {', '.join(site.names)}")
    for secure, enrolment in runtime.addresses(settings, site):
        typer.echo(f"enrolment page    {enrolment}    then {secure}/")


@app.command("issue")
def issue(ctx: typer.Context,
          names: Annotated[list[str], typer.Argument(metavar="NAME", show_default=False,
                                                     help="DNS names and IP addresses the server is reached by")],
          out: Annotated[Path, typer.Option("--out", help="directory for NAME.crt and NAME.key")],
          days: Annotated[int, typer.Option("--days", min=1, max=tls.CA_LIFETIME.days,
                                            help="days it is valid (not past the CA)")] = tls.SERVER_LIFETIME.days,
          force: Annotated[bool, typer.Option("--force", help="replace NAME.crt and NAME.key")] = False,
          config: Annotated[Path | None, typer.Option("--config", help="settings TOML file")] = None) -> None:
    """Make a key and a certificate from the site CA for another server on the LAN, which enrolled
    devices then trust; the first NAME names the files."""
    settings = settings_for(ctx, config)
    try:
        issued = tls.issue(settings, names, out, dt.datetime.now(dt.UTC), dt.timedelta(days=days), force)
    except tls.TlsError as error:
        typer.echo(f"haolin-edge: {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    typer.echo(f"certificate       {issued.cert_file} (the server's certificate, then the CA)")
    typer.echo(f"key               {issued.key_file} (0600: for that server only)")
    typer.echo(f"names             {', '.join(issued.names)}")
    typer.echo(f"valid until       {issued.certificate.not_valid_after_utc:%Y-%m-%d}")
    typer.echo(f"CA SHA-256        {tls.fingerprint(issued.ca)}")
