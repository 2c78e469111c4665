"""Optional online geocoding of full street addresses (OpenStreetMap Nominatim via geopy).

Off by default (`TTX_GEOCODER=off`). When on, any failure (network, quota, no result, a
point outside Québec) falls back to the offline resolver, which reads the postal code or the
municipality out of the address. Addresses are personal data: they are never logged.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from app.geo.places import GeoError, Place
from app.geo.postal import find_postal_code
from app.geo.resolver import Resolver, get_resolver

log = logging.getLogger(__name__)


class Geocoder(Protocol):
    """What geopy geocoders provide (and what tests substitute)."""

    def geocode(self, query: str, *args: Any, **kwargs: Any) -> Any: ...


def geocode_address(
    address: str,
    *,
    enabled: bool,
    user_agent: str,
    timeout: float = 5.0,
    geocoder: Geocoder | None = None,
    resolver: Resolver | None = None,
) -> Place | None:
    """A point for a street address: online when `enabled`, offline otherwise or on failure.

    Returns None when neither finds a place in Québec; never raises for a bad address.
    """
    res = resolver or get_resolver()
    if enabled:
        try:
            return _online(address, geocoder or _nominatim(user_agent, timeout), res)
        except Exception as exc:  # noqa: BLE001 - any failure means "use the offline answer"
            log.warning(
                "online geocoding failed (%s); using offline resolution", type(exc).__name__
            )
    return offline_address(address, res)


def _nominatim(user_agent: str, timeout: float) -> Geocoder:
    from geopy.geocoders import Nominatim

    geocoder: Geocoder = Nominatim(user_agent=user_agent, timeout=timeout)
    return geocoder


def _online(address: str, geocoder: Geocoder, res: Resolver) -> Place:
    found = geocoder.geocode(address, exactly_one=True, country_codes="ca")
    if found is None:
        raise LookupError("no result")
    lat, lon = float(found.latitude), float(found.longitude)
    region = res.region_at(lat, lon)
    label = str(getattr(found, "address", "") or f"{lat:.5f}, {lon:.5f}")
    return Place(label, lat, lon, region, None, None, "point", 1.0, (region,))


def offline_address(address: str, res: Resolver) -> Place | None:
    """The postal code and/or municipality read from `100 rue X, Ville, QC G9A 1A1`."""
    postal = find_postal_code(address)
    postal_text = postal.text if postal else None
    town = _municipality_in(address, postal_text, res)
    try:
        return res.place(postal_code=postal_text, municipality=town)
    except GeoError:
        return None


def _municipality_in(address: str, postal_text: str | None, res: Resolver) -> str | None:
    """The right-most comma-separated part that names one municipality."""
    parts = [p for p in address.split(",") if p.strip()]
    for part in reversed(parts[1:] or parts):
        if postal_text:
            part = part.upper().replace(postal_text, "").replace(postal_text.replace(" ", ""), "")
        try:
            result = res.resolve(part)
        except GeoError:
            continue
        if result.best is not None and result.best.kind == "municipality":
            return result.best.label
    return None
