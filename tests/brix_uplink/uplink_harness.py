"""Shared pieces of the uplink tests: a private HQ broker that can be stopped and restarted on
the same port with its persistence, an HQ consumer, and waiting helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from drivers.broker import Broker, start_broker
from hq_sync.reference_hq.coldchain.consumer import BrokerLink, UplinkConsumer
from hq_sync.reference_hq.coldchain.db import ColdChainDb


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class HqSide:
    """HQ's broker (restartable, persistent) and HQ's cold-chain consumer on it."""

    def __init__(self, root: Path) -> None:
        self.broker_dir = root / "hq-broker"
        self.broker: Broker = start_broker(self.broker_dir)
        self.port = self.broker.port
        self.db = ColdChainDb(root / "hq.sqlite3")
        self.consumer = UplinkConsumer(self.db, BrokerLink(port=self.port, client_id=f"hq-{root.name}"))
        self.consumer.start()
        wait_for(self.consumer.connected.is_set, 10, "HQ's consumer to connect")

    def stop_broker(self) -> None:
        self.broker.stop()

    def restart_broker(self) -> None:
        self.broker = start_broker(self.broker_dir, port=self.port)

    def close(self) -> None:
        self.consumer.stop()
        self.broker.stop()
        self.db.close()
