"""What a scanned code is: a location, a sort station, an item (GTIN/GS1), a crate (SSCC) or junk.

Scanners and keyboard wedges send whatever the barcode holds; the floor never trusts a page to
say what it scanned. GS1 parsing and its strict check digits are the drivers' scanner codec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from drivers.codecs.scanner import decode_scan
from drivers.errors import DecodeError

Kind = Literal["location", "station", "item", "sscc", "unknown"]

LOCATION = re.compile(r"^[A-Z]\d{2}-\d{2}-\d$")
STATION = re.compile(r"^SORT-\d{1,3}$")
MAX_CODE = 512


@dataclass(frozen=True)
class Scanned:
    kind: Kind
    text: str
    gtin: str | None = None
    lot: str | None = None
    net_weight_g: int | None = None
    sscc: str | None = None
    reason: str = ""


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10: weights 3,1,3,... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_sscc(text: str) -> bool:
    return len(text) == 18 and text.isdigit() and gs1_check_digit(text[:17]) == int(text[17])


def make_sscc(extension_digit: int, company_prefix: str, serial: int) -> str:
    """SSCC-18: extension digit, GS1 company prefix, serial reference, check digit."""
    if not 0 <= extension_digit <= 9 or not company_prefix.isdigit() or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"bad SSCC parts: extension {extension_digit}, prefix {company_prefix!r}")
    width = 16 - len(company_prefix)
    if not 0 <= serial < 10 ** width:
        raise ValueError(f"serial {serial} does not fit {width} digits after prefix {company_prefix}")
    body = f"{extension_digit}{company_prefix}{serial:0{width}d}"
    return body + str(gs1_check_digit(body))


def classify(raw: str) -> Scanned:
    """Read one scan; never raises: anything unreadable is `unknown` with the reason."""
    text = raw.strip("\r\n\t ")
    if not text or len(text) > MAX_CODE:
        return Scanned("unknown", text[:64], reason="empty scan" if not text else "scan too long")
    upper = text.upper()
    if LOCATION.match(upper):
        return Scanned("location", upper)
    if STATION.match(upper):
        return Scanned("station", upper)
    if is_sscc(text):
        return Scanned("sscc", text, sscc=text)
    if len(text) in (8, 12, 13, 14) and text.isdigit() and gs1_check_digit(text[:-1]) == int(text[-1]):
        return Scanned("item", text, gtin=text.zfill(14))  # a plain EAN/UPC/GTIN: the PDA's usual scan
    try:
        reading = decode_scan(text)
    except DecodeError as error:
        return Scanned("unknown", text, reason=error.reason)
    if reading.sscc is not None:
        return Scanned("sscc", text, sscc=reading.sscc)
    if reading.gtin is not None:
        return Scanned("item", text, gtin=reading.gtin, lot=reading.lot, net_weight_g=reading.net_weight_g)
    return Scanned("unknown", text, reason="not a location, item or crate code")
