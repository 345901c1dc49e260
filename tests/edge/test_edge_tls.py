"""The site CA and server certificate: made once, renewed before expiry, reissued when names change."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edge import tls
from edge.settings import Settings, load_settings

NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def _server(site: tls.SiteTls) -> x509.Certificate:
    return x509.load_pem_x509_certificates(site.cert_file.read_bytes())[0]


def _names(site: tls.SiteTls) -> set[str]:
    return {str(n.value) for n in tls.certificate_names(_server(site))}


def test_first_start_makes_a_ca_with_a_private_key_and_a_server_certificate_it_signed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tls_names=["edge.lan", "192.168.1.10"])
    site = tls.prepare(settings, NOW)
    assert stat.S_IMODE((tmp_path / "tls" / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(site.key_file.stat().st_mode) == 0o600
    server = _server(site)
    assert _names(site) == {"edge.lan", "192.168.1.10"}
    assert server.issuer == site.ca.subject
    server.verify_directly_issued_by(site.ca)
    assert site.ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert site.fingerprint.replace(":", "") == hashlib.sha256(site.ca_der).hexdigest().upper()


def test_a_later_start_keeps_ca_and_certificate_and_reissues_only_when_due(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tls_names=["edge.lan"])
    first = tls.prepare(settings, NOW)
    chain = first.cert_file.read_bytes()
    again = tls.prepare(settings, NOW + dt.timedelta(days=200))
    assert again.cert_file.read_bytes() == chain and again.fingerprint == first.fingerprint

    renewed = tls.prepare(settings, NOW + dt.timedelta(days=320))  # 45 days left: well before expiry
    assert renewed.cert_file.read_bytes() != chain and renewed.fingerprint == first.fingerprint
    assert _server(renewed).not_valid_after_utc > NOW + dt.timedelta(days=600)


def test_new_names_reissue_the_server_certificate_under_the_same_ca(tmp_path: Path) -> None:
    first = tls.prepare(Settings(data_dir=tmp_path, tls_names=["edge.lan"]), NOW)
    moved = tls.prepare(Settings(data_dir=tmp_path, tls_names=["edge.lan", "10.0.0.7"]), NOW)
    assert _names(moved) == {"edge.lan", "10.0.0.7"} and moved.fingerprint == first.fingerprint


def test_a_server_key_that_no_longer_matches_is_replaced(tmp_path: Path) -> None:
    site = tls.prepare(Settings(data_dir=tmp_path, tls_names=["edge.lan"]), NOW)
    other = ec.generate_private_key(ec.SECP256R1())
    site.key_file.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    again = tls.prepare(Settings(data_dir=tmp_path, tls_names=["edge.lan"]), NOW)
    key = serialization.load_pem_private_key(again.key_file.read_bytes(), None)
    assert key.public_key() == _server(again).public_key()


def test_default_names_are_the_host_its_mdns_name_its_lan_addresses_and_loopback(tmp_path: Path) -> None:
    assert tls.default_names("wh-edge", ["192.168.1.10", "fd00::2"]) == [
        "wh-edge", "wh-edge.local", "192.168.1.10", "fd00::2", "localhost", "127.0.0.1"]
    site = tls.prepare(Settings(data_dir=tmp_path), NOW)
    assert {socket.gethostname(), "localhost", "127.0.0.1", *tls.lan_addresses()} <= _names(site)


def test_a_name_that_is_no_host_name_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(tls.TlsError, match=r"tls_names: 'edge lan' is neither"):
        tls.prepare(Settings(data_dir=tmp_path, tls_names=["edge lan"]), NOW)


def test_a_host_name_no_certificate_can_carry_is_left_out_of_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "wh_edge")
    names = tls.site_names(Settings())
    assert "wh_edge" not in names and "wh_edge.local" not in names and "localhost" in names


def test_tls_names_from_the_environment_comma_separated_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAOLIN_TLS_NAMES", "edge.lan, 10.0.0.5")
    monkeypatch.setenv("HAOLIN_HTTPS_PORT", "9443")
    settings = Settings()
    assert (settings.tls_names, settings.https_port) == (["edge.lan", "10.0.0.5"], 9443)
    monkeypatch.setenv("HAOLIN_TLS_NAMES", '["edge.lan"]')
    assert Settings().tls_names == ["edge.lan"]


def test_tls_settings_from_the_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('https_port = 443\nhttp_port = 80\ntls_names = ["edge.lan", "10.0.0.5"]\n'
                      'tls_cert_file = "/etc/haolin-edge/edge.pem"\ntls_key_file = "/etc/haolin-edge/edge.key"\n')
    settings = load_settings(config)
    assert (settings.https_port, settings.http_port, settings.tls_names) == (443, 80, ["edge.lan", "10.0.0.5"])
    assert settings.tls_key_file == Path("/etc/haolin-edge/edge.key")


def _own_files(tmp_path: Path) -> tuple[Path, Path, x509.Certificate]:
    made = tls.prepare(Settings(data_dir=tmp_path / "issuer", tls_names=["shop.example"]), NOW)
    return made.cert_file, made.key_file, made.ca


def test_the_sites_own_certificate_is_served_and_its_chain_top_offered_for_enrolment(tmp_path: Path) -> None:
    cert, key, ca = _own_files(tmp_path)
    settings = Settings(data_dir=tmp_path / "node", tls_cert_file=cert, tls_key_file=key)
    site = tls.prepare(settings, NOW)
    assert (site.cert_file, site.key_file, site.ca) == (cert, key, ca)
    assert not (tmp_path / "node" / "tls").exists()
    assert tls.enrolment_ca(settings, NOW) == ca


def test_own_certificate_problems_name_the_file(tmp_path: Path) -> None:
    cert, key, _ = _own_files(tmp_path)
    missing = tmp_path / "missing.pem"
    with pytest.raises(tls.TlsError, match=rf"^TLS certificate {missing}: cannot read it \(No such file"):
        tls.prepare(Settings(data_dir=tmp_path, tls_cert_file=missing, tls_key_file=key), NOW)
    stranger = tmp_path / "stranger.key"
    stranger.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(tls.TlsError, match=rf"^TLS key {stranger}: does not belong to the certificate {cert}"):
        tls.prepare(Settings(data_dir=tmp_path, tls_cert_file=cert, tls_key_file=stranger), NOW)
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\xff not a certificate")
    with pytest.raises(tls.TlsError, match=rf"^TLS certificate {garbage}: not a PEM certificate"):
        tls.prepare(Settings(data_dir=tmp_path, tls_cert_file=garbage, tls_key_file=key), NOW)
    with pytest.raises(tls.TlsError, match=r"expired on 2027-"):
        tls.prepare(Settings(data_dir=tmp_path, tls_cert_file=cert, tls_key_file=key), NOW + dt.timedelta(days=800))


def test_certificate_and_key_go_together() -> None:
    with pytest.raises(ValueError, match="tls_cert_file and tls_key_file go together"):
        Settings(tls_cert_file=Path("/etc/ssl/edge.pem"))
