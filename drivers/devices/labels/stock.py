"""What a label printer model prints on and with: stock size, resolution and its Chinese font.

It comes from the printer's profile (`codec.label`). Crate labels carry store names in Chinese,
so a profile whose font cannot draw simplified Chinese is refused when it is loaded, and text
the font cannot draw is refused before a job is sent, naming the characters and the printer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.errors import LabelError, ProfileError

#: Characters every crate label needs (store names, temperature classes, crate numbers).
SIMPLIFIED_CHINESE_SAMPLE = "徐汇闵行浦东店第箱冷藏冻常温线路站"


@dataclass(frozen=True)
class LabelStock:
    """Label size in mm (`height_mm` None = continuous roll), dots per inch, and the font:
    its name on the printer, the characters it covers, and its base height in dots when it is a
    bitmap font that only scales by whole multiples (0 = scalable)."""

    width_mm: float
    height_mm: float | None
    dpi: int
    font: str
    charset: str
    font_dots: int = 0
    gap_mm: float = 2.0

    @classmethod
    def from_profile(cls, raw: Mapping[str, Any], family: str) -> LabelStock:
        """`codec.label` of a printer profile (already schema-checked); ProfileError names the field."""
        font = raw["font"]
        stock = cls(width_mm=raw["width_mm"], height_mm=raw.get("height_mm"), dpi=raw["dpi"], font=font["name"],
                    charset=font["charset"], font_dots=font.get("dots", 0), gap_mm=raw.get("gap_mm", 2.0))
        missing = stock.unprintable(SIMPLIFIED_CHINESE_SAMPLE)
        if missing:
            raise ProfileError("", "label.font.charset", (
                f"font {stock.font!r} covers {stock.charset}, which cannot print Chinese store names "
                f"(no {''.join(missing)}); crate labels need a simplified-Chinese font "
                "(gb2312, gbk or gb18030: e.g. TSS24.BF2 on TSPL, a CJK font file on ZPL, GB18030 mode on ESC/POS)"))
        if family in ("tspl", "escpos") and not stock.font_dots:
            raise ProfileError("", "label.font.dots", f"{family} fonts are bitmaps: give the font's height in dots")
        if family == "escpos" and stock.height_mm is not None:
            raise ProfileError("", "label.height_mm", "ESC/POS prints on a continuous roll: leave the height out")
        if family != "escpos" and stock.height_mm is None:
            raise ProfileError("", "label.height_mm", f"{family} prints die-cut labels: give their height")
        return stock

    def dots(self, mm: float) -> int:
        return round(mm * self.dpi / 25.4)

    @property
    def width_dots(self) -> int:
        return self.dots(self.width_mm)

    @property
    def height_dots(self) -> int | None:
        return None if self.height_mm is None else self.dots(self.height_mm)

    def unprintable(self, text: str) -> list[str]:
        """Characters of `text` the font has no glyph for (each once, in order), control characters included."""
        bad: dict[str, None] = {}
        for char in text:
            if unicodedata.category(char).startswith("C"):
                bad[char] = None
                continue
            if not self._covers(char):
                bad[char] = None
        return list(bad)

    def _covers(self, char: str) -> bool:
        if self.charset in ("gb2312", "gbk"):
            # Judged by the GB18030 bytes the printer gets (Python's gb2312 codec maps A1A4 to U+30FB,
            # the fonts and GB18030 to U+00B7 '·'): GBK is GB18030's two-byte part, GB2312 its A1-F7 rows.
            raw = char.encode("gb18030")
            if len(raw) == 1 or self.charset == "gbk":
                return len(raw) <= 2
            return len(raw) == 2 and 0xA1 <= raw[0] <= 0xF7 and 0xA1 <= raw[1] <= 0xFE
        try:
            char.encode(self.charset)
        except UnicodeEncodeError:
            return False
        return True

    def check(self, texts: Iterable[str], printer: str) -> None:
        """Raise LabelError naming the characters `printer` cannot print, before anything is sent."""
        bad: dict[str, None] = {}
        for text in texts:
            bad.update(dict.fromkeys(self.unprintable(text)))
        if bad:
            shown = ", ".join(f"{c!r} U+{ord(c):04X}" for c in bad)
            raise LabelError(f"printer {printer} cannot print {shown}: its font {self.font} covers {self.charset}")
