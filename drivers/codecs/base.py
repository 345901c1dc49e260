"""What every codec family shares: the streaming decoder contract and the compiled-spec contract.

A decoder is fed whatever the transport delivered (any chunking) and returns the readings it
completed plus a `DecodeError` item per frame it had to reject. It never raises for bad input,
never waits for input it has not been given, and keeps its buffer bounded.
"""

from __future__ import annotations

from typing import Protocol

from drivers.errors import DecodeError, ProfileError
from drivers.readings import Reading

Item = Reading | DecodeError


class Decoder(Protocol):
    def feed(self, data: bytes) -> list[Item]:
        """Consume bytes; return completed readings and rejected frames, in stream order."""
        ...

    def finish(self) -> list[Item]:
        """End of input: report a trailing partial frame (as a DecodeError) and reset."""
        ...


class CodecSpec(Protocol):
    """A profile's codec section, validated and compiled once; decoders are made from it."""

    def decoder(self) -> Decoder: ...


def text_bytes(text: str, field: str) -> bytes:
    """Profile strings stand for bytes 1:1 (Latin-1), so "\\x02" or "\\xb0" in YAML means that byte."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ProfileError("", field, f"character {text[exc.start]!r} is not a single byte") from exc
