"""ZPL II: UTF-8 (`^CI28`), text in the CJK font file the profile names (`^A@`), GS1-128 as
`^BC` with `>;` (start subset C) and `>8` (FNC1), QR as `^BQ`. Field data goes through `^FH`, so
`^`, `~` and `_` print as themselves."""

from __future__ import annotations

from .content import Label
from .layout import Barcode, Layout, Qr, Text
from .stock import LabelStock

ENCODING = "utf-8"


def _field_data(text: str) -> str:
    return "^FH_^FD" + "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text) + "^FS"


def _field(item: Text | Barcode | Qr, stock: LabelStock) -> str:
    at = f"^FO{item.x},{item.y}"
    if isinstance(item, Text):
        return f"{at}^A@N,{item.size},{item.size},{stock.font}{_field_data(item.text)}"
    if isinstance(item, Barcode):
        return f"{at}^BY{item.module}^BCN,{item.height},N,N,N^FD>;>8{item.ai_data}^FS"
    return f"{at}^BQN,2,{item.cell}{_field_data('MA,' + item.data)}"


def render_zpl(layout: Layout, label: Label, stock: LabelStock) -> bytes:
    out = ["^XA", "^CI28", f"^PW{layout.width}", f"^LL{layout.height}"]
    out += [_field(item, stock) for item in layout.items]
    out.append(f"^PQ{label.copies}^XZ")
    return "\n".join(out).encode(ENCODING)
