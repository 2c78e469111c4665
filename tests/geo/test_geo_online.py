"""Optional online geocoding: off by default, and any failure falls back to offline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geopy.exc import GeocoderUnavailable

from app.geo import geocode_address

ADDRESS = "100 rue Exemple, Trois-Rivières, QC G8T 2A1"


@dataclass
class FoundAt:
    latitude: float
    longitude: float
    address: str


class StubGeocoder:
    """Answers like geopy's Nominatim, without a network; records what it was asked."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.answer, self.error, self.calls = answer, error, []

    def geocode(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((query, kwargs))
        if self.error:
            raise self.error
        return self.answer


def test_disabled_geocoding_never_calls_out_and_answers_offline() -> None:
    stub = StubGeocoder(FoundAt(0.0, 0.0, "nowhere"))
    place = geocode_address(ADDRESS, enabled=False, user_agent="test", geocoder=stub)
    assert stub.calls == []
    assert place is not None and place.region_code == "04"
    assert place.municipality_code == "37067" and place.kind == "postal_code"


def test_enabled_geocoding_returns_the_street_point() -> None:
    stub = StubGeocoder(FoundAt(46.3501, -72.5491, "100, Rue Exemple, Trois-Rivières"))
    place = geocode_address(ADDRESS, enabled=True, user_agent="test", geocoder=stub)
    assert place is not None and (place.lat, place.lon) == (46.3501, -72.5491)
    assert place.kind == "point" and place.region_code == "04"
    assert stub.calls[0][1]["country_codes"] == "ca"


def test_any_online_failure_falls_back_to_offline() -> None:
    for stub in (
        StubGeocoder(error=GeocoderUnavailable("down")),
        StubGeocoder(answer=None),
        StubGeocoder(FoundAt(45.4215, -75.6972, "Ottawa")),  # outside Québec
    ):
        place = geocode_address(ADDRESS, enabled=True, user_agent="test", geocoder=stub)
        assert place is not None and place.municipality_code == "37067"


def test_offline_reads_the_municipality_without_a_postal_code() -> None:
    place = geocode_address("12 rue Principale, Val d'Or", enabled=False, user_agent="test")
    assert place is not None and place.municipality_code == "89008"


def test_an_address_with_nothing_in_quebec_gives_none() -> None:
    assert (
        geocode_address("1 Main Street, Ottawa, ON K1A 0B1", enabled=False, user_agent="test")
        is None
    )
    assert geocode_address("", enabled=False, user_agent="test") is None
