"""Pure codecs, one module per protocol family: bytes to typed readings and back, no I/O.

`compile_codec(kind, codec_section)` turns a profile's validated `codec:` section into a spec
whose `decoder()` makes streaming decoders; the same spec serves the driver, the simulator and
the `devices decode` command.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drivers.codecs.base import CodecSpec, Decoder, Item
from drivers.errors import ProfileError


def compile_codec(kind: str, codec: Mapping[str, Any]) -> CodecSpec:
    """Compile a profile's codec section; raises ProfileError naming the field (relative to codec)."""
    family = codec.get("family")
    if family == "line":
        from drivers.codecs.line import LineSpec

        return LineSpec.compile(kind, codec)
    if family == "scanner":
        from drivers.codecs.scanner import ScannerSpec

        return ScannerSpec.compile(kind, codec)
    if family == "modbus":
        from drivers.codecs.modbus import RegisterMap

        return RegisterMap.compile(kind, codec)
    if family == "mqtt":
        from drivers.codecs.mqtt import MqttMapping

        return MqttMapping.compile(kind, codec)
    if family in ("escpos", "zpl", "tspl"):
        from drivers.codecs.printer import PrinterSpec

        return PrinterSpec.compile(kind, codec)
    raise ProfileError("", "family", f"unknown codec family {family!r}")


__all__ = ["CodecSpec", "Decoder", "Item", "compile_codec"]
