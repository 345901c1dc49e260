"""A crate's label as a PNG, laid out for the stock of the printer that prints it, so the sorter
sees on the PDA what came (or should have come) out of the printer."""

from __future__ import annotations

from drivers.devices.labels import preview_png
from edge.services.floor.crates import LabelOutput, crate_label, crate_view
from edge.services.floor.errors import NotFound
from edge.store import Store


def crate_label_png(store: Store, sscc: str, printer: LabelOutput | None) -> bytes:
    crate = crate_view(store, sscc)
    if printer is None:
        raise NotFound("no_printer", "no label printer is configured")
    return preview_png(crate_label(crate), printer.stock)
