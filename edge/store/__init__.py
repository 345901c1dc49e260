"""The edge's SQLite store: connections, migrations and the one write API."""

from edge.store.db import Store, Write

__all__ = ["Store", "Write"]
