"""Point → region, the coast fallback, and distances."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic, great_circle

from app.geo import OutsideQuebec, get_resolver, great_circle_km, haversine_km
from app.geo.regions import COAST_FALLBACK_KM, fallback_km


@pytest.mark.parametrize(
    ("lat", "lon", "region"),
    [
        (45.5019, -73.5674, "06"),  # Montréal
        (45.5703, -73.7500, "13"),  # Laval
        (46.8139, -71.2080, "03"),  # Québec
        (46.3430, -72.5430, "04"),  # Trois-Rivières
        (45.4765, -75.7013, "07"),  # Gatineau
        (48.4490, -68.5230, "01"),  # Rimouski
        (50.2160, -66.3760, "09"),  # Sept-Îles
        (58.1060, -68.3990, "10"),  # Kuujjuaq
        (47.3800, -61.8600, "11"),  # Îles-de-la-Madeleine
        (48.6000, -68.6000, "01"),  # the St. Lawrence estuary belongs to a region
    ],
)
def test_region_at(lat: float, lon: float, region: str) -> None:
    assert get_resolver().region_at(lat, lon) == region


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (45.4215, -75.6972),  # Ottawa, 1 km across the river from Gatineau
        (48.0050, -66.6730),  # Campbellton, New Brunswick
        (52.9400, -66.9100),  # Labrador City
        (44.4700, -73.2100),  # Burlington, Vermont
        (48.8566, 2.3522),  # Paris
        (0.0, 0.0),
    ],
)
def test_points_outside_quebec(lat: float, lon: float) -> None:
    with pytest.raises(OutsideQuebec):
        get_resolver().region_at(lat, lon)


def test_points_just_off_the_northern_coast_fall_back_to_the_nearest_region() -> None:
    resolver = get_resolver()
    # In Hudson Bay, a few km off the coast near Inukjuak: no polygon contains it.
    lat, lon = 58.45, -78.30
    assert resolver.region_index.containing(lat, lon) is None
    assert fallback_km(lat, lon) == COAST_FALLBACK_KM
    assert resolver.region_at(lat, lon) == "10"
    with pytest.raises(OutsideQuebec):
        resolver.region_at(58.45, -79.5)  # further out in Hudson Bay


def test_region_geometry() -> None:
    resolver = get_resolver()
    geometry = resolver.region_geometry("09")
    assert geometry["type"] == "MultiPolygon"


def test_great_circle_matches_geopy() -> None:
    montreal, quebec = (45.5019, -73.5674), (46.8139, -71.2080)
    km = great_circle_km(*montreal, *quebec)
    assert km == pytest.approx(great_circle(montreal, quebec).km, rel=1e-9)
    assert km == pytest.approx(geodesic(montreal, quebec).km, rel=5e-3)
    pairs = [((0.0, 179.9), (0.0, -179.9)), ((62.58, -74.0), (45.0, -57.1)), (quebec, quebec)]
    for a, b in pairs:
        assert great_circle_km(*a, *b) == pytest.approx(great_circle(a, b).km, rel=1e-9, abs=1e-9)


def test_haversine_is_vectorised_and_agrees_with_great_circle() -> None:
    resolver = get_resolver()
    lats = np.array([m.lat for m in resolver.municipalities])
    lons = np.array([m.lon for m in resolver.municipalities])
    distances = haversine_km(46.343, -72.543, lats, lons)
    assert distances.shape == lats.shape
    for i in (0, 500, 1280):
        expected = great_circle_km(46.343, -72.543, lats[i], lons[i])
        assert distances[i] == pytest.approx(expected, rel=1e-9)
    assert distances.min() < 5  # Trois-Rivières itself
