"""Open Referral HSDS 3.0, read only and public (DESIGN §15): the directory as HSDS records.

Paths, parameters and pages follow the HSDS 3.0 API profile; records are served from the
in-memory catalogue of the directory snapshot. `lang=en` (or `Accept-Language: en`) gives
the English names and descriptions; French otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from app import hsds
from app.deps import DirectoryDep
from app.hsds import queries, schemas
from app.hsds.catalogue import Filters, PageRequest, View
from app.i18n import Lang, negotiate
from app.schemas.common import NO_NUL

router = APIRouter(prefix="/hsds", tags=["hsds"])
JSON = "application/json"
NDJSON = "application/x-ndjson"
PROFILE = "https://docs.openreferral.org/en/3.0/"

Text = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
Id = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=1000, description="Records per page")]
Format = Annotated[
    Literal["json", "ndjson"],
    Query(description="`ndjson`: every matching record, one per line, without pages"),
]
LangQuery = Annotated[
    Literal["fr", "en"] | None,
    Query(description="Language of names and descriptions (default: Accept-Language, then fr)"),
]
AcceptLanguage = Annotated[str | None, Header(max_length=1000, include_in_schema=False)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such record"}}
NDJSON_DOC: dict[str, Any] = {"content": {NDJSON: {"schema": {"type": "string"}}}}


def view_for(directory: DirectoryDep, lang: Lang | None, accept: str | None) -> View:
    catalogue: hsds.HsdsCatalogue = directory.hsds
    return catalogue.view(lang or negotiate(accept))


def listing(answer: queries.Answer) -> Response:
    if answer.lines is not None:
        return StreamingResponse(answer.lines, media_type=NDJSON)
    return Response(answer.body, media_type=JSON)


def _since(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@router.get(
    "/",
    summary="This API and its HSDS version",
    response_model=schemas.HsdsMeta,
    response_model_exclude_none=True,
)
async def meta(request: Request) -> dict[str, str]:
    """The HSDS version this API follows, its profile and where its OpenAPI document is
    (when it is served).

    La version HSDS de cette API, son profil et l'adresse de son document OpenAPI."""
    answer = {"version": hsds.HSDS_VERSION, "profile": PROFILE}
    if request.app.openapi_url:  # not served in production unless TTX_PUBLIC_DOCS says so
        answer["openapi_url"] = str(request.url_for("openapi"))
    return answer


@router.get(
    "/services",
    summary="Services, a page at a time",
    response_model=schemas.HsdsServicePage,
    responses={200: NDJSON_DOC},
    operation_id="getPaginatedListOfServices",
)
async def list_services(
    directory: DirectoryDep,
    search: Text = None,
    taxonomy_term_id: Id = None,
    taxonomy_id: Id = None,
    organization_id: Id = None,
    modified_after: Annotated[datetime | None, Query()] = None,
    minimal: bool = False,
    full: bool = False,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    format: Format = "json",
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """One service per centre, sorted by name; `full=true` nests areas, places, languages and
    attributes; `minimal=true` gives only `id` and `last_modified`.

    Un service par centre, trié par nom."""
    view = view_for(directory, lang, accept_language)
    since = _since(modified_after)
    filters = Filters(search, taxonomy_term_id, taxonomy_id, organization_id, since)
    items, pick = queries.services(view, filters, full=full, minimal=minimal)
    return listing(queries.answer(items, PageRequest(page, per_page), format, pick=pick))


@router.get(
    "/services/{id}",
    summary="One service, fully nested",
    response_model=schemas.HsdsService,
    responses=NOT_FOUND,
    operation_id="getFullyNestedServiceById",
)
async def get_service(
    id: str, directory: DirectoryDep, lang: LangQuery = None, accept_language: AcceptLanguage = None
) -> Response:
    """The service with everything related to it. / Le service et tout ce qui s'y rattache."""
    view = view_for(directory, lang, accept_language)
    return Response(queries.one(view, "services", id), media_type=JSON)


@router.get(
    "/organizations",
    summary="Organizations, a page at a time",
    response_model=schemas.HsdsOrganizationPage,
    responses={200: NDJSON_DOC},
    operation_id="getPaginatedListOfOrganizations",
)
async def list_organizations(
    directory: DirectoryDep,
    search: Text = None,
    full_service: bool = False,
    full: bool = False,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    format: Format = "json",
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """The centres as organizations, sorted by name; `full=true` nests phones, identifiers
    (the AXTRA `ref`), locations and services; `full_service=true` nests full services.

    Les centres, triés par nom."""
    view = view_for(directory, lang, accept_language)
    items, pick = queries.organizations(view, search, full=full, full_service=full_service)
    return listing(queries.answer(items, PageRequest(page, per_page), format, pick=pick))


@router.get(
    "/organizations/{id}",
    summary="One organization, fully nested",
    response_model=schemas.HsdsOrganization,
    responses=NOT_FOUND,
    operation_id="getOrganizationById",
)
async def get_organization(
    id: str,
    directory: DirectoryDep,
    full_service: bool = False,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """The organization with its services (brief, or in full with `full_service=true`).

    L'organisme et ses services."""
    view = view_for(directory, lang, accept_language)
    pick = "extra" if full_service else "full"
    return Response(queries.one(view, "organizations", id, pick=pick), media_type=JSON)


@router.get(
    "/service_at_locations",
    summary="Services at their service points, a page at a time",
    response_model=schemas.HsdsServiceAtLocationPage,
    responses={200: NDJSON_DOC},
    operation_id="getPaginatedListOfServiceAtLocation",
)
async def list_service_at_locations(
    directory: DirectoryDep,
    search: Text = None,
    taxonomy_term_id: Id = None,
    taxonomy_id: Id = None,
    organization_id: Id = None,
    modified_after: Annotated[datetime | None, Query()] = None,
    full: bool = False,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    format: Format = "json",
    postcode: Annotated[
        str | None,
        Query(
            max_length=10,
            pattern=NO_NUL,
            description="A postal code or FSA: only services whose service area covers it, "
            "nearest first",
        ),
    ] = None,
    proximity: Annotated[
        str | None,
        Query(max_length=20, pattern=NO_NUL, description="Metres from the postcode's centroid"),
    ] = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Every service point of every centre, with its service. `postcode` keeps those whose
    service areas (regions served) cover it, nearest first; `proximity` (metres) keeps those
    within that distance of the postcode's centroid.

    Les points de service ; `postcode` et `proximity` filtrent selon le lieu."""
    view = view_for(directory, lang, accept_language)
    since = _since(modified_after)
    filters = Filters(search, taxonomy_term_id, taxonomy_id, organization_id, since)
    items = queries.service_at_locations(view, filters, postcode=postcode, proximity=proximity)
    pick = "full" if full else "body"
    return listing(queries.answer(items, PageRequest(page, per_page), format, pick=pick))


@router.get(
    "/service_at_locations/{id}",
    summary="One service at a location, fully nested",
    response_model=schemas.HsdsServiceAtLocation,
    responses=NOT_FOUND,
    operation_id="getServiceAtLocationWithNestedDataById",
)
async def get_service_at_location(
    id: str, directory: DirectoryDep, lang: LangQuery = None, accept_language: AcceptLanguage = None
) -> Response:
    """The service point with its address and phones. / Le point de service et son adresse."""
    view = view_for(directory, lang, accept_language)
    return Response(queries.one(view, "service_at_locations", id), media_type=JSON)


@router.get(
    "/taxonomies",
    summary="Taxonomies, a page at a time",
    response_model=schemas.HsdsTaxonomyPage,
    responses={200: NDJSON_DOC},
    operation_id="getPaginatedListOfTaxonomies",
)
async def list_taxonomies(
    directory: DirectoryDep,
    search: Text = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    format: Format = "json",
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Our code lists as taxonomies: specialties, client groups, modes, intake status and
    regions. / Nos listes de codes."""
    view = view_for(directory, lang, accept_language)
    items = [t for t in view.taxonomies if Filters(search=search).keep(t)]
    return listing(queries.answer(items, PageRequest(page, per_page), format))


@router.get(
    "/taxonomies/{id}",
    summary="One taxonomy",
    response_model=schemas.HsdsTaxonomy,
    responses=NOT_FOUND,
    operation_id="getTaxonomyById",
)
async def get_taxonomy(
    id: str, directory: DirectoryDep, lang: LangQuery = None, accept_language: AcceptLanguage = None
) -> Response:
    """One taxonomy. / Une taxonomie."""
    view = view_for(directory, lang, accept_language)
    return Response(queries.one(view, "taxonomies", id), media_type=JSON)


@router.get(
    "/taxonomy_terms",
    summary="Taxonomy terms, a page at a time",
    response_model=schemas.HsdsTaxonomyTermPage,
    responses={200: NDJSON_DOC},
    # The 3.0 profile swaps this operation id with the next one's; these are the right ones.
    operation_id="getPaginatedListOfTaxonomyTerms",
)
async def list_taxonomy_terms(
    directory: DirectoryDep,
    search: Text = None,
    taxonomy_id: Id = None,
    top_only: bool = False,
    parent_id: Id = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    format: Format = "json",
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Every code as a term, `code` being ours and `name` its label. The taxonomies are flat:
    every term is a top term, none has a parent. / Chaque code comme terme de taxonomie."""
    view = view_for(directory, lang, accept_language)
    items = queries.taxonomy_terms(view, search, taxonomy_id, parent_id)
    return listing(queries.answer(items, PageRequest(page, per_page), format))


@router.get(
    "/taxonomy_terms/{id}",
    summary="One taxonomy term",
    response_model=schemas.HsdsTaxonomyTerm,
    responses=NOT_FOUND,
    operation_id="getTaxonomyTermById",
)
async def get_taxonomy_term(
    id: str, directory: DirectoryDep, lang: LangQuery = None, accept_language: AcceptLanguage = None
) -> Response:
    """One term, with its taxonomy. / Un terme et sa taxonomie."""
    view = view_for(directory, lang, accept_language)
    return Response(queries.one(view, "taxonomy_terms", id), media_type=JSON)
