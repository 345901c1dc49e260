"""Platform scales on a pseudo-terminal: the real drivers against simulators speaking MT-SICS
(request/response) and the XK3190-A9 continuous output, with the bytes each side sends."""

from __future__ import annotations

import functools
from pathlib import Path

from drivers.codecs.line import LineSpec
from drivers.profiles import load_profile
from drivers.readings import WeightReading
from drivers.simulators.line import LineDeviceSim
from drivers.site import parse_site
from drivers.supervisor import ReadingEvent, Supervisor
from tests.drivers_runtime.helpers import eventually


def xk3190_frame(weight: int, decimals: int) -> bytes:
    """An XK3190 tF=0 frame as the indicator sends it: STX, sign, 6 digits, decimals, XOR as hex, ETX."""
    body = f"{'-' if weight < 0 else '+'}{abs(weight):06d}{decimals}".encode("ascii")
    check = functools.reduce(lambda a, b: a ^ b, body)
    return b"\x02" + body + f"{check:02X}".encode("ascii") + b"\x03"


class Weights:
    """Every weight one device has put on the supervisor's bus so far, in order."""

    def __init__(self, supervisor: Supervisor, device_id: str) -> None:
        self.events = supervisor.subscribe()
        self.device_id = device_id
        self.seen: list[WeightReading] = []

    def __call__(self) -> list[WeightReading]:
        while (ev := self.events.get_nowait()) is not None:
            if isinstance(ev, ReadingEvent) and ev.device_id == self.device_id and isinstance(ev.reading,
                                                                                               WeightReading):
                self.seen.append(ev.reading)
        return self.seen


def test_xk3190_frame_matches_the_manuals_example() -> None:
    assert xk3190_frame(1560, 0).hex(" ").upper() == "02 2B 30 30 31 35 36 30 30 31 39 03"
    assert xk3190_frame(2000, 2).hex(" ").upper() == "02 2B 30 30 32 30 30 30 32 31 42 03"


async def test_mt_sics_scale_is_asked_and_tells_moving_from_stable(tmp_path: Path) -> None:
    profile = load_profile("mettler-toledo-sics")
    sim = LineDeviceSim(profile, tmp_path / "by-id" / "usb-MT-IND-if00")
    for kg, status in ((12.31, "D"), (12.347, "D"), (12.345, "S")):
        sim.emit(WeightReading(weight_kg=kg, stable=status == "S", extra={"status": status}))
    sim.start()
    site = parse_site({"devices": [{"id": "dock-scale-1", "profile": "mettler-toledo-sics", "port": sim.path,
                                    "poll_interval_s": 0.05, "location": "dock 1"}]})
    sup = Supervisor(site)
    drain = Weights(sup, "dock-scale-1")

    async with sup:
        await eventually(lambda: len(drain()) >= 4, what="four answers to SI")
    got = drain()
    assert [(r.weight_kg, r.stable) for r in got[:3]] == [(12.31, False), (12.347, False), (12.345, True)]
    assert all(r.net is True for r in got)
    assert sup.status()[0].errors == 0
    await sim.stop()


def test_mt_sics_reply_bytes_are_what_the_terminal_sends() -> None:
    spec = load_profile("mettler-toledo-sics").spec
    assert isinstance(spec, LineSpec)
    reading = WeightReading(weight_kg=12.345, stable=True, extra={"status": "S"})
    frame = spec.encode(reading)
    assert frame == b"SI S     12.345 kg\r\n"
    decoder = load_profile("mettler-toledo-sics").make_decoder()
    (back,) = decoder.feed(frame)
    assert isinstance(back, WeightReading) and back.weight_kg == 12.345 and back.stable is True


async def test_xk3190_stream_is_stable_only_after_five_equal_frames(tmp_path: Path) -> None:
    swinging = [xk3190_frame(w, 2) for w in (1180, 1234, 1262, 1229)]
    settled = [xk3190_frame(1234, 2)] * 6
    sim = LineDeviceSim(load_profile("yaohua-xk3190-a9"), tmp_path / "by-id" / "usb-XK3190-if00",
                        interval_s=0.01, frames=swinging + settled)
    sim.send_raw(b"\x15\xff\x02+00\x03")  # line noise and a cut frame first: counted, never a weight
    sim.start()
    site = parse_site({"devices": [{"id": "dock-scale-2", "profile": "yaohua-xk3190-a9", "port": sim.path}]})
    sup = Supervisor(site)
    drain = Weights(sup, "dock-scale-2")

    async with sup:
        await eventually(lambda: sum(1 for r in drain() if r.stable) >= 2, what="a settled weight")
    got = drain()
    first_stable = next(i for i, r in enumerate(got) if r.stable)
    assert got[first_stable].weight_kg == 12.34
    assert [r.weight_kg for r in got[first_stable - 4: first_stable + 1]] == [12.34] * 5
    assert not any(r.stable for r in got[:first_stable])
    assert sup.status()[0].errors >= 1
    await sim.stop()
