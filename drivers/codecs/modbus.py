"""Modbus register maps: which registers a profile reads and what they mean.

The driver reads `RegisterMap.reads` with its Modbus client and hands the values to
`decode_registers`. Types cover int16/uint16/int32/uint32/float32 (32-bit word order per
profile), KinCony's offset-10000 sign code and single bits; `invalid_raw` sentinels and the
`valid` range turn a probe fault into a fault (None or a DecodeError), never into a number.
`ModbusTraceDecoder` reads captured RTU or TCP traffic for `devices decode` and tests.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drivers.codecs.base import Item
from drivers.errors import DecodeError, ProfileError
from drivers.readings import READING_TYPES, ClimateReading

Image = Mapping[tuple[int, int], int]  # (function, address) -> register word or bit value
_WIDTH = {"int16": 1, "uint16": 1, "offset10000": 1, "bool": 1, "int32": 2, "uint32": 2, "float32": 2}
_EXCEPTIONS = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
               4: "server device failure", 5: "acknowledge", 6: "server device busy",
               10: "gateway path unavailable", 11: "gateway target failed to respond"}


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), table-driven."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ b) & 0xFF]
    return crc


@dataclass(frozen=True)
class ReadBlock:
    function: int
    address: int
    count: int


@dataclass(frozen=True)
class Register:
    target: str
    function: int
    address: int
    type: str
    word_order: str = "big"
    bit: int | None = None
    scale: float = 1.0
    offset: float = 0.0
    min: float | None = None
    max: float | None = None
    invalid_raw: frozenset[int] = frozenset()
    on_invalid: str = "error"

    @property
    def width(self) -> int:
        return 1 if self.function in (1, 2) else _WIDTH[self.type]

    def addresses(self) -> list[tuple[int, int]]:
        return [(self.function, self.address + i) for i in range(self.width)]

    def raw(self, image: Image) -> int:
        words = [image[a] for a in self.addresses()]
        if self.word_order == "little":
            words.reverse()
        value = 0
        for w in words:
            value = (value << 16) | w
        return value

    def value(self, raw: int) -> float | bool:
        """Interpret raw register bits (raises DecodeError for sentinels and out-of-range values)."""
        if raw in self.invalid_raw:
            raise DecodeError(f"sensor fault sentinel 0x{raw:04X}", field=self.target)
        if self.type == "bool":
            return bool(raw >> self.bit & 1) if self.bit is not None else bool(raw)
        number: float
        if self.type == "int16":
            number = raw - 0x10000 if raw & 0x8000 else raw
        elif self.type == "int32":
            number = raw - 0x1_0000_0000 if raw & 0x8000_0000 else raw
        elif self.type == "offset10000":
            number = -(raw - 10000) if raw >= 10000 else raw
        elif self.type == "float32":
            number = struct.unpack(">f", raw.to_bytes(4, "big"))[0]
            if not math.isfinite(number):
                raise DecodeError(f"float register is {number}", field=self.target)
        else:
            number = raw
        scaled = round(number * self.scale + self.offset, 6)
        if (self.min is not None and scaled < self.min) or (self.max is not None and scaled > self.max):
            raise DecodeError(f"value {scaled} outside the valid range [{self.min}, {self.max}] "
                              f"(raw 0x{raw:X})", field=self.target)
        return scaled

    def encode(self, value: float | bool | None) -> list[int]:
        """Raw words (or bit) that decode to `value`; None gives the first fault sentinel."""
        if value is None:
            if not self.invalid_raw:
                raise ValueError(f"{self.target} has no fault sentinel to encode None")
            raw = min(self.invalid_raw)
        elif self.type == "bool":
            raw = int(bool(value))
        else:
            number = (float(value) - self.offset) / self.scale
            if self.type == "float32":
                raw = int.from_bytes(struct.pack(">f", number), "big")
            else:
                n = round(number)
                if self.type == "offset10000":
                    raw = 10000 - n if n < 0 else n
                else:
                    raw = n & (0xFFFF if self.width == 1 else 0xFFFF_FFFF)
        if self.width == 1:
            return [raw]
        words = [raw >> 16, raw & 0xFFFF]
        return words[::-1] if self.word_order == "little" else words


@dataclass(frozen=True)
class RegisterMap:
    registers: tuple[Register, ...]
    reads: tuple[ReadBlock, ...]

    @classmethod
    def compile(cls, kind: str, codec: Mapping[str, Any]) -> RegisterMap:
        if READING_TYPES[kind] is not ClimateReading:
            raise ProfileError("", "family", f"register maps produce climate readings, not {kind}")
        registers = []
        seen: dict[tuple[int, int], str] = {}
        allowed = {"temperature_c", "humidity_pct", "door_open", "battery_pct"}
        for target, spec in codec["registers"].items():
            where = f"registers.{target}"
            if "." not in target and target not in allowed:
                raise ProfileError("", where, f"not a climate attribute; use one of {sorted(allowed)}, "
                                   "probes.<name> or extra.<name>")
            valid = spec.get("valid", {})
            reg = Register(
                target=target, function=spec["function"], address=spec["address"], type=spec["type"],
                word_order=spec.get("word_order", "big"), bit=spec.get("bit"),
                scale=spec.get("scale", 1.0), offset=spec.get("offset", 0.0),
                min=valid.get("min"), max=valid.get("max"),
                invalid_raw=frozenset(spec.get("invalid_raw", ())),
                on_invalid=spec.get("on_invalid", "error"),
            )
            if reg.function in (1, 2) and reg.type != "bool":
                raise ProfileError("", f"{where}.type", "coils and discrete inputs (function 1/2) are bool")
            if reg.type == "bool" and target.split(".")[0] in ("temperature_c", "humidity_pct", "probes"):
                raise ProfileError("", f"{where}.type", "a bool cannot be a temperature or humidity")
            if reg.bit is not None and (reg.type != "bool" or reg.function in (1, 2)):
                raise ProfileError("", f"{where}.bit", "bit applies to bool fields in registers (function 3/4)")
            if reg.address + reg.width > 0x10000:
                raise ProfileError("", f"{where}.address", "register runs past address 65535")
            for addr in reg.addresses():
                other = seen.get(addr)
                if other is not None and not (reg.type == "bool" and reg.bit is not None):
                    raise ProfileError("", f"{where}.address", f"overlaps {other}")
                seen[addr] = target
            registers.append(reg)
        return cls(tuple(registers), _plan(registers, codec.get("max_block", 32)))

    def decoder(self) -> ModbusTraceDecoder:
        return ModbusTraceDecoder(self)

    def decode_image(self, image: Image, partial: bool = False) -> ClimateReading:
        """Decode a register image; with `partial`, registers absent from it are left out."""
        values: dict[str, Any] = {}
        probes: dict[str, float | None] = {}
        extra: dict[str, Any] = {}
        faults: list[str] = []
        for reg in self.registers:
            if partial and not all(a in image for a in reg.addresses()):
                continue
            try:
                value: Any = reg.value(reg.raw(image))
            except DecodeError as exc:
                if reg.on_invalid == "error":
                    raise
                value = None
                faults.append(f"{reg.target}: {exc.reason}")
            head, _, name = reg.target.partition(".")
            if head == "probes":
                probes[name] = value
            elif head == "extra":
                extra[name] = value
            else:
                values[reg.target] = value
        return ClimateReading(**values, probes=probes, faults=tuple(faults), extra=extra)

    def encode(self, values: Mapping[str, float | bool | None]) -> dict[tuple[int, int], int]:
        """Register image a simulated device serves so that it decodes to `values`."""
        image: dict[tuple[int, int], int] = {}
        for reg in self.registers:
            if reg.target not in values:
                continue
            words = reg.encode(values[reg.target])
            if reg.bit is not None:
                key = (reg.function, reg.address)
                image[key] = (image.get(key, 0) & ~(1 << reg.bit)) | (words[0] << reg.bit)
            else:
                image.update(zip(reg.addresses(), words, strict=True))
        return image


def _plan(registers: Sequence[Register], max_block: int) -> tuple[ReadBlock, ...]:
    """Merge contiguous addresses per function code into as few reads as allowed."""
    blocks: list[ReadBlock] = []
    for fc in sorted({r.function for r in registers}):
        addrs = sorted({a for r in registers if r.function == fc for _, a in r.addresses()})
        start = prev = addrs[0]
        for a in addrs[1:]:
            if a != prev + 1 or a - start >= max_block:
                blocks.append(ReadBlock(fc, start, prev - start + 1))
                start = a
            prev = a
        blocks.append(ReadBlock(fc, start, prev - start + 1))
    return tuple(blocks)


def decode_registers(register_map: RegisterMap, blocks: Sequence[Sequence[int]]) -> ClimateReading:
    """Decode the values read for each of `register_map.reads` (same order) into one reading."""
    if len(blocks) != len(register_map.reads):
        raise DecodeError(f"expected {len(register_map.reads)} register blocks, got {len(blocks)}")
    image: dict[tuple[int, int], int] = {}
    for block, values in zip(register_map.reads, blocks, strict=True):
        if len(values) != block.count:
            raise DecodeError(f"block fc{block.function}@{block.address}: expected {block.count} values, "
                              f"got {len(values)}")
        limit = 1 if block.function in (1, 2) else 0xFFFF
        for i, v in enumerate(values):
            if not isinstance(v, int) or not 0 <= v <= limit:
                raise DecodeError(f"register {block.address + i} value {v!r} is not a {limit.bit_length()}-bit word")
            image[(block.function, block.address + i)] = v
    return register_map.decode_image(image)


# ---- captured traffic (RTU and TCP) -------------------------------------------------------

@dataclass(frozen=True)
class Pdu:
    unit: int
    function: int
    body: bytes
    is_response: bool


_READ_FCS = (1, 2, 3, 4)
_KNOWN_FCS = (1, 2, 3, 4, 5, 6, 15, 16)


def _rtu_lengths(buf: bytes) -> list[tuple[int, bool]]:
    """Candidate (frame length, is_response) for an RTU frame starting at buf[0]."""
    if len(buf) < 2:
        return []
    fc = buf[1]
    if fc & 0x80:
        return [(5, True)] if fc & 0x7F in _KNOWN_FCS else []
    if fc in _READ_FCS:
        out = [(8, False)]
        if len(buf) >= 3:
            out.append((5 + buf[2], True))
        return out
    if fc in (5, 6):
        return [(8, True)]
    if fc in (15, 16):
        out = [(8, True)]
        if len(buf) >= 7:
            out.append((9 + buf[6], False))
        return out
    return []


def decode_rtu_frame(frame: bytes, is_response: bool) -> Pdu:
    if len(frame) < 4 or crc16_modbus(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
        raise DecodeError("bad CRC", frame)
    return Pdu(frame[0], frame[1], frame[2:-2], is_response)


def decode_tcp_frame(frame: bytes) -> Pdu:
    """An MBAP frame; a read request is told from a response by its length (6 = request)."""
    if len(frame) < 8 or frame[2:4] != b"\0\0":
        raise DecodeError("not a Modbus TCP frame (protocol id must be 0)", frame)
    length = int.from_bytes(frame[4:6], "big")
    if length != len(frame) - 6:
        raise DecodeError(f"MBAP length {length} does not match {len(frame) - 6} bytes", frame)
    fc, body = frame[7], frame[8:]
    is_response = bool(fc & 0x80) or fc not in _READ_FCS or (bool(body) and body[0] == len(body) - 1)
    return Pdu(frame[6], fc, body, is_response)


class ModbusTraceDecoder:
    """Readings from captured Modbus traffic: requests tell where a response's registers start."""

    max_buffer = 512

    def __init__(self, register_map: RegisterMap) -> None:
        self.map = register_map
        self._buf = bytearray()
        self._junk = bytearray()
        self._pending: dict[tuple[int, int], tuple[int, int]] = {}

    def feed(self, data: bytes) -> list[Item]:
        self._buf += data
        return self._run(final=False)

    def finish(self) -> list[Item]:
        out = self._run(final=True)
        self._flush_junk(out)
        self._pending.clear()
        return out

    def _run(self, final: bool) -> list[Item]:
        out: list[Item] = []
        while self._buf:
            step = self._next_frame(bytes(self._buf[:260]), final)
            if step is None:  # need more bytes
                if len(self._buf) <= self.max_buffer:
                    break
                step = (1, None)
            length, pdu = step
            if pdu is None:
                self._junk += self._buf[:1]
                del self._buf[:1]
                if len(self._junk) >= 256:
                    self._flush_junk(out)
                continue
            self._flush_junk(out)
            frame = bytes(self._buf[:length])
            del self._buf[:length]
            item = self._pdu(pdu, frame)
            if item is not None:
                out.append(item)
        return out

    def _flush_junk(self, out: list[Item]) -> None:
        if self._junk:
            out.append(DecodeError("bytes that form no valid Modbus frame (bad CRC, garbage or partial)",
                                   bytes(self._junk)))
            self._junk.clear()

    def _next_frame(self, buf: bytes, final: bool) -> tuple[int, Pdu | None] | None:
        """(length, pdu) of the frame at buf[0]; pdu None = no frame starts here; None = wait."""
        waiting = len(buf) < 8
        for length, is_response in _rtu_lengths(buf):
            if length > len(buf):
                waiting = True
            elif crc16_modbus(buf[: length - 2]) == int.from_bytes(buf[length - 2: length], "little"):
                return length, decode_rtu_frame(buf[:length], is_response)
        if len(buf) >= 8 and buf[2:4] == b"\0\0" and (buf[7] & 0x7F) in _KNOWN_FCS:
            length = 6 + int.from_bytes(buf[4:6], "big")
            if length <= len(buf):
                if length >= 8:
                    return length, decode_tcp_frame(buf[:length])
            elif length <= 260:
                waiting = True
        return None if waiting and not final else (1, None)

    def _pdu(self, pdu: Pdu, frame: bytes) -> Item | None:
        fc = pdu.function & 0x7F
        if pdu.function & 0x80:
            code = pdu.body[0] if pdu.body else -1
            return DecodeError(f"device exception {code:02X} ({_EXCEPTIONS.get(code, 'unknown')}) "
                               f"to function {fc}", frame)
        if fc not in _READ_FCS:
            return None  # writes and their echoes carry no reading
        if not pdu.is_response:
            if len(pdu.body) != 4:
                return DecodeError("read request must carry address and count (4 bytes)", frame)
            address, count = struct.unpack(">HH", pdu.body[:4])
            self._pending[(pdu.unit, fc)] = (address, count)
            return None
        data = pdu.body[1:]
        if not pdu.body or pdu.body[0] != len(data):
            return DecodeError("byte count does not match the data", frame)
        start = self._start_of(pdu.unit, fc, data)
        if start is None:
            return DecodeError("response without a matching request; cannot place its registers", frame)
        image: dict[tuple[int, int], int] = {}
        if fc in (1, 2):
            address, count = start
            for i in range(min(count, len(data) * 8)):
                image[(fc, address + i)] = data[i // 8] >> (i % 8) & 1
        else:
            if len(data) % 2:
                return DecodeError("odd register byte count", frame)
            for i in range(len(data) // 2):
                image[(fc, start[0] + i)] = int.from_bytes(data[2 * i: 2 * i + 2], "big")
        if not any(all(a in image for a in r.addresses()) for r in self.map.registers):
            return DecodeError(f"registers fc{fc}@{start[0]}+{len(image)} hold nothing this profile maps", frame)
        try:
            return self.map.decode_image(image, partial=True)
        except DecodeError as exc:
            return DecodeError(exc.reason, frame, exc.field)

    def _start_of(self, unit: int, fc: int, data: bytes) -> tuple[int, int] | None:
        pending = self._pending.pop((unit, fc), None)
        if pending is not None:
            return pending
        # No request seen: a trace of responses only. Place it at the start of the profile's one
        # planned read of that function code, which is what a poller of this profile sends.
        n = len(data) * 8 if fc in (1, 2) else len(data) // 2
        fits = [b for b in self.map.reads if b.function == fc and
                (n <= b.count if fc in (3, 4) else len(data) == (b.count + 7) // 8)]
        return (fits[0].address, min(n, fits[0].count)) if len(fits) == 1 else None
