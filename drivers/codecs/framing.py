"""Cut a byte stream into frames: optional start byte(s), one of several terminators, a size cap.

Bytes outside frames are reported (except whitespace between frames), a frame cut short by a
new start is reported, and a frame that grows past `max_frame` without a terminator is
reported and dropped, so memory stays bounded whatever the device sends.
"""

from __future__ import annotations

from collections.abc import Sequence

from drivers.errors import DecodeError

Frame = bytes | DecodeError


class Framer:
    def __init__(self, end: Sequence[bytes], start: bytes | None = None, max_frame: int = 1024) -> None:
        if not end or any(not e for e in end):
            raise ValueError("at least one non-empty terminator is needed")
        # Longest first so that, at the same position, CR LF wins over CR.
        self.end = sorted(set(end), key=len, reverse=True)
        self.start = start or None
        self.max_frame = max_frame
        self._buf = bytearray()
        self._in_frame = self.start is None

    def _next_end(self, buf: bytearray, pos: int) -> tuple[int, int]:
        best = (-1, 0)
        for term in self.end:
            i = buf.find(term, pos)
            if i != -1 and (best[0] == -1 or i < best[0]):
                best = (i, len(term))
        return best

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        buf = self._buf
        while buf:
            if not self._in_frame:
                assert self.start is not None
                i = buf.find(self.start)
                if i == -1:
                    keep = len(self.start) - 1  # a start marker may be split across chunks
                    junk = bytes(buf[: len(buf) - keep]) if keep else bytes(buf)
                    del buf[: len(junk)]
                    if junk.strip():
                        out.append(DecodeError("bytes outside a frame", junk))
                    break
                if buf[:i].strip():
                    out.append(DecodeError("bytes outside a frame", bytes(buf[:i])))
                del buf[: i + len(self.start)]
                self._in_frame = True
                continue
            end_at, end_len = self._next_end(buf, 0)
            if self.start is not None:
                restart = buf.find(self.start)
                if restart != -1 and (end_at == -1 or restart < end_at):
                    out.append(DecodeError("frame cut short by a new start", bytes(buf[:restart])))
                    del buf[: restart + len(self.start)]
                    continue
            if end_at == -1:
                if len(buf) > self.max_frame:
                    out.append(DecodeError(f"no terminator within {self.max_frame} bytes", bytes(buf)))
                    buf.clear()
                    self._in_frame = self.start is None
                break
            frame = bytes(buf[:end_at])
            del buf[: end_at + end_len]
            self._in_frame = self.start is None
            if len(frame) > self.max_frame:
                out.append(DecodeError(f"frame longer than {self.max_frame} bytes", frame))
            elif frame.strip() or self.start is not None:
                out.append(frame)
        return out

    def finish(self) -> list[DecodeError]:
        rest = bytes(self._buf)
        self._buf.clear()
        in_frame, self._in_frame = self._in_frame, self.start is None
        if rest.strip() or (in_frame and self.start is not None and rest):
            return [DecodeError("incomplete frame at end of input", rest)]
        return []
