"""`haolin-edge tls issue`: a certificate from the site CA for another server on the warehouse LAN, which
a client trusting only that CA accepts by each of its names; the CA key stays where it was."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner, Result

from edge import tls
from edge.cli import app as cli
from edge.settings import Settings


def _issue(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "tls", "issue", *args])


def _chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


@contextmanager
def _tls_server(cert_file: Path, key_file: Path) -> Iterator[int]:
    """A loopback server that completes one TLS handshake per connection with these files."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                try:
                    with context.wrap_socket(connection, server_side=True) as secure:
                        secure.recv(1)
                except (ssl.SSLError, OSError):
                    pass  # the client refused the certificate

    thread = threading.Thread(target=serve, name="issued-tls-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(10)


def _handshake(port: int, ca_file: Path, server_hostname: str) -> x509.Certificate:
    """The certificate a client that trusts only `ca_file` accepted for `server_hostname`."""
    client = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            client.wrap_socket(raw, server_hostname=server_hostname) as secure:
        der = secure.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der)


def test_a_lan_server_gets_a_key_and_a_chain_from_the_site_ca(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "for-tiles"
    result = _issue(data, "tiles.lan", "10.0.0.7", "--out", str(out))
    assert result.exit_code == 0, result.output

    ca_file, ca_key_file = data / "tls" / "ca.crt", data / "tls" / "ca.key"  # made, as `tls show` makes it
    ca = _chain(ca_file)[0]
    leaf, top = _chain(out / "tiles.lan.crt")
    assert top == ca and leaf.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    assert tls.certificate_names(leaf) == {x509.DNSName("tiles.lan"), x509.IPAddress(ipaddress.ip_address("10.0.0.7"))}
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = serialization.load_pem_private_key((out / "tiles.lan.key").read_bytes(), None)
    assert key.public_key() == leaf.public_key()
    assert stat.S_IMODE((out / "tiles.lan.key").stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == ["tiles.lan.crt", "tiles.lan.key"]
    lifetime = leaf.not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert tls.SERVER_LIFETIME - dt.timedelta(hours=1) < lifetime <= tls.SERVER_LIFETIME

    assert result.output.splitlines() == [
        f"certificate       {out / 'tiles.lan.crt'} (the server's certificate, then the CA)",
        f"key               {out / 'tiles.lan.key'} (0600: for that server only)",
        "names             tiles.lan, 10.0.0.7",
        f"valid until       {leaf.not_valid_after_utc:%Y-%m-%d}",
        f"CA SHA-256        {tls.fingerprint(ca)}"]
    ca_key = ca_key_file.read_bytes().strip().splitlines()[1].decode()  # a line of the CA key's base64
    assert ca_key not in result.output
    assert all(ca_key not in p.read_text() for p in out.iterdir())

    with _tls_server(out / "tiles.lan.crt", out / "tiles.lan.key") as port:
        for name in ("tiles.lan", "10.0.0.7"):
            assert _handshake(port, ca_file, name) == leaf
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            _handshake(port, ca_file, "edge.lan")


def test_the_node_keeps_its_ca_and_the_issued_certificate_is_under_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", tls_names=["edge.lan"])
    site = tls.prepare(settings, dt.datetime.now(dt.UTC))
    served = site.cert_file.read_bytes()
    assert _issue(settings.data_dir, "Tiles.LAN.", "--out", str(tmp_path / "out"), "--days", "30").exit_code == 0
    leaf, top = _chain(tmp_path / "out" / "tiles.lan.crt")
    assert top == site.ca and tls.certificate_names(leaf) == {x509.DNSName("tiles.lan")}
    assert dt.timedelta(days=29) < leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    assert site.cert_file.read_bytes() == served and tls.prepare(settings, dt.datetime.now(dt.UTC)) == site


def test_existing_files_are_replaced_only_with_force(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    assert _issue(data, "tiles.lan", "--out", str(out)).exit_code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}

    refused = _issue(data, "tiles.lan", "10.0.0.7", "--out", str(out))
    assert refused.exit_code == 2
    assert refused.output == f"haolin-edge: --out {out / 'tiles.lan.crt'}: already there; --force replaces it\n"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first

    (out / "tiles.lan.crt").unlink()  # half a pair is refused too: its key would be lost
    assert _issue(data, "tiles.lan", "--out", str(out)).exit_code == 2
    assert (out / "tiles.lan.key").read_bytes() == first["tiles.lan.key"]

    (out / "tiles.lan.key").chmod(0o644)
    assert _issue(data, "tiles.lan", "10.0.0.7", "--out", str(out), "--force").exit_code == 0
    assert (out / "tiles.lan.key").read_bytes() != first["tiles.lan.key"]
    assert stat.S_IMODE((out / "tiles.lan.key").stat().st_mode) == 0o600
    assert len(tls.certificate_names(_chain(out / "tiles.lan.crt")[0])) == 2


@pytest.mark.parametrize("name", ["tiles lan", "", "*.tiles.lan", "瓦片.lan", "tiles_1.lan", "tiles-.lan"])
def test_a_name_no_certificate_can_hold_is_refused_naming_the_argument(tmp_path: Path, name: str) -> None:
    result = _issue(tmp_path / "data", "tiles.lan", name, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output == f"haolin-edge: NAME: {name!r} is neither a host name nor an IP address\n"
    assert not (tmp_path / "out").exists() and not (tmp_path / "data" / "tls").exists()


def test_the_nodes_own_tls_directory_is_refused_even_with_force(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", tls_names=["edge.lan"])
    tls.prepare(settings, dt.datetime.now(dt.UTC))
    before = {p.name: p.read_bytes() for p in (settings.data_dir / "tls").iterdir()}
    result = _issue(settings.data_dir, "server", "--out", str(settings.data_dir / "tls"), "--force")
    assert result.exit_code == 2 and "the node's own TLS directory" in result.output
    assert {p.name: p.read_bytes() for p in (settings.data_dir / "tls").iterdir()} == before


def test_a_site_with_its_own_certificate_is_told_to_use_its_own_ca(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", tls_cert_file=tmp_path / "own.crt",
                        tls_key_file=tmp_path / "own.key")
    with pytest.raises(tls.TlsError, match=r"^tls_cert_file: devices trust the CA of the site's own certificate"):
        tls.issue(settings, ["tiles.lan"], tmp_path / "out", dt.datetime.now(dt.UTC))
    assert not (tmp_path / "data").exists()


def test_an_output_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    result = _issue(tmp_path / "data", "tiles.lan", "--out", str(tmp_path / "file" / "out"))
    assert result.exit_code == 2 and result.output.startswith(f"haolin-edge: {tmp_path / 'file' / 'out'}: ")
