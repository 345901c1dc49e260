"""ESC/POS on a continuous roll: Chinese mode selected explicitly (`FS &`) and text in GB18030,
the items centred and fed to their place (`ESC J`), GS1-128 and QR through python-escpos."""

from __future__ import annotations

import contextlib
import io

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from .content import Label
from .layout import Barcode, Layout, Text
from .stock import LabelStock

ENCODING = "gb18030"
INIT, CHINESE_MODE, CENTRE, NO_LINE_SPACING = b"\x1b@", b"\x1c&", b"\x1ba\x01", b"\x1b3\x00"


def _feed(dots: int) -> bytes:
    out = b""
    while dots > 0:
        out += b"\x1bJ" + bytes([min(dots, 255)])
        dots -= 255
    return out


def render_escpos(layout: Layout, label: Label, stock: LabelStock) -> bytes:
    p = Dummy()
    with contextlib.redirect_stdout(io.StringIO()):  # python-escpos announces its barcode renderer on stdout
        for _ in range(label.copies):
            p._raw(INIT + CHINESE_MODE + CENTRE + NO_LINE_SPACING)
            at = 0
            for item in layout.items:
                p._raw(_feed(item.y - at))
                if isinstance(item, Text):
                    mul = item.size // stock.font_dots - 1
                    p._raw(b"\x1d!" + bytes([mul << 4 | mul]) + item.text.encode(ENCODING) + b"\n")
                    at = item.y + item.size
                elif isinstance(item, Barcode):
                    p.barcode("{C{1" + item.ai_data, "CODE128", height=item.height, width=item.module, pos="OFF",
                              function_type="B")
                    at = item.y + item.height
                else:
                    p.qr(item.data, ec=QR_ECLEVEL_M, size=item.cell, native=True)
                    at = item.y + item.cell * item.modules
                p._raw(CENTRE)
            p._raw(_feed(layout.height - at))
            p.cut()
    return bytes(p.output)
