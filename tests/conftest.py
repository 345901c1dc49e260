"""Shared pytest configuration: fixture plugins for the edge node and the MQTT broker."""

pytest_plugins = ["tests.fixtures.broker", "tests.fixtures.edge", "tests.hq_sync.hq_sync_report",
                  "tests.fixtures.browser"]
