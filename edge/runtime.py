"""Run the web app under uvicorn, telling systemd when it is ready and that it is alive."""

from __future__ import annotations

import os
import threading
import time

import sdnotify
import uvicorn
from fastapi import FastAPI


def _notify_systemd(server: uvicorn.Server) -> None:
    """READY=1 once uvicorn listens, then WATCHDOG=1 at half the watchdog interval while it serves."""
    notifier = sdnotify.SystemdNotifier()
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    notifier.notify("READY=1")
    interval_us = int(os.environ.get("WATCHDOG_USEC", "0"))
    while interval_us and not server.should_exit:
        notifier.notify("WATCHDOG=1")
        time.sleep(interval_us / 2_000_000)


def serve(app: FastAPI, host: str, port: int) -> None:
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False))
    if os.environ.get("NOTIFY_SOCKET"):
        threading.Thread(target=_notify_systemd, args=(server,), daemon=True, name="sd-notify").start()
    server.run()
