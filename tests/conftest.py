"""Shared pytest configuration: fixture plugins (edge node, broker, browser, async tests)."""

pytest_plugins = ["tests.fixtures.broker", "tests.fixtures.edge", "tests.hq_sync.hq_sync_report",
                  "tests.fixtures.browser", "tests.fixtures.async_tests"]
