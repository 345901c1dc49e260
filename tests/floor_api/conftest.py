"""Floor API tests print crate labels through a real printer path (tests/fixtures/printer.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.edge import EdgeNode
from tests.fixtures.printer import PrinterRig, simulated_label_printer


@pytest.fixture
def printer_rig(edge_node: EdgeNode) -> Iterator[PrinterRig]:
    with simulated_label_printer(timeout_s=1.0) as rig:
        edge_node.client.app.state.label_printer = rig.output  # type: ignore[attr-defined]
        yield rig
