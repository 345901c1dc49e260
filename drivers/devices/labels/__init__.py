"""Crate labels: content, one layout scaled to the printer's stock, and its rendering to TSPL, ZPL,
ESC/POS or a PNG preview. Pure: a `Label` becomes bytes, no I/O; the profile picks the language."""

from __future__ import annotations

from collections.abc import Callable

from drivers.errors import LabelError

from . import preview
from .content import Label, sscc_check_digit, sscc_text
from .escpos import render_escpos
from .layout import Layout, lay_out
from .stock import LabelStock
from .tspl import render_tspl
from .zpl import render_zpl

RENDERERS: dict[str, Callable[[Layout, Label, LabelStock], bytes]] = {
    "tspl": render_tspl, "zpl": render_zpl, "escpos": render_escpos}


def render(label: Label, stock: LabelStock, language: str, printer: str) -> bytes:
    """The bytes `printer` gets for `label`; LabelError (before anything is sent) for text its font
    cannot print or content its stock cannot hold."""
    if language not in RENDERERS:
        raise LabelError(f"printer {printer}: no label renderer for printer language {language!r}")
    stock.check(label.texts(), printer)
    return RENDERERS[language](lay_out(label, stock), label, stock)


def preview_png(label: Label, stock: LabelStock) -> bytes:
    """The label as the printer with `stock` would print it, as a PNG (one pixel per dot)."""
    return preview.preview_png(lay_out(label, stock))


__all__ = ["RENDERERS", "Label", "LabelError", "LabelStock", "lay_out", "preview_png", "render", "sscc_check_digit",
           "sscc_text"]
