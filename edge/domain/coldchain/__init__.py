"""Cold-chain rules, pure: temperature bands, the alarm state machine, MKT, rollups and exposure.

Nothing here touches SQLite, HTTP or a clock: times come in as arguments (event times).
"""
