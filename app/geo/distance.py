"""Distances on the sphere: one at a time (geopy great-circle) or many at once (numpy).

Great-circle on a sphere is within 0.5 % of the ellipsoidal (geodesic) distance, well inside
what "how far is this centre" needs, and orders of magnitude cheaper in a ranking loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from geopy.distance import EARTH_RADIUS, great_circle

EARTH_RADIUS_KM: float = float(EARTH_RADIUS)  # the radius geopy's great_circle uses

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points (decimal degrees)."""
    return float(great_circle((lat1, lon1), (lat2, lon2)).km)


def haversine_km(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Distances in km from one point to many, vectorised (same sphere as `great_circle_km`)."""
    phi1 = np.radians(lat)
    phi2 = np.radians(np.asarray(lats, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lons, dtype=np.float64) - lon)
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    result: FloatArray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result
