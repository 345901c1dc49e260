"""HTTP API and pages: thin routers that parse, call one service, and render."""
