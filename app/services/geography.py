"""Geography for the API: what people type resolved to a place, the region of a point, a
region with its shape. The offline resolver (app.geo) does the work; this says what each
answer holds."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def region_document(code: str, centre_counts: Mapping[str, int]) -> bytes:
    """One region as JSON: its names, how many active centres serve it and its GeoJSON
    geometry, spliced in as the resolver keeps it (serialised once, at start-up)."""
    resolver = get_resolver()
    geometry = resolver.region_geometry_json(code)  # NotFound (404) for an unknown code
    region = resolver.regions[code]
    head = {
        "code": region.code,
        "name_fr": region.name_fr,
        "name_en": region.name_en,
        "centre_count": centre_counts.get(code, 0),
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"geometry":' + geometry + "}"
    return body.encode()
