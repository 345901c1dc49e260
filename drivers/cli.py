"""`haolin-edge devices …`: command-line shell over the drivers library.

`decode` runs a captured trace through the very decoder a driver uses for that profile.
Readings go to stdout as JSON lines, rejected frames to stderr (JSON with the reason), and no
input bytes can make it fail: exit status 0 means the input was read to its end. `label` writes
the bytes a printer profile would get for a label, so a new printer model is tried from its
profile alone.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from drivers.codecs.base import Decoder, Item
from drivers.codecs.mqtt import MqttLineDecoder, MqttMapping
from drivers.devices.labels import Label, preview_png, render
from drivers.errors import DecodeError, ProfileError
from drivers.profiles import list_profiles, load_profile

app = typer.Typer(help="Field devices: decode traces and print test labels with firmware profiles.",
                  no_args_is_help=True)

_HEX_TOKEN = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")


def hex_line(line: bytes) -> bytes:
    """Bytes written as hex in a text line; comments (#) and non-hex words are skipped."""
    text = line.split(b"#", 1)[0].decode("ascii", "replace")
    return bytes.fromhex("".join(t for t in text.split() if _HEX_TOKEN.match(t)))


def run_decode(
    decoder: Decoder, source: BinaryIO, out: TextIO, err: TextIO, hex_input: bool = False
) -> tuple[int, int]:
    """Feed `source` to `decoder`; returns (readings, errors) written."""
    counts = [0, 0]

    def emit(items: list[Item]) -> None:
        for item in items:
            if isinstance(item, DecodeError):
                counts[1] += 1
                err.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
            else:
                counts[0] += 1
                out.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
        out.flush()

    if hex_input:
        for line in source:
            emit(decoder.feed(hex_line(line)))
    else:
        read = getattr(source, "read1", source.read)
        while chunk := read(65536):
            emit(decoder.feed(chunk))
    emit(decoder.finish())
    return counts[0], counts[1]


@app.command()
def decode(
    profile: str = typer.Option(..., "--profile", "-p", help="profile name or YAML path"),
    hex_input: bool = typer.Option(False, "--hex", help="stdin is hex text (e.g. '01 04 02 01 31 79 74')"),
    profile_dir: list[Path] = typer.Option([], "--profile-dir", help="extra profile directory (searched first)"),
    tz: str = typer.Option("", "--tz", help="zone for device times without offset (e.g. Asia/Shanghai)"),
) -> None:
    """Decode a raw trace on stdin: one JSON reading per frame on stdout, rejects on stderr.

    Serial/TCP profiles read the bytes as captured; MQTT profiles read one message per line
    (`topic<TAB>payload`, a bare payload, or `topic: <topic>` lines before payloads).
    """
    try:
        prof = load_profile(profile, profile_dir)
    except ProfileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    decoder: Decoder = prof.make_decoder()
    if isinstance(prof.spec, MqttMapping) and tz:
        try:
            decoder = MqttLineDecoder(prof.spec, ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):
            typer.echo(f"error: unknown time zone {tz!r}", err=True)
            raise typer.Exit(2) from None
    run_decode(decoder, sys.stdin.buffer, sys.stdout, sys.stderr, hex_input)


@app.command("profiles")
def profiles_cmd(
    profile_dir: list[Path] = typer.Option([], "--profile-dir", help="extra profile directory (searched first)"),
) -> None:
    """List the firmware profiles on the search path (name, kind, vendor, model, confidence)."""
    for name in list_profiles(profile_dir):
        try:
            p = load_profile(name, profile_dir)
        except ProfileError as exc:
            typer.echo(json.dumps({"name": name, "error": str(exc)}, ensure_ascii=False))
            continue
        typer.echo(json.dumps({"name": p.name, "kind": p.kind, "family": p.family, "vendor": p.vendor,
                               "model": p.model, "confidence": p.confidence}, ensure_ascii=False))


@app.command("label")
def label_cmd(
    profile: str = typer.Option(..., "--profile", "-p", help="printer profile name or YAML path"),
    line: list[str] = typer.Option([], "--line", help="a line of text, repeat for more; the first is the title"),
    sscc: str = typer.Option(..., "--sscc", help="18-digit SSCC, printed as GS1-128 (00)"),
    qr: str = typer.Option("", "--qr", help="text of the QR code"),
    preview: Path | None = typer.Option(None, "--preview", help="also write the label as a PNG here"),
    profile_dir: list[Path] = typer.Option([], "--profile-dir", help="extra profile directory (searched first)"),
) -> None:
    """Write the printer's bytes for one label to stdout (e.g. `> /dev/usb/lp0` or `| nc printer 9100`).

    Text the printer's font cannot print, a wrong SSCC check digit or content too big for the
    stock is refused (exit 2) before anything is written.
    """
    try:
        prof = load_profile(profile, profile_dir)
        spec = prof.printer_spec()
    except ProfileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        content = Label(lines=tuple(line), sscc=sscc, qr=qr or None)
        data = render(content, spec.label, prof.family, prof.name)
        image = preview_png(content, spec.label) if preview is not None else b""
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if preview is not None:
        preview.write_bytes(image)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
