"""A private Mosquitto for tests and the demo: own config, loopback listener on a free port.

Production sites point the drivers at their own broker (site config `mqtt:` section); this is
only for running without one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from drivers.errors import TransportError

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """A running mosquitto process; `stop()` ends it."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    config_path: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _executable() -> str:
    found = shutil.which("mosquitto") or (MOSQUITTO if os.path.exists(MOSQUITTO) else None)
    if found is None:
        raise TransportError("mosquitto not found: install the Debian package `mosquitto`")
    return found


def start_broker(data_dir: str | Path, *, host: str = "127.0.0.1", port: int | None = None,
                 timeout: float = 10.0) -> Broker:
    """Write a config into `data_dir` (persistence there too), start mosquitto, wait until it accepts."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    for attempt in range(5):
        chosen = port or free_port(host)
        config = data / "mosquitto.conf"
        log = data / "mosquitto.log"
        run_as = "user root\n" if os.geteuid() == 0 else ""  # else mosquitto drops to a user that cannot write data_dir
        config.write_text(
            f"listener {chosen} {host}\nallow_anonymous true\n{run_as}"
            f"persistence true\npersistence_location {data}/\n"
            "log_dest stderr\nlog_type error\nlog_type warning\n"
        )
        with open(log, "ab") as log_file:
            proc = subprocess.Popen([_executable(), "-c", str(config)], stdout=log_file, stderr=log_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection((host, chosen), 0.2):
                    return Broker(host, chosen, proc, config, log)
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if port is not None or attempt == 4:
            break
    raise TransportError(f"mosquitto did not start on {host}:{port or 'a free port'}; see {data}/mosquitto.log")
