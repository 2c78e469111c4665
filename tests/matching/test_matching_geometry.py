"""Distances: the vectorised formulas agree with geopy's great circle."""

import numpy as np
import pytest
from geopy.distance import great_circle

from app.matching.geometry import haversine_km, km_from_dot, unit_vector, unit_vectors

POINTS = [
    (46.343, -72.543),  # Trois-Rivières
    (45.501, -73.567),  # Montréal
    (48.831, -64.487),  # Gaspé
    (62.200, -75.640),  # Salluit
    (46.343, -72.543),  # same point: zero
    (46.3431, -72.5431),  # about 14 m
]


def test_haversine_matches_geopy_great_circle():
    lats, lons = zip(*POINTS, strict=True)
    ours = haversine_km(46.343, -72.543, lats, lons)
    theirs = [great_circle((46.343, -72.543), p).km for p in POINTS]
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_unit_vector_dot_matches_haversine():
    lats, lons = zip(*POINTS, strict=True)
    dots = unit_vectors(lats, lons) @ unit_vector(45.501, -73.567)
    assert km_from_dot(dots) == pytest.approx(haversine_km(45.501, -73.567, lats, lons), abs=1e-6)


def test_rounding_past_the_poles_of_dot_gives_no_nan():
    km = km_from_dot(np.array([1.0 + 1e-15, -1.0 - 1e-15]))
    assert not np.isnan(km).any()
    assert km[0] == 0.0 and km[1] == pytest.approx(np.pi * 6371.009)
