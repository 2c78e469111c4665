"""Great-circle distances on numpy arrays.

Locations are stored once as unit vectors; a query is then one matrix-vector product, and
the arc between two points is the arccos of their dot product: the same great circle as the
haversine formula (kept below as the reference), without per-query sines and cosines.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

# Mean Earth radius (IUGG), the one geopy's great_circle uses, so figures agree with it.
EARTH_RADIUS_KM = 6371.009

FloatArray = npt.NDArray[np.float64]


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """(n, 3) unit vectors of points given in decimal degrees."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)), axis=-1)


def unit_vector(lat: float, lon: float) -> FloatArray:
    """The unit vector of one point given in decimal degrees."""
    phi, lam = math.radians(lat), math.radians(lon)
    cos_phi = math.cos(phi)
    return np.array((cos_phi * math.cos(lam), cos_phi * math.sin(lam), math.sin(phi)))


def km_from_dot(dot: FloatArray) -> FloatArray:
    """Great-circle km from the dot products of unit vectors (clipped against rounding).

    arccos loses precision for tiny angles, but only to about 0.1 m here, far below the
    0.1 km shown; it costs half the array passes of the haversine form.
    """
    return np.arccos(np.maximum(np.minimum(dot, 1.0), -1.0)) * EARTH_RADIUS_KM


def haversine_km(lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike) -> FloatArray:
    """Great-circle km from one point to many, by the textbook haversine formula."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    phi2 = np.radians(np.asarray(lats, dtype=np.float64))
    lam2 = np.radians(np.asarray(lons, dtype=np.float64))
    h: FloatArray = (
        np.sin((phi2 - phi1) * 0.5) ** 2
        + math.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) * 0.5) ** 2
    )
    return np.arcsin(np.sqrt(np.minimum(h, 1.0))) * (2.0 * EARTH_RADIUS_KM)
