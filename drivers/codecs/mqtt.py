"""MQTT sensor payloads (Tasmota, Zigbee2MQTT, Shelly Gen1 and Plus) mapped by profile.

A profile lists topic rules. A rule's `pattern` is an MQTT filter whose single-level segments
may be named (`tele/{device}/SENSOR`); `{device}` names the device in the reading. Fields are
found by dotted JSON paths where `*` matches any key (Tasmota nests values under sensor driver
names), `$` is the whole payload (Shelly Gen1 publishes a bare number per topic), and the
target `probes.*` collects every match under its key.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from drivers.codecs.base import Item
from drivers.codecs.fields import FieldSpec, build_values, compile_fields
from drivers.codecs.framing import Framer
from drivers.errors import DecodeError, ProfileError
from drivers.readings import READING_TYPES, Reading

_SEGMENT = re.compile(r"^\{([a-z_]+)\}$")
_MAX_PAYLOAD = 65536
_TOPIC_THEN_JSON = re.compile(rb"([^\s{\[\"]+)\s+(?:=\s+)?([{\[].*)", re.DOTALL)


def _topic_regex(pattern: str, where: str) -> re.Pattern[str]:
    parts = pattern.split("/")
    out = []
    for i, part in enumerate(parts):
        named = _SEGMENT.match(part)
        if named:
            out.append(f"(?P<{named.group(1)}>[^/]+)")
        elif part == "+":
            out.append("[^/]+")
        elif part == "#":
            if i != len(parts) - 1:
                raise ProfileError("", where, "'#' must be the last level")
            out.append(".*")
        elif any(c in part for c in "+#{}"):
            raise ProfileError("", where, f"bad topic level {part!r}")
        else:
            out.append(re.escape(part))
    try:
        return re.compile("/".join(out))
    except re.error as exc:  # e.g. the same {name} twice
        raise ProfileError("", where, f"bad topic pattern: {exc}") from None


def _filter(pattern: str) -> str:
    """MQTT subscription filter for a rule pattern (named levels become '+')."""
    return "/".join("+" if _SEGMENT.match(p) else p for p in pattern.split("/"))


def _resolve(doc: Any, path: str) -> list[tuple[str, Any]]:
    """Every (wildcard key, value) reached by a dotted path; key is '' without a wildcard."""
    if path == "$":
        return [("", doc)]
    found: list[tuple[str, Any]] = [("", doc)]
    for seg in path.split("."):
        nxt: list[tuple[str, Any]] = []
        for key, node in found:
            if not isinstance(node, dict):
                continue
            if seg == "*":
                nxt += [(str(k), v) for k, v in node.items()]
            elif seg in node:
                nxt.append((key, node[seg]))
        found = nxt
    return found


@dataclass(frozen=True)
class TopicRule:
    pattern: str
    regex: re.Pattern[str]
    format: str
    fields: tuple[FieldSpec, ...]
    time_path: str | None
    time_format: str | None


@dataclass(frozen=True)
class MqttMapping:
    reading_type: type[Reading]
    rules: tuple[TopicRule, ...]
    exclude: tuple[re.Pattern[str], ...]

    @classmethod
    def compile(cls, kind: str, codec: Mapping[str, Any]) -> MqttMapping:
        reading_type = READING_TYPES[kind]
        rules = []
        for i, raw in enumerate(codec["topics"]):
            where = f"topics.{i}"
            try:
                fields = compile_fields(reading_type, raw["fields"], "path")
            except ProfileError as exc:
                raise ProfileError("", f"{where}.{exc.field}", exc.reason) from None
            for f in fields:
                if f.target.endswith(".*") and (f.source is None or "*" not in f.source):
                    raise ProfileError("", f"{where}.fields.{f.target}", "a '.*' target needs a '*' in its path")
            time = raw.get("time", {})
            rules.append(TopicRule(raw["pattern"], _topic_regex(raw["pattern"], f"{where}.pattern"),
                                   raw.get("format", "json"), fields, time.get("path"), time.get("format")))
        exclude = tuple(_topic_regex(p, f"exclude.{i}") for i, p in enumerate(codec.get("exclude", ())))
        return cls(reading_type, tuple(rules), exclude)

    @property
    def subscriptions(self) -> list[str]:
        return list(dict.fromkeys(_filter(r.pattern) for r in self.rules))

    def decoder(self) -> MqttLineDecoder:
        return MqttLineDecoder(self)

    def rule_for(self, topic: str | None, payload: bytes) -> tuple[TopicRule, dict[str, str]]:
        if topic is None:  # a bare payload from a trace: the first rule of its shape
            want = "json" if payload.lstrip()[:1] in (b"{", b"[") else "number"
            for rule in self.rules:
                if rule.format == want:
                    return rule, {}
            raise DecodeError(f"no {want} topic rule for a payload without a topic", payload)
        if any(x.fullmatch(topic) for x in self.exclude):
            raise DecodeError(f"topic {topic!r} is excluded by the profile", payload)
        for rule in self.rules:
            m = rule.regex.fullmatch(topic)
            if m:
                return rule, m.groupdict()
        raise DecodeError(f"topic {topic!r} matches no rule of the profile", payload)


def _parse(rule: TopicRule, payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DecodeError(f"payload is not UTF-8 (byte {exc.start})") from None
    if rule.format == "text":
        return text
    if rule.format == "number":
        try:
            value = float(text)
        except ValueError:
            raise DecodeError(f"payload {text[:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise DecodeError(f"payload {text!r} is not a finite number")
        return value
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"payload is not JSON: {exc}") from None


def _event_time(rule: TopicRule, doc: Any, local_tz: tzinfo | None) -> datetime | None:
    if rule.time_path is None:
        return None
    found = _resolve(doc, rule.time_path)
    if not found:
        return None
    value = found[0][1]
    try:
        if rule.time_format == "iso":
            t = datetime.fromisoformat(str(value))
            if t.tzinfo is None:  # Tasmota's local time without offset: only the site knows its zone
                if local_tz is None:
                    return None
                t = t.replace(tzinfo=local_tz)
            return t.astimezone(UTC)
        seconds = float(value) / (1000.0 if rule.time_format == "epoch_ms" else 1.0)
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        raise DecodeError(f"unreadable time {str(value)[:40]!r}", field=rule.time_path) from None


def decode_payload(mapping: MqttMapping, topic: str | None, payload: bytes,
                   local_tz: tzinfo | None = None) -> Reading:
    """One MQTT message to a reading (raises DecodeError). `local_tz` places offset-less times."""
    if len(payload) > _MAX_PAYLOAD:
        raise DecodeError(f"payload larger than {_MAX_PAYLOAD} bytes", payload[:64])
    rule, names = mapping.rule_for(topic, payload)
    try:
        doc = _parse(rule, payload)
        resolved: dict[str, Any] = {}
        specs: list[FieldSpec] = []
        for spec in rule.fields:
            for ref in (spec.source, spec.unit_source):
                if ref is not None and ref not in resolved and (hits := _resolve(doc, ref)):
                    resolved[ref] = hits[0][1]
            if spec.target.endswith(".*") and spec.source is not None:
                for key, value in _resolve(doc, spec.source):
                    specs.append(dataclasses.replace(spec, target=spec.target[:-1] + key,
                                                     source=f"{spec.source}#{key}", required=False))
                    resolved[f"{spec.source}#{key}"] = value
            else:
                specs.append(spec)
        if not any(s.source in resolved for s in specs if s.source is not None):
            raise DecodeError("payload carries none of the profile's fields")
        values = build_values(tuple(specs), resolved.__getitem__, resolved.__contains__)
        values["event_time"] = _event_time(rule, doc, local_tz)
        if "device" in names:
            values["device_id"] = names["device"]
        return mapping.reading_type(**values)
    except DecodeError as exc:
        raise DecodeError(exc.reason, exc.data or payload, exc.field) from None


class MqttLineDecoder:
    """Trace form for `devices decode`: one message per line, `topic<TAB>payload`,
    `topic {json}` / `topic = {json}` (log style), a bare payload, or `topic: <topic>` lines that
    set the topic of the payload lines that follow."""

    def __init__(self, mapping: MqttMapping, local_tz: tzinfo | None = None) -> None:
        self.mapping = mapping
        self.local_tz = local_tz
        self.framer = Framer([b"\n"], None, _MAX_PAYLOAD)
        self._topic: str | None = None

    def feed(self, data: bytes) -> list[Item]:
        out: list[Item] = []
        for frame in self.framer.feed(data):
            item = frame if isinstance(frame, DecodeError) else self._line(frame.strip())
            if item is not None:
                out.append(item)
        return out

    def finish(self) -> list[Item]:
        out: list[Item] = []
        for frame in self.framer.feed(b"\n"):  # a last line without newline is still a message
            item = frame if isinstance(frame, DecodeError) else self._line(frame.strip())
            if item is not None:
                out.append(item)
        self._topic = None
        return out

    def _line(self, line: bytes) -> Item | None:
        if not line or line.startswith(b"#"):
            return None
        topic = self._topic
        if line.startswith(b"topic:"):
            rest = line[len(b"topic:"):].split()
            if not rest:
                return DecodeError("topic line without a topic", line)
            self._topic = rest[0].decode("utf-8", "replace")
            if b"->" not in line:
                return None
            topic, line = self._topic, line.split(b"->", 1)[1].strip()
        elif b"\t" in line:
            head, line = line.split(b"\t", 1)
            topic = head.strip().decode("utf-8", "replace")
        elif m := _TOPIC_THEN_JSON.match(line):  # "topic {json}" or "topic = {json}" as in logs
            topic, line = m.group(1).decode("utf-8", "replace"), m.group(2)
        try:
            return decode_payload(self.mapping, topic, line, self.local_tz)
        except DecodeError as exc:
            return exc
