"""TSPL (TSC, Gprinter/佳博, Xprinter/芯烨): one command per line, text in GB18030 for the
built-in simplified-Chinese bitmap font (e.g. TSS24.BF2), GS1-128 as Code 128 with FNC1."""

from __future__ import annotations

from .content import Label
from .layout import Barcode, Layout, Qr, Text
from .stock import LabelStock

ENCODING = "gb18030"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\["]') + '"'  # TSPL writes a double quote inside a string as \["]


def _command(item: Text | Barcode | Qr, stock: LabelStock) -> str:
    if isinstance(item, Text):
        mul = item.size // stock.font_dots
        return f'TEXT {item.x},{item.y},"{stock.font}",0,{mul},{mul},{_quoted(item.text)}'
    if isinstance(item, Barcode):
        # 128M = Code 128 with the code set chosen by the data: !105 Start C, !102 FNC1 (GS1-128), digit pairs
        return (f'BARCODE {item.x},{item.y},"128M",{item.height},0,0,{item.module},{item.module},'
                f'"!105!102{item.ai_data}"')
    return f"QRCODE {item.x},{item.y},M,{item.cell},A,0,{_quoted(item.data)}"


def render_tspl(layout: Layout, label: Label, stock: LabelStock) -> bytes:
    lines = [f"SIZE {stock.width_mm:g} mm,{stock.height_mm:g} mm", f"GAP {stock.gap_mm:g} mm,0 mm",
             "DIRECTION 1", "REFERENCE 0,0", "CLS"]
    lines += [_command(item, stock) for item in layout.items]
    lines.append(f"PRINT 1,{label.copies}")
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)
