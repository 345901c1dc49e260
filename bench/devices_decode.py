"""Decode throughput per codec family, in frames per second, next to a bare reference.

Each case decodes a trace of N frames from a shipped profile's sample through the same
streaming decoder a driver uses (in 4 KiB chunks) and times the minimal work any decoder must
do on the same bytes in the same run (split lines, struct.unpack registers, json.loads, biip
alone), so the ratio survives a noisy machine. One JSON object per line on stdout.
"""

from __future__ import annotations

import json
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import biip

from drivers.codecs.modbus import decode_registers
from drivers.codecs.mqtt import decode_payload
from drivers.profiles import load_profile

FRAMES = 20000


def rate(fn: Callable[[], int], repeat: int = 3) -> float:
    best = float("inf")
    frames = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        frames = fn()
        best = min(best, time.perf_counter() - t0)
    return frames / best


def stream_case(profile_name: str, frame: bytes, reference: Callable[[bytes], int], ref_name: str,
                per_unit: int = 1) -> dict:
    """`frame` holds `per_unit` frames; the trace repeats it until it holds FRAMES frames."""
    profile = load_profile(profile_name)
    data = frame * (FRAMES // per_unit)

    def ours() -> int:
        dec = profile.make_decoder()
        n = 0
        for i in range(0, len(data), 4096):
            n += len(dec.feed(data[i: i + 4096]))
        return n + len(dec.finish())

    assert ours() == FRAMES, profile_name
    return finish(profile.family, profile_name, rate(ours), ref_name, rate(lambda: reference(data)))


def finish(family: str, case: str, ours: float, ref_name: str, ref: float) -> dict:
    return {"bench": "devices_decode", "case": f"{family}:{case}", "frames_per_s": round(ours),
            "reference": {"name": ref_name, "frames_per_s": round(ref)}, "ratio_to_reference": round(ours / ref, 4)}


def split_fields(sep: bytes) -> Callable[[bytes], int]:
    def count(data: bytes) -> int:
        return sum(1 for line in data.split(sep) if line and line.split(b","))

    return count


def repeat(fn: Callable[[], object]) -> Callable[[], int]:
    def run() -> int:
        for _ in range(FRAMES):
            fn()
        return FRAMES

    return run


def main() -> None:
    rows = []
    for name in ("atago-prm-2000a", "kpatents-pr-01-s", "mettler-refracto-30px"):
        frame = load_profile(name).samples[0]["input"].encode("latin-1")
        sep = b"\r\n\x04" if frame.endswith(b"\x04") else b"\r\n"
        rows.append(stream_case(name, frame, split_fields(sep), "bytes.split lines+fields"))

    def biip_only(data: bytes) -> int:
        return len([biip.parse(x.decode()) for x in data.split(b"\r") if x])

    scan = b"]C101069012340000161725011510L24A\x1d3103001250\r"
    rows.append(stream_case("honeywell-serial-aim", scan, biip_only, "split + biip.parse alone"))

    rtu = bytes.fromhex("01 04 00 01 00 02 20 0B 01 04 04 00 2A 03 6B 9B 53")

    def unpack_only(data: bytes) -> int:
        return len([struct.unpack_from(">hH", data, i + 11) for i in range(0, len(data), len(rtu))])

    rows.append(stream_case("xy-md02", rtu, unpack_only, "struct.unpack at known offsets"))

    rmap = load_profile("carel-ir33").register_map()
    regs = [[34, 34, 0xFF4A, 0, 0]]
    packed = struct.pack(">5H", *regs[0])
    rows.append(finish("modbus", "carel-ir33 decode_registers", rate(repeat(lambda: decode_registers(rmap, regs))),
                       "struct.unpack 5 x int16", rate(repeat(lambda: struct.unpack(">5h", packed)))))

    for name in ("tasmota-sensor", "zigbee2mqtt-th-sensor", "shelly-ht"):
        profile = load_profile(name)
        mapping = profile.mqtt_mapping()
        sample = profile.samples[-2 if name == "shelly-ht" else 0]
        topic: str = sample["topic"]
        payload: bytes = sample["input"].encode()
        ours = rate(repeat(lambda m=mapping, t=topic, p=payload: decode_payload(m, t, p)))  # type: ignore[misc]
        ref = rate(repeat(lambda p=payload: json.loads(p)))  # type: ignore[misc]
        rows.append(finish("mqtt", name, ours, "json.loads alone", ref))

    def mask_only(data: bytes) -> int:
        return sum(1 for b in data[3::4] if b & 0x93 == 0x12)

    escpos = bytes.fromhex("10 04 01 12 10 04 02 12 10 04 03 12 10 04 04 1E")
    rows.append(stream_case("escpos-80mm-network", escpos, mask_only, "validity mask per reply byte", per_unit=4))
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
