"""Public directory: regions, taxonomy, centre search and detail (public fields only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.deps import DirectoryDep
from app.errors import NotFound
from app.fastpath.blobs import centres_geojson as centres_feature_collection
from app.schemas.common import (
    NO_NUL,
    ClientGroupCode,
    LanguageCode,
    RegionCode,
    SpecialtyCode,
)
from app.schemas.directory import CentrePublic
from app.schemas.responses import CentresPublic, RegionList, TaxonomyOut
from app.services.taxonomy import regions_with_counts, taxonomy

router = APIRouter(tags=["directory"])
JSON = "application/json"

CENTRES_EXAMPLE = {
    "fr": {"summary": "Centres de Montréal en français", "value": "region=06&language=fr"},
    "en": {
        "summary": "Montréal centres for newcomers",
        "value": "region=06&client_group=immigrants",
    },
}


@router.get("/v1/regions", summary="Regions with centre counts", response_model=RegionList)
async def list_regions(directory: DirectoryDep) -> dict[str, Any]:
    """The 17 administrative regions of Québec, each with how many active centres serve it,
    and the total (all of them fit one page).

    Les 17 régions administratives, avec le nombre de centres actifs qui les desservent."""
    items = regions_with_counts(directory.region_counts)
    return {"items": items, "total": len(items)}


@router.get("/v1/taxonomy", summary="Codes and their labels", response_model=TaxonomyOut)
async def get_taxonomy() -> dict[str, Any]:
    """Specialties, client groups, languages, modes, intake statuses and decline reasons,
    each with its French and English label. / Les codes et leurs libellés bilingues."""
    return taxonomy()


@router.get(
    "/v1/centres",
    summary="Search the directory",
    response_model=CentresPublic,
    openapi_extra={"x-examples": CENTRES_EXAMPLE},
)
async def search_centres(
    directory: DirectoryDep,
    region: Annotated[RegionCode | None, Query(description="Serves this region (01–17)")] = None,
    specialty: Annotated[SpecialtyCode | None, Query()] = None,
    client_group: Annotated[ClientGroupCode | None, Query()] = None,
    language: Annotated[LanguageCode | None, Query(description="ISO 639-1, e.g. fr")] = None,
    q: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="Words in name or town")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    """Active centres matching every filter given, sorted by name, with the total.

    Recherche dans le répertoire : tous les filtres donnés doivent correspondre."""
    found = directory.search(
        region=region, specialty=specialty, client_group=client_group, language=language, q=q
    )
    items = b",".join(e.public_json for e in found[offset : offset + limit])
    tail = f'],"total":{len(found)},"limit":{limit},"offset":{offset}}}'.encode()
    return Response(b'{"items":[' + items + tail, media_type=JSON)


class GeoJSONResponse(Response):
    media_type = "application/geo+json"


FEATURE_COLLECTION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "features"],
}


@router.get(
    "/v1/centres.geojson",
    summary="Centre locations for maps",
    response_class=GeoJSONResponse,
    responses={200: {"content": {"application/geo+json": {"schema": FEATURE_COLLECTION}}}},
)
async def centres_geojson(directory: DirectoryDep) -> GeoJSONResponse:
    """Every service point of every active centre as a GeoJSON FeatureCollection (RFC 7946)."""
    return GeoJSONResponse(centres_feature_collection(directory))  # see app.fastpath.blobs


@router.get(
    "/v1/centres/{centre_id}",
    summary="One centre",
    response_model=CentrePublic,
    responses={404: {"description": "No such active centre"}},
)
async def get_centre(centre_id: uuid.UUID, directory: DirectoryDep) -> Response:
    """One active centre, public fields only (never its inbox or capacity)."""
    entry = directory.by_id.get(str(centre_id))
    if entry is None:
        raise NotFound("centre_not_found", centre_id=str(centre_id))
    return Response(entry.public_json, media_type=JSON)
