"""What a scanned code is: a location, a sort station, a put wall slot, an item (GTIN/GS1), a crate
(SSCC) or junk.

Scanners and keyboard wedges send whatever the barcode holds; the floor never trusts a page to
say what it scanned. GS1 parsing and its strict check digits are the drivers' scanner codec; a
GS1 code typed by hand as printed under the bars (`(01)…(10)…`) reads the same as the bars.
The pages judge scans with their own copy of these rules (static/gs1.js, pick-rules.js); the
table-driven parity test (tests/floor_api/test_scan_parity.py) holds the two to one answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from biip.gs1_messages import GS1Message

from drivers.codecs.scanner import decode_scan
from drivers.errors import DecodeError
from edge.domain.digits import ascii_digits

Kind = Literal["location", "station", "slot", "item", "sscc", "unknown"]
#: Why a scan is unknown, as a message key suffix (`floor.reason.<code>`): never a sentence.
Reason = Literal["", "empty", "too_long", "bad_gs1", "not_a_code"]

LOCATION = re.compile(r"^[A-Z]\d{2}-\d{2}-\d$")
STATION = re.compile(r"^SORT-\d{1,3}$")
SLOT = re.compile(r"^SLOT-(\d{1,3})$")  # a put wall slot and its number (services/floor/put_wall.py)
HRI = re.compile(r"(?:\(\d{2,4}\)[^()]+)+")
MAX_CODE = 512


@dataclass(frozen=True)
class Scanned:
    kind: Kind
    text: str
    gtin: str | None = None
    lot: str | None = None
    net_weight_g: int | None = None
    sscc: str | None = None
    count: int | None = None  # trade items in the case (GS1 AI 37)
    reason: Reason = ""
    detail: str = ""  # the decoder's own words, for the scan log


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10: weights 3,1,3,... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_sscc(text: str) -> bool:
    return len(text) == 18 and ascii_digits(text) and gs1_check_digit(text[:17]) == int(text[17])


def make_sscc(extension_digit: int, company_prefix: str, serial: int) -> str:
    """SSCC-18: extension digit, GS1 company prefix, serial reference, check digit."""
    if not 0 <= extension_digit <= 9 or not ascii_digits(company_prefix) or not 6 <= len(company_prefix) <= 12:
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
        return Scanned("unknown", text[:64], reason="empty" if not text else "too_long")
    upper = text.upper()
    if LOCATION.match(upper):
        return Scanned("location", upper)
    if STATION.match(upper):
        return Scanned("station", upper)
    if SLOT.match(upper):
        return Scanned("slot", upper)
    if is_sscc(text):
        return Scanned("sscc", text, sscc=text)
    if len(text) in (8, 12, 13, 14) and ascii_digits(text):
        if gs1_check_digit(text[:-1]) != int(text[-1]):
            return Scanned("unknown", text, reason="bad_gs1", detail="GTIN check digit is wrong")
        return Scanned("item", text, gtin=text.zfill(14))  # a plain EAN/UPC/GTIN: the PDA's usual scan
    gs1 = text.startswith(("(", "]C1", "]d2", "]Q3", "]e0", "]J1", "00", "01", "02")) or "\x1d" in text
    if ascii_digits(text) and not gs1:
        return Scanned("unknown", text, reason="not_a_code")
    try:
        reading = decode_scan(_element_string(text) if text.startswith("(") else text)
    except DecodeError as error:
        return Scanned("unknown", text, reason="bad_gs1", detail=error.reason)
    if reading.sscc is not None:
        return Scanned("sscc", text, sscc=reading.sscc)
    gtin = reading.gtin or reading.ais.get("02")  # AI 02: the GTIN of the items inside a case
    if gtin is not None:
        count = reading.ais.get("37")
        if count is not None and (not ascii_digits(count) or int(count) == 0):
            return Scanned("unknown", text, reason="bad_gs1", detail=f"AI (37) count {count!r}")
        return Scanned("item", text, gtin=gtin.zfill(14), lot=reading.lot, net_weight_g=reading.net_weight_g,
                       count=int(count) if count is not None else None)
    return Scanned("unknown", text, reason="bad_gs1" if gs1 else "not_a_code")


def _element_string(hri: str) -> str:
    """`(01)…(10)…` as typed off the label, to the element string the bars hold (raises DecodeError)."""
    hri = "".join(hri.split())  # typed by hand: spaces between the parts mean nothing
    if not HRI.fullmatch(hri):
        raise DecodeError("bracketed GS1 text needs (AI)value parts, each with a value", hri.encode("utf-8"))
    try:
        return "]C1" + GS1Message.parse_hri(hri).value
    except Exception as exc:  # biip is third-party: any failure on odd input is a decode failure
        raise DecodeError(f"not GS1 text: {exc}", hri.encode("utf-8", "replace")) from None
