"""Geography for the API: what people type resolved to a place, the region of a point, a
region with its shape. The offline resolver (app.geo) does the work; this says what each
answer holds."""

from __future__ import annotations

from typing import Any

from app.geo import get_resolver


def resolve(text: str) -> dict[str, Any]:
    """A postal code, FSA or municipality as a point, a region and a municipality (`best`),
    or the `candidates` of an ambiguous text; text outside Québec or matching nothing is
    refused (422: `OutsideQuebec`, `NotResolved`)."""
    return get_resolver().resolve(text).to_dict()


def region_at(lat: float, lon: float) -> dict[str, Any]:
    """The administrative region containing a point (422 outside Québec)."""
    resolver = get_resolver()
    region = resolver.regions[resolver.region_at(lat, lon)]
    return {
        "code": region.code,
        "name_fr": region.name_fr,
        "name_en": region.name_en,
        "lat": lat,
        "lon": lon,
    }
