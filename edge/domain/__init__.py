"""Pure rules of the edge: no SQLite, no HTTP, no clock (time is passed in)."""
