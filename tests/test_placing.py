"""Placing imported locations: offline by default, online geocoding of street addresses when
turned on, never trusted across a region border, never needed to succeed."""

from __future__ import annotations

from app.geo import Place
from app.schemas.directory import LocationIn
from app.services.centres import Rules, resolve_locations
from app.settings import Settings
from tests.helpers.factories import STRONG_KEY

ADDRESS = LocationIn(address="1 rue Fictive", municipality="Trois-Rivières")


def fake(lat: float, lon: float, region: str) -> Place:
    return Place(label="geocoded", lat=lat, lon=lon, region_code=region, municipality=None,
                 municipality_code=None, kind="point")  # fmt: skip


def test_geocoded_point_is_used_when_turned_on() -> None:
    calls: list[str] = []

    def geocode(text: str) -> Place | None:
        calls.append(text)
        return fake(46.3501, -72.5601, "04")

    (loc,) = resolve_locations([ADDRESS], ["locations"], geocode=geocode)
    assert calls == ["1 rue Fictive, Trois-Rivières"]
    assert (loc.lat, loc.lon, loc.region_code) == (46.3501, -72.5601, "04")


def test_offline_when_the_geocoder_fails_or_strays() -> None:
    offline = resolve_locations([ADDRESS], ["locations"])[0]
    for answer in (None, fake(45.50, -73.57, "06")):
        (loc,) = resolve_locations([ADDRESS], ["locations"], geocode=lambda _t, a=answer: a)
        assert (loc.lat, loc.lon) == (offline.lat, offline.lon)


def test_rules_from_settings() -> None:
    assert Rules.from_settings(Settings()).geocode is None
    on = Rules.from_settings(
        Settings(geocoder="nominatim", env="production", secret_key=STRONG_KEY)
    )
    assert on.production and on.geocode is not None
