"""Pure rules of the floor: reading scans, picking, batching into tours, sorting, crates, loading.

No SQLite, no HTTP, no clock: the services pass in what the rules need and store what they decide.
"""
