"""Routing for Haolin Edge: pick paths in the warehouse, picker tours, delivery routes (CVRPTW).

A pure library: it knows nothing of the edge and imports only numpy, OR-Tools, vrplib, PyYAML
and, when installed, the peer engines pyvroom and PyVRP.
"""
