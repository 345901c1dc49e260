"""Printer status replies: ESC/POS real-time status (DLE EOT 1-4), ZPL `~HS`, TSPL `<ESC>!?`.

These are decoded here rather than trusted to python-escpos, whose 3.1 release reports "paper
adequate" when the printer says nothing and accepts invalid bytes. Silence is never a status:
`no_reply_status` says "unknown" for ESC/POS and "not ready" for ZPL, whose newer firmware goes
quiet exactly when the head is open or the media is out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.codecs.base import Item
from drivers.codecs.framing import Framer
from drivers.devices.labels.stock import LabelStock
from drivers.errors import DecodeError, ProfileError
from drivers.readings import PrinterStatus

DLE_EOT = b"\x10\x04"
TSPL_STATUS = b"\x1b!?"
ZPL_HOST_STATUS = b"~HS"


def dle_eot_request(n: int) -> bytes:
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT n must be 1..4, not {n}")
    return DLE_EOT + bytes([n])


def decode_dle_eot(n: int, byte: int) -> PrinterStatus:
    """One DLE EOT reply byte; a byte that is not 0xx1xx10 is rejected, not guessed at."""
    if n not in (1, 2, 3, 4):
        raise DecodeError(f"DLE EOT n must be 1..4, not {n}")
    if not 0 <= byte <= 0xFF or byte & 0b1001_0011 != 0b0001_0010:
        raise DecodeError(f"DLE EOT {n} reply 0x{byte:02X} does not match 0xx1xx10", bytes([byte & 0xFF]))

    def bit(i: int) -> bool:
        return bool(byte >> i & 1)

    if n == 1:
        return PrinterStatus(online=not bit(3), detail=("drawer pin 3 high",) if bit(2) else ())
    if n == 2:
        detail = tuple(name for i, name in ((3, "paper fed by FEED button"),) if bit(i))
        return PrinterStatus(cover_open=bit(2), paper_out=bit(5) or None, error=bit(6), detail=detail)
    if n == 3:
        names = ((2, "mechanical error"), (3, "autocutter error"), (5, "unrecoverable error"),
                 (6, "auto-recoverable error (e.g. head overheat)"))
        detail = tuple(name for i, name in names if bit(i))
        return PrinterStatus(error=bool(detail), detail=detail)
    return PrinterStatus(paper_near_end=bool(byte & 0x0C), paper_out=bool(byte & 0x60))


def decode_tspl_status(byte: int) -> PrinterStatus:
    """TSPL `<ESC>!?` reply: bit0 head open, 1 jam, 2 paper out, 3 ribbon out, 4 pause,
    5 printing, 6 cover open, 7 temperature out of range."""
    if not 0 <= byte <= 0xFF:
        raise DecodeError(f"status {byte} is not a byte")

    def bit(i: int) -> bool:
        return bool(byte >> i & 1)

    detail = tuple(name for i, name in ((1, "paper jam"), (5, "printing"), (7, "temperature out of range"))
                   if bit(i))
    return PrinterStatus(online=True, head_up=bit(0), paper_out=bit(2), ribbon_out=bit(3), paused=bit(4),
                         cover_open=bit(6), error=bit(1) or bit(7), detail=detail)


def _zpl_fields(text: str, count: int, line: int) -> list[str]:
    fields = text.split(",")
    if len(fields) != count or not all(f.strip().isdigit() for f in fields):
        raise DecodeError(f"~HS string {line} needs {count} numeric fields, got {text[:60]!r}")
    return fields


def decode_host_status(reply: bytes) -> PrinterStatus:
    """The three `<STX>…<ETX>` strings a Zebra sends for `~HS`, as one status."""
    items = ZplStatusDecoder().feed(reply) + ZplStatusDecoder().finish()
    found = [i for i in items if isinstance(i, PrinterStatus)]
    errors = [i for i in items if isinstance(i, DecodeError)]
    if errors:
        raise errors[0]
    if len(found) != 1:
        raise DecodeError(f"expected one ~HS reply, found {len(found)}", reply[:64])
    return found[0]


def _zpl_status(s1: list[str], s2: list[str]) -> PrinterStatus:
    flag = {"paper_out": s1[1], "paused": s1[2], "buffer_full": s1[5], "corrupt_ram": s1[9],
            "under_temp": s1[10], "over_temp": s1[11], "head_up": s2[2], "ribbon_out": s2[3]}
    on = {k: v.strip() == "1" for k, v in flag.items()}
    detail = tuple(k.replace("_", " ") for k in ("buffer_full", "corrupt_ram", "under_temp", "over_temp")
                   if on[k])
    return PrinterStatus(online=True, paper_out=on["paper_out"], paused=on["paused"], head_up=on["head_up"],
                         ribbon_out=on["ribbon_out"],
                         error=on["corrupt_ram"] or on["under_temp"] or on["over_temp"], detail=detail)


def no_reply_status(family: str) -> PrinterStatus:
    """What silence means: ESC/POS says nothing; a ZPL printer goes quiet when it cannot print."""
    if family == "zpl":
        return PrinterStatus(online=False, detail=("no ~HS reply: head open, media or ribbon out, or off",))
    return PrinterStatus(detail=("no status reply",))


class RequestReplyDecoder:
    """Captured host/printer traffic: a status request, then the printer's one-byte reply.

    Bytes that pair with no request (print data, or replies captured without their requests,
    which cannot be interpreted) are gathered and reported once, as one DecodeError.
    """

    def __init__(self, requests: Mapping[bytes, Callable[[int], PrinterStatus]]) -> None:
        self.requests = dict(requests)
        self._longest = max(len(r) for r in requests)
        self._buf = bytearray()
        self._pending: Callable[[int], PrinterStatus] | None = None
        self._unpaired = bytearray()

    def _report_unpaired(self, out: list[Item]) -> None:
        if self._unpaired:
            out.append(DecodeError(f"{len(self._unpaired)} bytes outside any status request/reply",
                                   bytes(self._unpaired)))
            self._unpaired.clear()

    def feed(self, data: bytes) -> list[Item]:
        self._buf += data
        out: list[Item] = []
        while self._buf:
            matched = next((r for r in self.requests if self._buf.startswith(r)), None)
            if matched is not None:
                self._report_unpaired(out)
                self._pending = self.requests[matched]
                del self._buf[: len(matched)]
                continue
            if any(r.startswith(bytes(self._buf)) for r in self.requests):
                break  # could be the start of a request split across chunks
            byte = self._buf.pop(0)
            if self._pending is not None:
                decode, self._pending = self._pending, None
                try:
                    out.append(decode(byte))
                except DecodeError as exc:
                    out.append(exc)
            else:
                self._unpaired.append(byte)
                if len(self._unpaired) >= 256:
                    self._report_unpaired(out)
        return out

    def finish(self) -> list[Item]:
        out: list[Item] = []
        self._report_unpaired(out)
        if self._pending is not None:
            out.append(DecodeError("status request without a reply (printer silent)", bytes(self._buf)))
        self._buf.clear()
        self._pending = None
        return out


class ZplStatusDecoder:
    """`~HS` replies: strings 1, 2, 3 make one status; a set cut short is reported."""

    def __init__(self) -> None:
        self.framer = Framer([b"\x03"], b"\x02", 256)
        self._set: list[list[str]] = []

    def feed(self, data: bytes) -> list[Item]:
        out: list[Item] = []
        for frame in self.framer.feed(data):
            if isinstance(frame, DecodeError):
                out.append(frame)
                continue
            text = frame.decode("latin-1")
            line = len(self._set) + 1
            try:
                self._set.append(_zpl_fields(text, (12, 11, 2)[line - 1], line))
            except DecodeError as exc:
                if line > 1 and len(text.split(",")) == 12:  # a new reply began: the last one was short
                    out.append(DecodeError("~HS reply cut short", frame))
                    self._set = []
                    try:
                        self._set.append(_zpl_fields(text, 12, 1))
                    except DecodeError as again:
                        out.append(DecodeError(again.reason, frame))
                    continue
                out.append(DecodeError(exc.reason, frame))
                self._set = []
                continue
            if len(self._set) == 3:
                out.append(_zpl_status(self._set[0], self._set[1]))
                self._set = []
        return out

    def finish(self) -> list[Item]:
        out: list[Item] = list(self.framer.finish())
        if self._set:
            out.append(DecodeError(f"~HS reply ended after {len(self._set)} of 3 strings"))
        self._set = []
        return out


@dataclass(frozen=True)
class PrinterSpec:
    """The printer's language and status requests, and the stock and font it prints labels with."""

    family: str
    status_queries: tuple[int, ...]
    label: LabelStock

    @classmethod
    def compile(cls, kind: str, codec: Mapping[str, Any]) -> PrinterSpec:
        if kind != "printer":
            raise ProfileError("", "family", f"printer status codecs yield printer statuses, not {kind}")
        return cls(codec["family"], tuple(codec.get("status_queries", (1, 2, 3, 4))),
                   LabelStock.from_profile(codec["label"], codec["family"]))

    def status_requests(self) -> list[bytes]:
        """Bytes to send to ask for the full status (one reply per request, in order)."""
        if self.family == "escpos":
            return [dle_eot_request(n) for n in self.status_queries]
        return [TSPL_STATUS] if self.family == "tspl" else [ZPL_HOST_STATUS]

    def decoder(self) -> RequestReplyDecoder | ZplStatusDecoder:
        if self.family == "zpl":
            return ZplStatusDecoder()
        if self.family == "tspl":
            return RequestReplyDecoder({TSPL_STATUS: decode_tspl_status})
        return RequestReplyDecoder({dle_eot_request(n): (lambda b, n=n: decode_dle_eot(n, b))  # type: ignore[misc]
                                    for n in (1, 2, 3, 4)})
