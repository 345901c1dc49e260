"""Server-rendered page shells for PDAs and phones; data comes from the API."""
