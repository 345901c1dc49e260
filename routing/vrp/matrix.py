"""Distance and travel-time matrices from coordinates, when no road router is at hand.

Road distance is estimated as the great-circle (or straight) distance times a circuity factor
(typically 1.2-1.4 in cities); travel time at one speed. A site with an OSRM server supplies
both matrices instead.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def haversine_matrices(latlon: np.ndarray, circuity: float, speed_mps: float) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) between every pair of (lat, lon) points in degrees."""
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * circuity
    return d, d / speed_mps


def planar_matrices(xy: np.ndarray, circuity: float, speed_mps: float) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) between points given in metres on a plane."""
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) * circuity
    return d, d / speed_mps
