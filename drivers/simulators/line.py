"""Simulated line-protocol devices (refractometers, serial scanners) on a pty.

Frames are encoded by the profile itself: a line profile renders readings through its `emit`
template; a profile without one (scanners) replays its documented sample frames. Streaming
devices talk every `interval_s`; request/response devices answer each request of the profile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from drivers.codecs.line import LineSpec
from drivers.profiles import Profile
from drivers.readings import Reading
from drivers.simulators.pty import PtyPort


def profile_frames(profile: Profile) -> list[bytes]:
    """Wire frames for the profile's good samples, re-encoded through the profile where it can."""
    good = [s for s in profile.samples if "error" not in s and "input" in s]
    raw = [str(s["input"]).encode("latin-1", "replace") for s in good]
    spec = profile.spec
    if not isinstance(spec, LineSpec) or spec.emit is None:
        return raw
    decoder = profile.make_decoder()
    readings = [r for frame in raw for r in decoder.feed(frame) if isinstance(r, Reading)]
    return [frame for frame in map(_encode_or_none(spec), readings) if frame is not None] or raw


def _encode_or_none(spec: LineSpec) -> Callable[[Reading], bytes | None]:
    """A sample the emit template cannot express (say, a missing temperature) is left out, not fatal."""
    def encode(reading: Reading) -> bytes | None:
        try:
            return spec.encode(reading)
        except (TypeError, ValueError, KeyError):
            return None
    return encode


class LineDeviceSim:
    """A line device on a pty; faults: garbage, partial frames, slow answers, silence, unplug."""

    def __init__(self, profile: Profile, link: str | Path | None = None, *, interval_s: float = 0.05,
                 frames: list[bytes] | None = None) -> None:
        self.profile = profile
        self.port = PtyPort(link)
        self.interval_s = interval_s
        self.frames = frames or profile_frames(profile)
        if not self.frames:
            raise ValueError(f"profile {profile.name} has no sample frames to simulate")
        self.mode = profile.transport.mode
        self.request = profile.transport.request
        self.sent = 0
        self.silent = False
        self.delay_s = 0.0
        self._inject: list[bytes] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def path(self) -> str:
        return self.port.path

    def start(self) -> None:
        self._task = asyncio.create_task(self._answer() if self.mode == "request" else self._stream())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.port.close()

    def emit(self, reading: Reading) -> None:
        """Send one specific reading (line profiles with an emit template)."""
        assert isinstance(self.profile.spec, LineSpec)
        self._inject.append(self.profile.spec.encode(reading))

    def send_raw(self, data: bytes) -> None:
        self._inject.append(data)

    def garbage(self, size: int = 40) -> None:
        self._inject.append(os.urandom(size))

    def partial(self) -> None:
        """Half a frame, then (on the next turn) a fresh full one: a cut cable or reset mid-line."""
        frame = self.frames[self.sent % len(self.frames)]
        self._inject.append(frame[: len(frame) // 2])

    def _next(self) -> bytes:
        if self._inject:
            return self._inject.pop(0)
        frame = self.frames[self.sent % len(self.frames)]
        self.sent += 1
        return frame

    async def _stream(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if not self.silent:
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                self.port.write(self._next())

    async def _answer(self) -> None:
        assert self.request is not None
        pending = b""
        while True:
            pending += await self.port.read()
            while self.request in pending:
                pending = pending.split(self.request, 1)[1]
                if self.silent:
                    continue
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                self.port.write(self._next())
            pending = pending[-len(self.request):]
