"""Use cases: compose the pure domain with the store (and drivers); API and CLI call these."""
