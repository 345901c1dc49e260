"""A network label printer on TCP (port 9100 style) that records every printed job.

ESC/POS: answers DLE EOT 1-4 from its state; TSPL: answers <ESC>!? with its status byte; ZPL:
answers ~HS (or stays silent when the head is open or media is out, as newer firmware does). Print
data is split into jobs at the cut (GS V), the TSPL `PRINT` line or ^XZ; a job is *printed*
(recorded in `printed`) only if paper and cover are fine when it completes, otherwise it is
*rejected* — like a printer that stops at paper end and flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

DLE_EOT = b"\x10\x04"
CUT = b"\x1dV"
TSPL_STATUS = b"\x1b!?"
TSPL_PRINT = re.compile(rb"(?:^|\r\n)PRINT [0-9]+(?:,[0-9]+)?\r\n")
LANGUAGES = ("escpos", "tspl", "zpl")


class PrinterSim:
    def __init__(self, language: str = "escpos") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown printer language {language!r}")
        self.language = language
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.offline = False
        self.silent = False
        self.run_out_during_next_job = False
        self.received = bytearray()
        self.printed: list[bytes] = []
        self.rejected: list[bytes] = []
        self.status_requests = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._client, host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def escpos_status(self, n: int) -> int:
        byte = 0x12
        if n == 1 and (self.offline or self.paper_out or self.cover_open):
            byte |= 0x08
        elif n == 2:
            byte |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        elif n == 4:
            byte |= (0x0C if self.paper_near_end else 0) | (0x60 if self.paper_out else 0)
        return byte

    def tspl_status(self) -> int:
        """<ESC>!? byte: bit 0 head open, 2 paper out, 4 paused."""
        return (0x01 if self.cover_open else 0) | (0x04 if self.paper_out else 0) | (0x10 if self.offline else 0)

    def zpl_status(self) -> bytes:
        paper, head = int(self.paper_out), int(self.cover_open)
        return (f"\x02030,{paper},0,0812,000,0,0,0,000,0,0,0\x03\r\n"
                f"\x02001,0,{head},0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n").encode()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        job = bytearray()
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while data := await reader.read(4096):
                self.received += data
                job += data
                job = self._consume(job, writer)
                await writer.drain()
        writer.close()

    def _consume(self, buf: bytearray, writer: asyncio.StreamWriter) -> bytearray:
        while True:
            if self.language == "escpos":
                idx = buf.find(DLE_EOT)
                if idx >= 0 and len(buf) >= idx + 3:
                    n = buf[idx + 2]
                    del buf[idx:idx + 3]
                    self.status_requests += 1
                    if not self.silent and n in (1, 2, 3, 4):
                        writer.write(bytes([self.escpos_status(n)]))
                    continue
                end = buf.find(CUT)
                if end >= 0 and len(buf) >= end + 3:
                    self._finish(bytes(buf[:end + 3]))
                    del buf[:end + 3]
                    continue
            elif self.language == "tspl":
                idx = buf.find(TSPL_STATUS)
                if idx >= 0:
                    del buf[idx:idx + 3]
                    self.status_requests += 1
                    if not self.silent:
                        writer.write(bytes([self.tspl_status()]))
                    continue
                command = TSPL_PRINT.search(buf)
                if command is not None:
                    self._finish(bytes(buf[:command.end()]))
                    del buf[:command.end()]
                    continue
            else:
                idx = buf.find(b"~HS")
                if idx >= 0:
                    del buf[idx:idx + 3]
                    self.status_requests += 1
                    if not self.silent:  # `silent` models newer firmware that says nothing in a fault
                        writer.write(self.zpl_status())
                    continue
                end = buf.find(b"^XZ")
                if end >= 0:
                    self._finish(bytes(buf[:end + 3]).strip())
                    del buf[:end + 3]
                    continue
            return buf

    def _finish(self, job: bytes) -> None:
        if self.run_out_during_next_job:
            self.run_out_during_next_job = False
            self.paper_out = True
        if self.paper_out or self.cover_open or self.offline:
            self.rejected.append(job)
        else:
            self.printed.append(job)
