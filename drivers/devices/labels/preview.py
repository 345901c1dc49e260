"""The label as a PNG, drawn locally from the same layout the printer gets (Pillow, Noto CJK).

Bars and QR cells come from the same encoders the layout sized them with, one printer dot per
pixel, so the preview scans like the printed label would.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .layout import Barcode, Layout, Text, char_width, gs1_128_modules, qr_matrix

FONT_FAMILY = "Noto Sans Mono CJK SC"  # half-width Latin, square hanzi: the cells of a printer font
FONT_FILES = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian fonts-noto-cjk
              Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"))


@cache
def _face() -> tuple[str, int]:
    """The file and collection index of the simplified-Chinese face."""
    for path in FONT_FILES:
        if not path.is_file():
            continue
        for index in range(16):
            try:
                family, _ = ImageFont.truetype(str(path), 12, index=index).getname()
            except OSError:
                break
            if family == FONT_FAMILY:
                return str(path), index
    raise FileNotFoundError(f"no {FONT_FAMILY} font for the label preview: install Debian's fonts-noto-cjk")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = _face()
    return ImageFont.truetype(path, size, index=index)


def _text(draw: ImageDraw.ImageDraw, item: Text) -> None:
    """Each character centred in its printer-font cell, the em box (baseline 0.88 em down) filling the line."""
    font, x = _font(item.size), item.x
    baseline = item.y + round(item.size * 0.88)
    for char in item.text:
        cell = char_width(char, item.size)
        draw.text((x + (cell - font.getlength(char)) / 2, baseline), char, font=font, fill=0, anchor="ls")
        x += cell


def preview_image(layout: Layout) -> Image.Image:
    image = Image.new("L", (layout.width, layout.height), 255)
    draw = ImageDraw.Draw(image)
    for item in layout.items:
        if isinstance(item, Text):
            _text(draw, item)
        elif isinstance(item, Barcode):
            for i, bar in enumerate(gs1_128_modules(item.ai_data)):
                if bar:
                    left = item.x + i * item.module
                    draw.rectangle((left, item.y, left + item.module - 1, item.y + item.height - 1), fill=0)
        else:
            for row, cells in enumerate(qr_matrix(item.data)):
                for col, dark in enumerate(cells):
                    if dark:
                        left, top = item.x + col * item.cell, item.y + row * item.cell
                        draw.rectangle((left, top, left + item.cell - 1, top + item.cell - 1), fill=0)
    return image


def preview_png(layout: Layout) -> bytes:
    out = io.BytesIO()
    preview_image(layout).save(out, format="PNG", optimize=True)
    return out.getvalue()
