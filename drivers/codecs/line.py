"""Line protocols (refractometers and other RS-232 instruments), configured by profile.

A frame is cut by `framing` (start bytes, terminators), decoded with `encoding`, split by a
`layout` (CSV, fixed columns, regex with named groups, or `key = value` records), optionally
checked against a checksum column, then mapped to reading attributes by `fields`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.codecs.base import Item, text_bytes
from drivers.codecs.fields import FieldSpec, build_values, compile_fields
from drivers.codecs.framing import Framer
from drivers.errors import DecodeError, ProfileError
from drivers.readings import READING_TYPES, Reading

Columns = dict[str, tuple[str, int]]  # name -> (text, offset of its first character in the frame)

_MAX_RECORD_KEYS = 256


def _checksum(algorithm: str, data: bytes) -> int:
    if algorithm == "xor8":
        acc = 0
        for b in data:
            acc ^= b
        return acc
    total = sum(data)
    return {"sum8": total & 0xFF, "sum8_neg": -total & 0xFF, "sum16": total & 0xFFFF}[algorithm]


@dataclass(frozen=True)
class LineSpec:
    reading_type: type[Reading]
    encoding: str
    start: bytes | None
    end: tuple[bytes, ...]
    max_frame: int
    layout: Mapping[str, Any]
    regex: re.Pattern[str] | None
    fields: tuple[FieldSpec, ...]
    checksum: Mapping[str, str] | None
    emit: str | None
    stable_after: int | None = None

    @classmethod
    def compile(cls, kind: str, codec: Mapping[str, Any]) -> LineSpec:
        framing = codec.get("framing", {})
        ends = framing.get("end", ["\r\n", "\r", "\n"])
        ends = [ends] if isinstance(ends, str) else ends
        encoding = codec.get("encoding", "latin-1")
        try:
            "".encode(encoding)
        except LookupError:
            raise ProfileError("", "encoding", f"unknown encoding {encoding!r}") from None
        layout = codec["layout"]
        regex = None
        if layout["type"] == "regex":
            try:
                regex = re.compile(layout["pattern"])
            except re.error as exc:
                raise ProfileError("", "layout.pattern", f"bad regex: {exc}") from exc
        names = cls._layout_names(layout, regex)
        fields = compile_fields(READING_TYPES[kind], codec["fields"], "column")
        for f in fields:
            for ref, what in ((f.source, "column"), (f.unit_source, "unit_column"),
                              (f.decimals_source, "decimals_column"),
                              (f.when[0] if f.when else None, "when.column")):
                if ref is not None and names is not None and ref not in names:
                    raise ProfileError("", f"fields.{f.target}.{what}", f"layout has no column {ref!r}")
        if layout["type"] == "kv" and "record_end_key" not in layout:
            raise ProfileError("", "layout.record_end_key", "a key = value layout needs the key that ends a record")
        checksum = codec.get("checksum")
        if checksum is not None:
            if layout["type"] == "kv":
                raise ProfileError("", "checksum", "key = value records carry no checksum column")
            if names is not None and checksum["column"] not in names:
                raise ProfileError("", "checksum.column", f"layout has no column {checksum['column']!r}")
        stable_after = codec.get("stable_after")
        if stable_after is not None and "stable" not in {f.name for f in dataclasses.fields(READING_TYPES[kind])}:
            raise ProfileError("", "stable_after", f"a {kind} reading has no stability to infer")
        return cls(
            stable_after=stable_after,
            reading_type=READING_TYPES[kind],
            encoding=encoding,
            start=text_bytes(framing["start"], "framing.start") if "start" in framing else None,
            end=tuple(text_bytes(e, "framing.end") for e in ends),
            max_frame=framing.get("max_frame", 1024),
            layout=layout,
            regex=regex,
            fields=fields,
            checksum=checksum,
            emit=codec.get("emit"),
        )

    @staticmethod
    def _layout_names(layout: Mapping[str, Any], regex: re.Pattern[str] | None) -> set[str] | None:
        if layout["type"] == "csv":
            return {c for c in layout["columns"] if c}
        if layout["type"] == "fixed":
            return set(layout["columns"])
        if regex is not None:
            return set(regex.groupindex)
        return None  # kv: keys are whatever the device sends

    def decoder(self) -> LineDecoder:
        return LineDecoder(self)

    def split(self, text: str) -> Columns:
        """Split one frame's text into named columns (raises DecodeError)."""
        kind = self.layout["type"]
        if kind == "csv":
            delimiter = self.layout.get("delimiter", ",")
            cells = text.split(delimiter)
            names = self.layout["columns"]
            if len(cells) != len(names) and not (self.layout.get("extra_columns") and len(cells) > len(names)):
                raise DecodeError(f"expected {len(names)} columns, got {len(cells)}")
            out: Columns = {}
            offset = 0
            for name, cell in zip(names, cells, strict=False):
                if name:
                    out[name] = (cell, offset)
                offset += len(cell) + len(delimiter)
            return out
        if kind == "fixed":
            min_length = self.layout.get("min_length", 0)
            if len(text) < min_length:
                raise DecodeError(f"line of {len(text)} characters, expected at least {min_length}")
            out = {}
            for name, (start, width) in self.layout["columns"].items():
                if len(text) < start:
                    raise DecodeError(f"line ends before column {start}", field=name)
                out[name] = (text[start - 1: start - 1 + width], start - 1)
            return out
        if kind == "regex":
            assert self.regex is not None
            m = self.regex.fullmatch(text.rstrip("\r\n"))
            if not m:
                raise DecodeError("line does not match the profile pattern")
            return {k: (v, m.start(k)) for k, v in m.groupdict().items() if v is not None}
        raise AssertionError(kind)

    def verify_checksum(self, frame: bytes, columns: Columns) -> None:
        if self.checksum is None:
            return
        name = self.checksum["column"]
        if name not in columns:
            raise DecodeError("checksum column missing", field=name)
        text, offset = columns[name]
        base = 16 if self.checksum.get("format", "dec") == "hex" else 10
        try:
            stated = int(text.strip(), base)
        except ValueError:
            raise DecodeError(f"checksum {text.strip()!r} is not a number", field=name) from None
        covered = frame.decode(self.encoding)[:offset].encode(self.encoding)
        actual = _checksum(self.checksum["algorithm"], covered)
        if actual != stated:
            raise DecodeError(f"checksum mismatch: frame says {stated}, computed {actual}", field=name)

    def reading(self, columns: Mapping[str, str]) -> Reading:
        values = build_values(self.fields, lambda k: columns[k], lambda k: k in columns)
        return self.reading_type(**values)

    def encode(self, reading: Reading) -> bytes:
        """Render a reading as the device would send it (for simulators), via the profile's `emit`."""
        if self.emit is None:
            raise ValueError("profile has no emit template")
        attrs = {f.name: getattr(reading, f.name) for f in dataclasses.fields(reading)}
        attrs.update(getattr(reading, "extra", {}))
        body = self.emit.format_map(attrs).encode(self.encoding)
        return (self.start or b"") + body + self.end[0]


class LineDecoder:
    def __init__(self, spec: LineSpec) -> None:
        self.spec = spec
        self.framer = Framer(spec.end, spec.start, spec.max_frame)
        self._record: dict[str, str] = {}
        self._record_raw = bytearray()
        self._same: tuple[object, int] = (None, 0)  # last value and how many frames in a row carried it

    def feed(self, data: bytes) -> list[Item]:
        return [self._frame(f) if isinstance(f, bytes) else f for f in self.framer.feed(data)
                ] if self.spec.layout["type"] != "kv" else self._kv(self.framer.feed(data))

    def finish(self) -> list[Item]:
        out: list[Item] = list(self.framer.finish())
        if self._record:
            out.append(DecodeError("incomplete record at end of input", bytes(self._record_raw)))
        self._record.clear()
        self._record_raw.clear()
        return out

    def _text(self, frame: bytes) -> str:
        try:
            return frame.decode(self.spec.encoding)
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not {self.spec.encoding} text at byte {exc.start}", frame) from None

    def _frame(self, frame: bytes) -> Item:
        try:
            columns = self.spec.split(self._text(frame))
            self.spec.verify_checksum(frame, columns)
            return self._with_stability(self.spec.reading({k: v for k, (v, _) in columns.items()}))
        except DecodeError as exc:
            return exc if exc.data else DecodeError(exc.reason, frame, exc.field)

    def _with_stability(self, reading: Reading) -> Reading:
        """Frames with no motion flag (XK3190 continuous output) are stable once the same weight
        came `stable_after` times in a row: a swinging crate never reads the same twice."""
        if self.spec.stable_after is None or getattr(reading, "stable", True) is not None:
            return reading
        value = getattr(reading, "weight_kg", None)
        last, count = self._same
        self._same = (value, count + 1 if value == last else 1)
        return dataclasses.replace(reading, stable=self._same[1] >= self.spec.stable_after)  # type: ignore[call-arg]

    def _kv(self, frames: list[bytes | DecodeError]) -> list[Item]:
        """`key = value` lines accumulate into one record, closed by `record_end_key`."""
        out: list[Item] = []
        sep = self.spec.layout.get("separator", "=")
        end_key = self.spec.layout.get("record_end_key")
        skip = set(self.spec.layout.get("skip", ()))
        for frame in frames:
            if isinstance(frame, DecodeError):
                out.append(frame)
                continue
            self._record_raw += frame + self.spec.end[0]
            try:
                line = self._text(frame).strip()
            except DecodeError as exc:
                out.append(exc)
                continue
            if line in skip:
                continue
            key, found, value = line.partition(sep)
            if not found or not key.strip():
                out.append(DecodeError(f"expected 'key {sep} value'", frame))
                continue
            self._record[key.strip()] = value.strip().strip('"')
            if key.strip() == end_key or len(self._record) >= _MAX_RECORD_KEYS:
                raw, record = bytes(self._record_raw), dict(self._record)
                self._record.clear()
                self._record_raw.clear()
                try:
                    out.append(self.spec.reading(record))
                except DecodeError as exc:
                    out.append(DecodeError(exc.reason, raw, exc.field))
        return out
