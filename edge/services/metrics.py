"""The node's health in Prometheus' text format (prometheus-client), read from the store at each scrape.

Sync state, devices and alarms are written by several processes (the agent, the uplink, the device
runtime) into SQLite, so a collector reads them when scraped rather than keep counters only one
process would see. HTTP latency is measured in the serving process, by route template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge.services.hq_port import sync_status
from edge.store import Store
from edge.store.db import parse_utc


class NodeCollector(Collector):
    """Gauges computed from the store: outbox, dead letters, sync each way, skew, devices, alarms, disk."""

    def __init__(self, store: Store, clock: Callable[[], dt.datetime]):
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        status = sync_status(self.store, now)
        state = {r["key"]: r["value"] for r in self.store.query("SELECT key, value FROM sync_state")}
        yield _gauge("haolin_outbox_depth", "Events waiting to go to HQ (dead letters not counted).",
                     status["queue_depth"])
        yield _gauge("haolin_outbox_oldest_age_seconds", "Age of the oldest event not yet acknowledged by HQ.",
                     status["oldest_unsent_age_seconds"] or 0.0)
        yield _gauge("haolin_sync_dead_letters", "Events HQ refused, waiting for a supervisor.",
                     status["dead_letters"])
        if status["lag_changes"] is not None:
            yield _gauge("haolin_sync_lag_changes", "HQ feed changes not yet applied, as of HQ's last known head.",
                         status["lag_changes"])
        if status["hq_clock_skew_s"] is not None:
            yield _gauge("haolin_hq_clock_skew_seconds", "HQ's clock minus this node's, from HQ's last answer.",
                         status["hq_clock_skew_s"])
        duration = GaugeMetricFamily("haolin_sync_duration_seconds", "How long the last successful push or"
                                     " pull (until caught up) took.", labels=["direction"])
        since = GaugeMetricFamily("haolin_sync_last_success_age_seconds", "Seconds since the last successful"
                                  " push or pull.", labels=["direction"])
        for direction in ("push", "pull"):
            if state.get(f"last_{direction}_seconds"):
                duration.add_metric([direction], float(state[f"last_{direction}_seconds"]))
            if state.get(f"last_{direction}_ok_at"):
                since.add_metric([direction], (now - parse_utc(state[f"last_{direction}_ok_at"])).total_seconds())
        yield duration
        yield since
        devices = GaugeMetricFamily("haolin_devices", "Devices by state.", labels=["state"])
        for device_state, count in self.store.conn.execute("SELECT state, COUNT(*) FROM device_status GROUP BY state"):
            devices.add_metric([device_state], count)
        yield devices
        yield _gauge("haolin_open_alarms", "Cold-chain alarms active now.",
                     self.store.scalar("SELECT COUNT(*) FROM cold_alarms WHERE state = 'active'"))
        yield _gauge("haolin_disk_free_bytes", "Free space where the database lives.", self.store.free_bytes())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def node_registry(store: Store, clock: Callable[[], dt.datetime]) -> tuple[CollectorRegistry, Histogram]:
    """A registry of one app (not the process-wide default, so tests can build many apps)."""
    registry = CollectorRegistry()
    registry.register(NodeCollector(store, clock))
    http = Histogram("haolin_http_request_duration_seconds", "HTTP request latency by route template.",
                     ["method", "route", "status"], registry=registry,
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    return registry, http
