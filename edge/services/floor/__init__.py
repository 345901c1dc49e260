"""Use cases of the floor: waves and tours, pick/sort/load/handoff scans, labels, routes, supervision.

Every state change goes through one `store.write` block and emits its event in it.
"""
