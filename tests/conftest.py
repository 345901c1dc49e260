"""Shared pytest configuration: fixture plugins for the edge node and the MQTT broker."""

pytest_plugins = ["tests.fixtures.broker", "tests.fixtures.edge", "tests.fixtures.browser"]
