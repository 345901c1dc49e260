"""Camera scanner for stations without a handheld: OpenCV frames decoded with pyzbar.

Frames are grabbed in a worker thread (OpenCV blocks); each decoded symbol becomes a
`ScanReading` through the same scanner codec as serial scanners, with the AIM identifier
pyzbar's symbology implies. The same code seen again within `dedupe_s` is one scan, not many.
A file or stream that ends is reopened (with the transport backoff) like an unplugged camera.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import cv2
from pyzbar import pyzbar

from drivers.codecs.base import Item
from drivers.codecs.scanner import ScannerSpec, decode_scan
from drivers.errors import DecodeError, TransportError
from drivers.profiles import Profile
from drivers.transports.backoff import Backoff

from .base import Device

AIM_BY_ZBAR = {"CODE128": "]C0", "QRCODE": "]Q1", "EAN13": "]E0", "EAN8": "]E4", "UPCA": "]E0",
               "CODE39": "]A0", "I25": "]I0", "DATABAR": "]e0", "DATABAR_EXP": "]e0"}


class CameraScanner(Device):
    kind = "scanner"

    def __init__(self, device_id: str, source: int | str, *, profile: Profile | None = None,
                 interval_s: float = 0.2, dedupe_s: float = 2.0) -> None:
        super().__init__(device_id, profile.name if profile else None)
        self.source = source
        self.interval_s = interval_s
        self.dedupe_s = dedupe_s
        self.separators = profile.spec.separators if profile and isinstance(profile.spec, ScannerSpec) else ("\x1d",)
        self.backoff = Backoff(initial=0.5, cap=30.0)
        self.opens = 0
        self._cap: Any = None
        self._attempted = False
        self._seen: dict[str, float] = {}

    @property
    def reconnects(self) -> int:
        return max(0, self.opens - 1)

    @property
    def link(self) -> str:
        return f"camera {self.source}"

    async def open(self) -> None:
        if self._cap is not None:
            return
        if self._attempted:
            await asyncio.sleep(self.backoff.next_delay())
        self._attempted = True
        cap = await asyncio.to_thread(lambda: cv2.VideoCapture(self.source))
        if not cap.isOpened():
            raise TransportError(f"camera {self.source}: cannot open")
        self._cap = cap
        self.opens += 1

    async def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            await asyncio.to_thread(cap.release)

    async def step(self) -> list[Item]:
        await asyncio.sleep(self.interval_s)
        if self._cap is None:
            raise TransportError(f"camera {self.source}: closed")
        ok, frame = await asyncio.to_thread(self._cap.read)
        if not ok:
            raise TransportError(f"camera {self.source}: no frame (unplugged or end of stream)")
        self.backoff.reset()
        return self.decode_frame(frame)

    def decode_frame(self, frame: Any) -> list[Item]:
        now = time.monotonic()
        out: list[Item] = []
        for symbol in pyzbar.decode(frame):
            try:
                text = symbol.data.decode("utf-8")
            except UnicodeDecodeError:
                out.append(DecodeError(f"{symbol.type} payload is not UTF-8", symbol.data))
                continue
            if now - self._seen.get(text, -1e9) < self.dedupe_s:
                continue
            self._seen[text] = now
            aim = AIM_BY_ZBAR.get(symbol.type, "")
            try:
                out.append(decode_scan(aim + text, self.separators))
            except DecodeError as exc:
                out.append(exc)
        return out
