"""The site's TLS: a CA of its own that PDAs install once, and a server certificate it signs.

PDAs on the warehouse Wi-Fi reach the node by a LAN name, where browsers allow service workers
and the offline queue only over trusted HTTPS. A public CA cannot certify `edge.lan` or
`192.168.1.10`, so at first start the node makes a site CA (its key 0600 in the data dir) and
signs a server certificate for `tls_names`; the server certificate is renewed well before it
expires and reissued when the names change (a new DHCP address), while the CA, and so every
PDA's trust in it, stays. A site with its own certificate names it in `tls_cert_file`/`tls_key_file`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from edge.settings import Settings

CA_LIFETIME = dt.timedelta(days=20 * 365)
SERVER_LIFETIME = dt.timedelta(days=365)
#: A server certificate with less than this left is replaced at the next start or daily check.
RENEW_BEFORE = dt.timedelta(days=60)
#: PDAs whose clocks run a little behind still accept a fresh certificate.
BACKDATE = dt.timedelta(days=1)
_SIGNING_KEYS = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class TlsError(RuntimeError):
    """The node cannot serve HTTPS; the message is one line naming what and where."""


@dataclass(frozen=True)
class SiteTls:
    """What the HTTPS server loads and what the enrolment page offers devices to trust."""

    cert_file: Path
    key_file: Path
    ca: x509.Certificate
    names: tuple[str, ...]

    @property
    def ca_pem(self) -> bytes:
        return self.ca.public_bytes(serialization.Encoding.PEM)

    @property
    def ca_der(self) -> bytes:
        return self.ca.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.ca)


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER bytes as Android's certificate details show it: AB:CD:..."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def default_names(hostname: str, addresses: list[str]) -> list[str]:
    """The host name, `<host>.local` (mDNS), the LAN addresses, and loopback."""
    host = hostname.split(".")[0]
    names = [hostname, f"{host}.local", *addresses, "localhost", "127.0.0.1"]
    return list(dict.fromkeys(n for n in names if n))


def lan_addresses() -> list[str]:
    """Addresses of this machine a PDA can reach: every interface's, without loopback and link-local."""
    found = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            address = ipaddress.ip_address(entry.address.split("%")[0])
            if not (address.is_loopback or address.is_link_local):
                found.append(str(address))
    return found


def site_names(settings: Settings) -> list[str]:
    """`tls_names`, or this machine's names as they are now (leaving out a host name no certificate can
    carry, such as one with an underscore, rather than refusing to start over a name nobody chose)."""
    if settings.tls_names:
        return list(settings.tls_names)
    return [n for n in default_names(socket.gethostname(), lan_addresses()) if _certifiable(n)]


def _certifiable(name: str) -> bool:
    try:
        general_name(name)
    except TlsError:
        return False
    return True


def general_name(name: str, source: str = "tls_names") -> x509.GeneralName:
    """An IP address or a DNS name for the certificate; anything else is refused naming `source`."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        pass
    labels = name.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise TlsError(f"{source}: {name!r} is neither a host name nor an IP address")
    return x509.DNSName(name.rstrip(".").lower())


def certificate_names(certificate: x509.Certificate) -> set[x509.GeneralName]:
    try:
        return set(certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return set()


def reissue_reason(server: x509.Certificate, server_key: CertificateIssuerPrivateKeyTypes,
                   ca: x509.Certificate, names: list[str], now: dt.datetime) -> str | None:
    """Why the server certificate must be made again, or None while it still serves."""
    if server_key.public_key() != server.public_key():
        return "its key does not match"
    if server.issuer != ca.subject:
        return "it was not issued by the site CA"
    if now < server.not_valid_before_utc:
        return "it is not valid yet (the clock went back)"
    if server.not_valid_after_utc - now < RENEW_BEFORE:
        return f"it expires on {server.not_valid_after_utc:%Y-%m-%d}"
    if certificate_names(server) != {general_name(n) for n in names}:
        return "the names changed"
    return None


def new_ca(warehouse_id: str, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Haolin Edge"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Haolin Edge {warehouse_id} site CA")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    return certificate, key


def new_server_certificate(ca: x509.Certificate, ca_key: CertificateIssuerPrivateKeyTypes, names: list[str],
                           now: dt.datetime, lifetime: dt.timedelta = SERVER_LIFETIME,
                           ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if not names:
        raise TlsError("tls_names: no name for the server certificate")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(min(now + lifetime, ca.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)  # type: ignore[arg-type]
        .sign(ca_key, hashes.SHA256()))
    return certificate, key


@dataclass(frozen=True)
class SiteCaFiles:
    """Where the node keeps its own CA and server certificate (`<data_dir>/tls/`)."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TlsError(f"{what} {path}: cannot read it ({error.strerror or error})") from None


def _write(path: Path, data: bytes, mode: int) -> None:
    """Whole or not at all: a crash never leaves half a key where the node would load it."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_issued(cert_file: Path, key_file: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                  ca: x509.Certificate) -> None:
    """The key (0600) first, then the chain a server sends: its certificate, then the CA."""
    _write(key_file, _pem_key(key), 0o600)
    _write(cert_file, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, ca)), 0o644)


def _load_key(path: Path, what: str) -> CertificateIssuerPrivateKeyTypes:
    try:
        key = serialization.load_pem_private_key(_read(path, what), password=None)
    except (ValueError, TypeError) as error:
        raise TlsError(f"{what} {path}: not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, _SIGNING_KEYS):
        raise TlsError(f"{what} {path}: a {type(key).__name__} cannot sign")
    return key


def _load_certificates(path: Path, what: str) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(_read(path, what))
    except ValueError as error:
        raise TlsError(f"{what} {path}: not a PEM certificate ({error})") from None
    return chain


def site_ca(settings: Settings, now: dt.datetime) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """The node's CA, made at first use (key 0600); the same one ever after."""
    files = SiteCaFiles(settings.data_dir / "tls")
    if not files.ca_cert.exists():
        files.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        certificate, key = new_ca(settings.warehouse_id, now)
        _write(files.ca_key, _pem_key(key), 0o600)
        _write(files.ca_cert, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    files.ca_key.chmod(0o600)
    return _load_certificates(files.ca_cert, "site CA certificate")[0], _load_key(files.ca_key, "site CA key")


def own_certificate(settings: Settings, now: dt.datetime) -> SiteTls:
    """The site's own certificate and key, checked before serving; devices are offered its chain's top."""
    assert settings.tls_cert_file is not None and settings.tls_key_file is not None
    chain = _load_certificates(settings.tls_cert_file, "TLS certificate")
    key = _load_key(settings.tls_key_file, "TLS key")
    if key.public_key() != chain[0].public_key():
        raise TlsError(f"TLS key {settings.tls_key_file}: does not belong to the certificate {settings.tls_cert_file}")
    if chain[0].not_valid_after_utc < now:
        raise TlsError(f"TLS certificate {settings.tls_cert_file}: expired on {chain[0].not_valid_after_utc:%Y-%m-%d}")
    names = tuple(str(n.value) for n in certificate_names(chain[0]))
    return SiteTls(settings.tls_cert_file, settings.tls_key_file, chain[-1], names)


def prepare(settings: Settings, now: dt.datetime) -> SiteTls:
    """The certificate the node serves now: the site's own, or one from the site CA, (re)issued if needed."""
    if settings.tls_cert_file is not None:
        return own_certificate(settings, now)
    ca, ca_key = site_ca(settings, now)
    files = SiteCaFiles(settings.data_dir / "tls")
    names = site_names(settings)
    for name in names:
        general_name(name)
    current = None
    if files.server_cert.exists() and files.server_key.exists():
        server = _load_certificates(files.server_cert, "server certificate")[0]
        key = _load_key(files.server_key, "server key")
        current = server if reissue_reason(server, key, ca, names, now) is None else None
    if current is None:
        _write_issued(files.server_cert, files.server_key, *new_server_certificate(ca, ca_key, names, now), ca)
    return SiteTls(files.server_cert, files.server_key, ca, tuple(names))


def enrolment_ca(settings: Settings, now: dt.datetime) -> x509.Certificate:
    """The certificate devices install: the site CA, or the top of the site's own chain."""
    if settings.tls_cert_file is not None:
        return _load_certificates(settings.tls_cert_file, "TLS certificate")[-1]
    return site_ca(settings, now)[0]


@dataclass(frozen=True)
class Issued:
    """A certificate from the site CA for another server on the LAN, written for its operator to copy."""

    cert_file: Path
    key_file: Path
    certificate: x509.Certificate
    ca: x509.Certificate
    names: tuple[str, ...]


def issue(settings: Settings, names: list[str], directory: Path, now: dt.datetime,
          lifetime: dt.timedelta = SERVER_LIFETIME, force: bool = False) -> Issued:
    """A new key and a certificate from the site CA for another LAN server (a map-tile server), which every
    enrolled PDA then trusts: `<directory>/<first name>.crt` (leaf, then the CA) and `.key` (0600). The CA
    key is only read; the node's own directory is refused, so nothing there is ever replaced."""
    if settings.tls_cert_file is not None:
        raise TlsError(f"tls_cert_file: devices trust the CA of the site's own certificate {settings.tls_cert_file},"
                       " not a site CA: have that CA sign the other server's certificate")
    if not names:
        raise TlsError("NAME: no name for the certificate")
    given = list(dict.fromkeys(str(general_name(name, "NAME").value) for name in names))
    cert_file, key_file = directory / f"{given[0]}.crt", directory / f"{given[0]}.key"
    try:
        if directory.resolve() == (settings.data_dir / "tls").resolve():
            raise TlsError(f"--out {directory}: the node's own TLS directory; write the other server's files elsewhere")
        present = [path for path in (cert_file, key_file) if path.exists()]
        if present and not force:
            raise TlsError(f"--out {present[0]}: already there; --force replaces it")
        ca, ca_key = site_ca(settings, now)
        certificate, key = new_server_certificate(ca, ca_key, given, now, lifetime)
        directory.mkdir(parents=True, exist_ok=True)
        _write_issued(cert_file, key_file, certificate, key, ca)
    except OSError as error:
        raise TlsError(f"{error.filename or directory}: {error.strerror or error}") from None
    return Issued(cert_file, key_file, certificate, ca, tuple(given))
