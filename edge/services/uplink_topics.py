"""The uplink's topic namespace and message envelope (pure: no I/O, no clock).

Topics are ``haolin/v1/<warehouse>/<asset>/<sensor>/<kind path>``; every level is one of our ids,
percent-escaped so an id holding ``/``, ``+`` or ``#`` can neither split a level nor act as an
MQTT wildcard. Crates move between assets, so their exposures live under the pseudo-asset
``_crates`` with the SSCC as the "sensor"; asset-level messages (an alarm on a room rather than a
probe) use the sensor ``_``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "haolin/v1"
CRATES_ASSET = "_crates"
WHOLE_ASSET = "_"

#: kind -> (topic suffix, priority). Over the disk budget the lowest priority goes first, oldest
#: first; alarms, exposures and QC results go only once no rollup is left, so every kind is capped.
KINDS: dict[str, tuple[str, int]] = {
    "rollup.1m": ("rollup/1m", 0),
    "rollup.1h": ("rollup/1h", 1),
    "alarm": ("alarm", 2),
    "exposure": ("exposure", 2),
    "qc": ("qc", 2),
}

_ESCAPES = {"%": "%25", "/": "%2F", "+": "%2B", "#": "%23"}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_ESCAPED = re.compile("|".join(_UNESCAPES), re.IGNORECASE)


class TopicError(ValueError):
    """An id that cannot be a topic level (empty, or holding a NUL)."""


def escape_level(value: str, what: str) -> str:
    """One topic level from an id: percent-escape the characters MQTT gives a meaning."""
    if not value:
        raise TopicError(f"{what} is empty: every topic level needs an id")
    if "\x00" in value:
        raise TopicError(f"{what} {value!r} holds a NUL character, which MQTT topics forbid")
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def unescape_level(level: str) -> str:
    """The id a topic level was made from (inverse of `escape_level`)."""
    return _ESCAPED.sub(lambda m: _UNESCAPES[m[0].upper()], level)


@dataclass(frozen=True)
class UplinkMessage:
    """One fact for HQ: what kind, where it was measured, when, and its body."""

    kind: str
    warehouse: str
    asset: str
    sensor: str
    event_time: dt.datetime
    body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TopicError(f"unknown uplink kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.event_time.tzinfo is None:
            raise TopicError("event_time must be an aware UTC time")

    @property
    def topic(self) -> str:
        suffix = KINDS[self.kind][0]
        levels = (escape_level(self.warehouse, "warehouse"), escape_level(self.asset, "asset"),
                  escape_level(self.sensor, "sensor"))
        return f"{NAMESPACE}/{'/'.join(levels)}/{suffix}"

    @property
    def priority(self) -> int:
        return KINDS[self.kind][1]

    def encode(self) -> bytes:
        """The stored part of the payload (the publisher wraps it with edge, epoch and seq)."""
        event_time = self.event_time.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        document = {"kind": self.kind, "warehouse": self.warehouse, "asset": self.asset, "sensor": self.sensor,
                    "event_time": event_time, "body": self.body}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def envelope(edge_id: str, epoch: str, seq: int, stored: bytes) -> bytes:
    """What goes on the wire: the spool's identity of the message around its stored document.

    HQ keys a message by (edge, epoch, seq): seq never repeats within an epoch, and a rebuilt
    spool gets a new epoch.
    """
    head = json.dumps({"v": 1, "edge": edge_id, "epoch": epoch, "seq": seq}, separators=(",", ":"))
    return head[:-1].encode() + b',"msg":' + stored + b"}"
