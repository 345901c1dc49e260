"""A link between an edge and HQ that a test or a bench controls: it passes, drops or stalls.

A TCP proxy on loopback: `drop` refuses new connections and cuts the open ones, `stall` holds
every byte until the mode changes. Used by the fault tests and `bench/sync_chaos.py`.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress


class TcpProxy:
    """A link the test controls: `pass`, `drop` (refuse and cut connections) or `stall` (hold bytes)."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.mode = "pass"
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.cut_connections = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        assert mode in ("pass", "drop", "stall")
        self.mode = mode
        if mode == "drop":
            with self._lock:
                conns, self._conns = self._conns, []
            for conn in conns:
                self.cut_connections += 1
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.mode == "drop":
                self.cut_connections += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.mode == "stall" and not self._closed:
                    time.sleep(0.02)
                if self.mode == "drop":
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()
        self.set("drop")
