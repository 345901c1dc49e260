"""Barcode scanner output: suffix framing, AIM symbology identifiers, GS1 element strings.

GS1 content is parsed with biip and then held to a stricter standard than biip's: a bad GTIN
or SSCC check digit, an impossible date, or a GS1 symbology (]C1, ]d2, ]Q3 ...) whose payload
is not a GS1 message is a DecodeError, never a half-filled reading. Without an AIM identifier
the payload is read as GS1 only when it plainly is (a separator, a leading AI 00/01/02, or a
GS1 Digital Link), so a plain internal code such as "10ABC" is not mistaken for a lot number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import biip
from biip.symbology import GS1Symbology

from drivers.codecs.base import Item, text_bytes
from drivers.codecs.framing import Framer
from drivers.errors import DecodeError, ProfileError
from drivers.readings import ScanReading

_GTIN_SYMBOLOGIES = {GS1Symbology.EAN_13, GS1Symbology.EAN_13_WITH_ADD_ON, GS1Symbology.EAN_8,
                     GS1Symbology.ITF_14}
_GS1_SYMBOLOGIES = {GS1Symbology.GS1_128, GS1Symbology.GS1_DATAMATRIX, GS1Symbology.GS1_QR_CODE,
                    GS1Symbology.GS1_DATABAR, GS1Symbology.GS1_DOTCODE,
                    GS1Symbology.GS1_COMPOSITE_WITH_SEPARATOR_CHAR,
                    GS1Symbology.GS1_COMPOSITE_WITH_ESCAPE_CHAR}


@dataclass(frozen=True)
class ScannerSpec:
    encoding: str
    end: tuple[bytes, ...]
    max_frame: int
    prefix: str
    aim_required: bool
    separators: tuple[str, ...]
    trigger_start: bytes | None = None  # host -> scanner command that starts a read
    trigger_stop: bytes | None = None

    @classmethod
    def compile(cls, kind: str, codec: Mapping[str, Any]) -> ScannerSpec:
        if kind != "scanner":
            raise ProfileError("", "family", f"the scanner codec yields scans, not {kind} readings")
        framing = codec.get("framing", {})
        if "start" in framing:
            raise ProfileError("", "framing.start", "scanner prefixes go in 'prefix', not framing.start")
        ends = framing.get("end", ["\r\n", "\r", "\n"])
        ends = [ends] if isinstance(ends, str) else ends
        encoding = codec.get("encoding", "utf-8")
        trigger = codec.get("trigger", {})
        try:
            "".encode(encoding)
        except LookupError:
            raise ProfileError("", "encoding", f"unknown encoding {encoding!r}") from None
        return cls(
            encoding=encoding,
            end=tuple(text_bytes(e, "framing.end") for e in ends),
            max_frame=framing.get("max_frame", 4096),
            prefix=codec.get("prefix", ""),
            aim_required=codec.get("aim", "optional") == "required",
            separators=tuple(codec.get("gs1_separators", ["\x1d"])),
            trigger_start=text_bytes(trigger["start"], "trigger.start") if "start" in trigger else None,
            trigger_stop=text_bytes(trigger["stop"], "trigger.stop") if "stop" in trigger else None,
        )

    def decoder(self) -> ScannerDecoder:
        return ScannerDecoder(self)

    def decode(self, text: str) -> ScanReading:
        """One scan (suffix already removed) to a reading; raises DecodeError."""
        raw = text
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix):]
        return decode_scan(text, self.separators, self.aim_required, raw=raw)


def _has_aim(text: str) -> bool:
    return len(text) >= 3 and text[0] == "]" and text[1].isalpha() and text[2].isalnum()


def _grams(ai: str, value: str) -> int:
    kg = Decimal(value).scaleb(-int(ai[3]))
    return int((kg * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def decode_scan(text: str, separators: tuple[str, ...] = ("\x1d",), aim_required: bool = False,
                raw: str | None = None) -> ScanReading:
    """Decode one scanned payload (with its AIM id, if any, and without the suffix)."""
    raw = text if raw is None else raw
    has_aim = _has_aim(text)
    if aim_required and not has_aim:
        raise DecodeError("no AIM symbology identifier (profile requires one)", raw.encode("utf-8", "replace"))
    data = text[3:] if has_aim else text
    if not data:
        raise DecodeError("empty scan", raw.encode("utf-8", "replace"))
    try:
        result = biip.parse(text, config=biip.ParseConfig(separator_chars=list(separators)))
    except Exception as exc:  # biip is third-party: any failure on odd input is a decode failure
        raise DecodeError(f"barcode parser failed: {exc}", raw.encode("utf-8", "replace")) from None
    sid = result.symbology_identifier
    gs1_symbology = sid.gs1_symbology if sid is not None else None
    name = (gs1_symbology or sid.iso_symbology).name if sid is not None else None
    raw_bytes = raw.encode("utf-8", "replace")

    def fail(reason: str) -> DecodeError:
        return DecodeError(reason, raw_bytes)

    elements = []
    if result.gs1_message is not None:
        looks_gs1 = (gs1_symbology in _GS1_SYMBOLOGIES or any(s in data for s in separators)
                     or data[:2] in ("00", "01", "02"))
        if looks_gs1:
            elements = list(result.gs1_message.element_strings)
    elif result.gs1_digital_link_uri is not None:
        elements = list(result.gs1_digital_link_uri.element_strings)
    if gs1_symbology in _GS1_SYMBOLOGIES and not elements:
        raise fail(f"{sid} says GS1 but the data is not a GS1 message: "
                   f"{result.gs1_message_error or 'no element strings'}")
    if elements:
        ais: dict[str, str] = {}
        for e in elements:
            if e.gtin_error:
                raise fail(f"AI ({e.ai.ai}): {e.gtin_error}")
            if e.sscc_error:
                raise fail(f"AI ({e.ai.ai}): {e.sscc_error}")
            if e.ai.ai in ais:
                raise fail(f"AI ({e.ai.ai}) appears twice")
            ais[e.ai.ai] = e.value
        by_ai = {e.ai.ai: e for e in elements}
        weight_ai = next((ai for ai in ais if ai.startswith("310") and len(ai) == 4), None)
        gtin = by_ai["01"].gtin.as_gtin_14() if "01" in by_ai and by_ai["01"].gtin else None
        return ScanReading(
            raw=raw, data=data, symbology_id=str(sid) if sid else None, symbology=name, gs1=True,
            gtin=gtin, lot=ais.get("10"),
            expiry=by_ai["17"].date if "17" in by_ai else None,
            best_before=by_ai["15"].date if "15" in by_ai else None,
            net_weight_g=_grams(weight_ai, ais[weight_ai]) if weight_ai else None,
            sscc=ais.get("00"), serial=ais.get("21"), ais=ais,
        )
    if gs1_symbology in _GTIN_SYMBOLOGIES:
        if result.gtin is None:
            raise fail(f"{sid}: {result.gtin_error or 'not a GTIN'}")
        return ScanReading(raw=raw, data=data, symbology_id=str(sid), symbology=name,
                           gtin=result.gtin.as_gtin_14())
    gtin = result.gtin.as_gtin_14() if result.gtin is not None and not has_aim else None
    return ScanReading(raw=raw, data=data, symbology_id=str(sid) if sid else None, symbology=name,
                       gtin=gtin)


class ScannerDecoder:
    def __init__(self, spec: ScannerSpec) -> None:
        self.spec = spec
        self.framer = Framer(spec.end, None, spec.max_frame)

    def feed(self, data: bytes) -> list[Item]:
        return [self._frame(f) if isinstance(f, bytes) else f for f in self.framer.feed(data)]

    def finish(self) -> list[Item]:
        return list(self.framer.finish())

    def _frame(self, frame: bytes) -> Item:
        try:
            text = frame.decode(self.spec.encoding)
        except UnicodeDecodeError as exc:
            return DecodeError(f"not {self.spec.encoding} text at byte {exc.start}", frame)
        try:
            return self.spec.decode(text)
        except DecodeError as exc:
            return DecodeError(exc.reason, frame, exc.field)
