"""One crate-label layout for every printer language and the preview, scaled to the stock.

Die-cut labels (TSPL, ZPL) put the text top left, the QR top right and the GS1-128 SSCC with
its human-readable line across the bottom; a continuous roll (ESC/POS) stacks the same items,
centred. Positions and sizes are in printer dots; text sizes snap to what the font can do (whole
multiples of a bitmap font's height) and shrink until each line fits, or the label is refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import qrcode
from barcode.codex import Gs1_128

from drivers.errors import LabelError

from .content import Label, sscc_text
from .stock import LabelStock

LINE_PITCH = 1.2  # line height as a multiple of the text size
QUIET_MODULES = 10  # clear space either side of a Code 128 symbol, in modules


def char_width(char: str, size: int) -> int:
    """A cell of a Chinese printer font: square for what GB18030 writes in two or more bytes (hanzi,
    and full-width forms such as '·' A1A4) or Unicode calls wide, half as wide for the rest."""
    wide = unicodedata.east_asian_width(char) in "WF" or len(char.encode("gb18030", "replace")) > 1
    return size if wide else size // 2


def text_width(text: str, size: int) -> int:
    return sum(char_width(c, size) for c in text)


def gs1_128_modules(ai_data: str) -> list[bool]:
    """Bars (True) and spaces of a GS1-128 symbol: start, FNC1, the AI data, check, stop (python-barcode)."""
    return [m == "1" for m in Gs1_128(ai_data).build()[0]]


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR symbol (ECC M, no quiet zone) the printers are asked to draw."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    size: int
    text: str


@dataclass(frozen=True)
class Barcode:
    """GS1-128 of `ai_data` (AI 00 + SSCC): Start C, FNC1, digit pairs; `module` dots per module."""

    x: int
    y: int
    height: int
    module: int
    ai_data: str


@dataclass(frozen=True)
class Qr:
    x: int
    y: int
    cell: int
    modules: int
    data: str


Item = Text | Barcode | Qr


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    items: tuple[Item, ...]


def _text_sizes(stock: LabelStock) -> list[int]:
    """Sizes the font can print, largest first."""
    if stock.font_dots:
        return [stock.font_dots * k for k in range(8, 0, -1)]
    return list(range(stock.dots(12), stock.dots(2) - 1, -2))


def _fit(text: str, want: float, width: int, stock: LabelStock) -> int:
    sizes = _text_sizes(stock)
    for size in sizes:
        if size <= want and text_width(text, size) <= width:
            return size
    smallest = sizes[-1]
    if text_width(text, smallest) <= width:
        return smallest
    raise LabelError(f"{text!r} is {text_width(text, smallest)} dots wide in the smallest font, "
                     f"the {stock.width_mm:g} mm label leaves {width}")


def _line_sizes(lines: tuple[str, ...], title: float, body: float, width: int, stock: LabelStock) -> list[int]:
    """The title as large as fits, the other lines all in one size no larger: the largest every one fits at."""
    if not lines:
        return []
    first = _fit(lines[0], title, width, stock)
    rest = [_fit(line, min(body, first), width, stock) for line in lines[1:]]
    return [first, *([min(rest, default=first)] * len(rest))]


def _module(stock: LabelStock, symbol_modules: int) -> int:
    width = stock.width_dots
    module = min(width // (symbol_modules + 2 * QUIET_MODULES), max(2, stock.dots(0.5)))
    if module < 2:
        raise LabelError(f"the {stock.width_mm:g} mm label is too narrow for the SSCC barcode at {stock.dpi} dpi "
                         f"(needs {symbol_modules + 2 * QUIET_MODULES} modules of 2 dots)")
    return module


def lay_out(label: Label, stock: LabelStock) -> Layout:
    """Place the label's items on the stock; LabelError when something cannot fit."""
    if stock.height_dots is None:
        return _stacked(label, stock)
    return _beside(label, stock, stock.height_dots)


def _sscc_block(label: Label, stock: LabelStock, bottom: int, bar_height: int) -> tuple[list[Item], int]:
    """Barcode and its human-readable line ending at `bottom`; returns them and the top they leave."""
    if label.sscc is None:
        return [], bottom
    width, gap = stock.width_dots, stock.dots(1)
    modules = len(gs1_128_modules("00" + label.sscc))
    module = _module(stock, modules)
    hri = sscc_text(label.sscc)
    hri_size = _fit(hri, stock.dots(3), width - 2 * stock.dots(2), stock)
    hri_y = bottom - hri_size
    bar_y = hri_y - gap - bar_height
    items: list[Item] = [Barcode((width - modules * module) // 2, bar_y, bar_height, module, "00" + label.sscc),
                         Text((width - text_width(hri, hri_size)) // 2, hri_y, hri_size, hri)]
    return items, bar_y - 2 * gap


def _beside(label: Label, stock: LabelStock, height: int) -> Layout:
    width, margin, gap = stock.width_dots, stock.dots(2), stock.dots(1)
    bar_height = max(stock.dots(8), min(stock.dots(20), height // 4))
    items, bottom = _sscc_block(label, stock, height - margin, bar_height)
    pitch = (bottom - margin) / (len(label.lines) + 0.5)  # the title line counts one and a half
    top, title = margin, 0
    if label.lines:  # the title (the store) across the whole width, to be read from across the room
        title = _fit(label.lines[0], pitch * 1.5 / LINE_PITCH, width - 2 * margin, stock)
        items.append(Text(margin, top, title, label.lines[0]))
        top += round(title * LINE_PITCH)
    text_right = width - margin
    if label.qr:
        modules = len(qr_matrix(label.qr))
        cell = min(10, min(bottom - top, int(width * 0.4)) // modules)
        if cell < 1:
            raise LabelError(f"no room for the QR code on a {stock.width_mm:g}×{stock.height_mm:g} mm label")
        qr_x = width - margin - cell * modules
        items.append(Qr(qr_x, top, cell, modules, label.qr))
        text_right = qr_x - 2 * gap
    body = label.lines[1:]
    sizes = [_fit(line, min(pitch / LINE_PITCH, title), text_right - margin, stock) for line in body]
    for line in body:
        items.append(Text(margin, top, min(sizes), line))
        top += round(min(sizes) * LINE_PITCH)
    if body and top - round(min(sizes) * (LINE_PITCH - 1)) > bottom:
        raise LabelError(f"{len(label.lines)} lines of text do not fit on a "
                         f"{stock.width_mm:g}×{stock.height_mm:g} mm label")
    return Layout(width, height, tuple(sorted(items, key=lambda i: (i.y, i.x))))


def _stacked(label: Label, stock: LabelStock) -> Layout:
    width, margin, gap = stock.width_dots, stock.dots(2), stock.dots(1)
    items: list[Item] = []
    y = margin
    for line, size in zip(label.lines, _line_sizes(label.lines, stock.dots(6), stock.dots(4), width - 2 * margin,
                                                   stock), strict=True):
        items.append(Text((width - text_width(line, size)) // 2, y, size, line))
        y += round(size * LINE_PITCH)
    if label.sscc is not None:
        hri_size = _fit(sscc_text(label.sscc), stock.dots(3), width - 2 * margin, stock)
        bar_height = stock.dots(12)
        bottom = y + 2 * gap + bar_height + gap + hri_size
        items += _sscc_block(label, stock, bottom, bar_height)[0]
        y = bottom + 2 * gap
    if label.qr:
        modules = len(qr_matrix(label.qr))
        cell = max(1, min(10, stock.dots(25) // modules))
        items.append(Qr((width - cell * modules) // 2, y, cell, modules, label.qr))
        y += cell * modules
    return Layout(width, y + margin, tuple(items))
