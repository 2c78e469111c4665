"""Geography: resolve what people type, find the region of a point, serve region shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.deps import DirectoryDep
from app.fastpath.blobs import region_document
from app.schemas.common import NO_NUL
from app.services import geography

router = APIRouter(tags=["geography"])


class ResolvedPlace(BaseModel):
    label: str
    lat: float
    lon: float
    region_code: str
    municipality: str | None
    municipality_code: str | None
    kind: Literal["postal_code", "fsa", "municipality", "locality", "point"]
    confidence: float
    regions: list[str]
    label_en: str


class ResolveOut(BaseModel):
    query: str
    status: Literal["ok", "ambiguous"]
    best: ResolvedPlace | None
    candidates: list[ResolvedPlace]


class RegionAtOut(BaseModel):
    code: str
    name_fr: str
    name_en: str
    lat: float
    lon: float


class RegionOut(BaseModel):
    code: str
    name_fr: str
    name_en: str
    centre_count: int
    geometry: dict[str, Any]


Q_EXAMPLES: dict[str, Any] = {
    "fr": {"summary": "Municipalité, sans accents", "value": "trois rivieres"},
    "fr_abbr": {"summary": "Abréviation « Ste- »", "value": "ste-anne-des-monts"},
    "en": {"summary": "Postal code, any spacing", "value": "g8t2a1"},
    "en_qualified": {"summary": "Homonym, with its region", "value": "Saint-Donat, Lanaudière"},
}
LAT_EXAMPLES: dict[str, Any] = {
    "fr": {"summary": "Trois-Rivières", "value": 46.343},
    "en": {"summary": "Downtown Montréal", "value": 45.5019},
}
LON_EXAMPLES: dict[str, Any] = {
    "fr": {"summary": "Trois-Rivières", "value": -72.543},
    "en": {"summary": "Downtown Montréal", "value": -73.5674},
}
RESOLVE_EXAMPLE = {
    "query": "trois rivieres",
    "status": "ok",
    "best": {
        "label": "Trois-Rivières",
        "lat": 46.35006,
        "lon": -72.54912,
        "region_code": "04",
        "municipality": "Trois-Rivières",
        "municipality_code": "37067",
        "kind": "municipality",
        "confidence": 1.0,
        "regions": ["04"],
    },
    "candidates": [],
}


@router.get(
    "/v1/locations/resolve",
    summary="Resolve a postal code, FSA or municipality",
    response_model=ResolveOut,
    responses={200: {"content": {"application/json": {"example": RESOLVE_EXAMPLE}}}},
)
async def resolve_location(
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="Postal code (`G8T 2A1`), FSA (`G8T`), municipality name or 5-digit code",
            openapi_examples=Q_EXAMPLES,
        ),
    ],
) -> dict[str, Any]:
    """Turn what a person typed into a point, a region and a municipality, offline.

    Accents, case, hyphens, apostrophes, `St`/`Ste`/`Saint`/`Sainte` and small typos do not
    matter; `name, region` or `name (MRC)` picks one of several homonyms. `status` is
    `ambiguous` (with `candidates` and no `best`) for homonyms in different regions or a
    rural FSA spanning regions. A postal code of another province, or text that matches
    nothing, is a 422 problem document (`location-outside-quebec`, `location-not-found`).

    Transforme ce qu'une personne a tapé (code postal, RTA, nom ou code de municipalité) en
    point, région et municipalité, hors ligne. Les accents, la casse, les traits d'union,
    « St- »/« Ste- » et les petites fautes de frappe sont tolérés."""
    return geography.resolve(q)


@router.get(
    "/v1/regions/lookup",
    summary="Region of a point",
    response_model=RegionAtOut,
)
async def region_lookup(
    lat: Annotated[float, Query(ge=-90, le=90, openapi_examples=LAT_EXAMPLES)],
    lon: Annotated[float, Query(ge=-180, le=180, openapi_examples=LON_EXAMPLES)],
) -> dict[str, Any]:
    """The administrative region containing a point (WGS84 degrees), e.g. the browser's
    position. A point outside Québec is a 422 problem document (`location-outside-quebec`).

    La région administrative qui contient un point (degrés WGS84)."""
    return geography.region_at(lat, lon)


@router.get(
    "/v1/regions/{code}",
    summary="One region with its shape",
    response_model=RegionOut,
    responses={404: {"description": "No such region"}},
)
async def get_region(code: str, directory: DirectoryDep) -> Response:
    """One administrative region (`01`–`17`): its names, how many active centres serve it
    and its GeoJSON geometry (RFC 7946, simplified; borders within about 1 km).

    Une région administrative : ses noms, le nombre de centres actifs qui la desservent et sa
    géométrie GeoJSON (simplifiée)."""
    body = region_document(code, directory.region_counts)  # see app.fastpath.blobs
    return Response(body, media_type="application/json")
