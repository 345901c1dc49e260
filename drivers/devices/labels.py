"""Label content and its rendering to printer languages (ESC/POS via python-escpos, or ZPL).

Pure: a `Label` becomes bytes, no I/O. The profile's codec family picks the language.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

from escpos.printer import Dummy


def sscc_check_digit(body17: str) -> str:
    """GS1 mod-10 check digit for the 17 digits of an SSCC body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body17)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Label:
    """What goes on one label. `sscc` (18 digits, check digit verified) prints as GS1-128 (00)."""

    lines: tuple[str, ...] = ()
    code128: str | None = None
    qr: str | None = None
    sscc: str | None = None
    copies: int = 1
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sscc is not None:
            if len(self.sscc) != 18 or not self.sscc.isdigit():
                raise ValueError(f"SSCC must be 18 digits, got {self.sscc!r}")
            expected = sscc_check_digit(self.sscc[:17])
            if expected != self.sscc[17]:
                raise ValueError(f"SSCC {self.sscc} has a wrong check digit (expected {expected})")
        if self.code128 is not None and not all(32 <= ord(c) < 127 for c in self.code128):
            raise ValueError("Code 128 data must be printable ASCII")
        if not 1 <= self.copies <= 99:
            raise ValueError("copies must be 1..99")


def render_escpos(label: Label) -> bytes:
    """ESC/POS bytes: text, Code 128 (set B), GS1-128 of the SSCC ({C{1 = FNC1 then AI 00), native QR, cut."""
    p = Dummy()
    with contextlib.redirect_stdout(io.StringIO()):  # python-escpos announces its barcode renderer on stdout
        for _ in range(label.copies):
            p.set(align="center", bold=True)
            for line in label.lines:
                p.textln(line)
            p.set(align="center", bold=False)
            if label.code128:
                p.barcode("{B" + label.code128, "CODE128", height=64, width=2, function_type="B")
            if label.sscc:
                p.barcode("{C{100" + label.sscc, "CODE128", height=80, width=2, function_type="B")
            if label.qr:
                p.qr(label.qr, native=True, size=4)
            p.cut()
    return bytes(p.output)


def render_zpl(label: Label) -> bytes:
    """ZPL II: ^BC Code 128 with >; (subset C) >8 (FNC1) for the GS1-128 SSCC, ^BQ for QR."""
    out = ["^XA", "^CI28"]
    y = 20
    for line in label.lines:
        out.append(f"^FO30,{y}^A0N,36,36^FD{_zpl_text(line)}^FS")
        y += 45
    if label.code128:
        out.append(f"^FO30,{y}^BY2^BCN,80,Y,N,N^FD{_zpl_text(label.code128)}^FS")
        y += 120
    if label.sscc:
        out.append(f"^FO30,{y}^BY2^BCN,100,Y,N,N^FD>;>800{label.sscc}^FS")
        y += 140
    if label.qr:
        out.append(f"^FO30,{y}^BQN,2,5^FDLA,{_zpl_text(label.qr)}^FS")
    out.append(f"^PQ{label.copies}^XZ")
    return "\n".join(out).encode("utf-8")


def _zpl_text(text: str) -> str:
    # ^ and ~ start commands; ^FH would allow hex escapes, a plain substitution keeps labels readable
    return text.replace("^", " ").replace("~", " ")


RENDERERS = {"escpos": render_escpos, "zpl": render_zpl}
