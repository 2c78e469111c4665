"""Québec geography, offline: postal codes, FSAs, municipality names and points → places.

Pure package (no FastAPI, no database). The data comes from data/, built by
scripts/build_geodata.py from the official reference geography.
"""

from app.geo.distance import great_circle_km, haversine_km
from app.geo.online import geocode_address
from app.geo.places import Ambiguous, GeoError, NotResolved, OutsideQuebec, Place, ResolveResult
from app.geo.resolver import Resolver, get_resolver

__all__ = [
    "Ambiguous",
    "GeoError",
    "NotResolved",
    "OutsideQuebec",
    "Place",
    "ResolveResult",
    "Resolver",
    "geocode_address",
    "get_resolver",
    "great_circle_km",
    "haversine_km",
]
