"""Delivery routing (CVRPTW): instances, readers, engines, plans."""
