"""Staff routes (admin key): centres, import, keys."""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.deps import AdminDep, SessionDep, SettingsDep
from app.dispatcher.signing import EXAMPLE_SECRET
from app.i18n import negotiate
from app.schemas.common import NO_NUL, Strict
from app.schemas.directory import (
    CentreAdmin,
    CentreCreate,
    CentreUpdate,
    ImportFile,
    ImportReport,
    Ref,
)
from app.schemas.responses import CentresAdmin
from app.services import centres as service
from app.services import importer, keys
from app.services.import_template import XLSX_TYPE, template_xlsx

router = APIRouter(prefix="/v1/admin", tags=["admin"])

# The OpenAPI example's webhook secret: published on purpose, it protects nothing.
CENTRE_EXAMPLES: dict[str, Any] = {
    "fr": {
        "summary": "Un centre généraliste à Trois-Rivières",
        "value": {
            "ref": "cce-trois-rivieres-1", "name": "Centre-conseil en emploi Exemple",
            "email": "accueil@example.org", "phone": "+1 819 555 0100",
            "languages": ["fr", "en"], "modes": ["in_person", "remote"],
            "regions_served": ["04", "17"], "specialties": ["job_search", "career_change"],
            "client_groups": ["general", "immigrants"],
            "locations": [{"address": "100 rue Exemple", "municipality": "Trois-Rivières",
                           "postal_code": "G9A 1A1"}],
        },
    },
    "en": {
        "summary": "A youth centre in Montréal, with a webhook inbox",
        "value": {
            "ref": "demo-youth-mtl", "name": "Example Youth Employment Centre",
            "languages": ["fr", "en"], "regions_served": ["06"], "client_groups": ["youth"],
            "age_min": 16, "age_max": 35, "specialties": ["job_search", "return_to_school"],
            "locations": [{"municipality": "Montréal", "lat": 45.5017, "lon": -73.5673}],
            "inbox": {"url": "https://inbox.example.org/ttx",
                      "secret": EXAMPLE_SECRET},
        },
    },
}  # fmt: skip


# The JSON form of an import, its records pointing at the CentreCreate schema of the document.
IMPORT_SCHEMA = {
    k: v
    for k, v in ImportFile.model_json_schema(ref_template="#/components/schemas/{model}").items()
    if k != "$defs"
}


IMPORT_TYPES = {
    "application/json": {"schema": IMPORT_SCHEMA},
    "text/csv": {"schema": {"type": "string"}},
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
}


@router.get("/centres", response_model=CentresAdmin, summary="List every centre")
def list_centres(
    _: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> CentresAdmin:
    """All centres, inactive ones included, sorted by ref."""
    rows, total = service.list_centres(session, limit=limit, offset=offset)
    items = [service.to_admin(c) for c in rows]
    return CentresAdmin(items=items, total=total, limit=limit, offset=offset)


@router.post("/centres", status_code=201, response_model=CentreAdmin, summary="Create a centre")
def create_centre(
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[CentreCreate, Body(openapi_examples=CENTRE_EXAMPLES)],
) -> CentreAdmin:
    """Add a centre. Its `ref` must be new (409). Locations without a point are placed from
    their municipality or postal code. / Ajoute un centre au répertoire."""
    centre = service.create_centre(session, body, rules=service.Rules.from_settings(settings))
    return service.to_admin(centre)


@router.get(
    "/centres/template.xlsx",
    summary="The import template (Excel workbook)",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
def import_template(_: AdminDep) -> Response:
    """A workbook to fill in: the columns with French and English notes, the allowed codes on a
    second sheet, one example row. / Le modèle à remplir pour importer des centres."""
    return Response(
        template_xlsx(),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="modele-centres.xlsx"'},
    )


@router.get("/centres/{centre_id}", response_model=CentreAdmin, summary="One centre, staff view")
def get_centre(_: AdminDep, session: SessionDep, centre_id: uuid.UUID) -> CentreAdmin:
    """A centre with its status, capacity and inbox endpoint (never the secret)."""
    return service.to_admin(service.get_centre(session, centre_id))


@router.patch("/centres/{centre_id}", response_model=CentreAdmin, summary="Update a centre")
def update_centre(
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    centre_id: uuid.UUID,
    body: CentreUpdate,
) -> CentreAdmin:
    """Change the fields given; `"inbox": null` removes the webhook endpoint."""
    rules = service.Rules.from_settings(settings)
    return service.to_admin(service.update_centre(session, centre_id, body, rules=rules))


@router.delete("/centres/{centre_id}", response_model=CentreAdmin, summary="Deactivate a centre")
def deactivate_centre(_: AdminDep, session: SessionDep, centre_id: uuid.UUID) -> CentreAdmin:
    """Take a centre out of the directory and of matching; its history stays."""
    return service.to_admin(service.deactivate_centre(session, centre_id))


@router.post(
    "/centres/import",
    response_model=ImportReport,
    summary="Import centres (Excel, CSV or JSON)",
    openapi_extra={"requestBody": {"required": True, "content": IMPORT_TYPES}},
)
async def import_centres(
    request: Request,
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Report what would change; write nothing")] = False,
    sheet: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
) -> ImportReport:
    """Upsert centres by `ref` from a DESIGN §5 file: an `.xlsx` workbook (first sheet, or
    `sheet`), CSV (`,` or `;`, UTF-8 or Windows-1252) or JSON. All or nothing: any problem
    imports nothing, and each is listed by row and column (or record and field), in French
    unless `Accept-Language` asks for English. `dry_run=true` reports the changes only."""
    raw = await request.body()
    kind = request.headers.get("content-type", "")
    lang = negotiate(request.headers.get("accept-language"))
    # Reading, placing and writing are CPU and database work: off the event loop.
    loaded = await run_in_threadpool(
        functools.partial(importer.load, raw, content_type=kind, sheet=sheet)
    )
    rules = service.Rules.from_settings(settings)
    return await run_in_threadpool(
        functools.partial(
            importer.import_records, session, loaded, rules=rules, dry_run=dry_run, lang=lang
        )
    )


class KeyCreate(Strict):
    role: Literal["admin", "centre", "partner"]
    centre_ref: Ref | None = None
    label: Annotated[str, Field(max_length=120)] | None = None


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from an `ApiKey`

    id: uuid.UUID
    prefix: str
    role: str
    centre_id: uuid.UUID | None
    label: str | None
    revoked: bool


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself. Shown this once; only a hash is stored.")


@router.post("/keys", status_code=201, response_model=KeyCreated, summary="Create an API key")
def create_key(_: AdminDep, session: SessionDep, body: KeyCreate) -> KeyCreated:
    """Make a key for a role (a centre key names its centre's ref). The key is shown once."""
    row, plaintext = keys.create_key(
        session, role=body.role, centre_ref=body.centre_ref, label=body.label
    )
    return KeyCreated(**KeyOut.model_validate(row).model_dump(), key=plaintext)


@router.get("/keys", response_model=list[KeyOut], summary="List API keys")
def list_keys(_: AdminDep, session: SessionDep) -> list[KeyOut]:
    """Every key, without its secret."""
    return [KeyOut.model_validate(row) for row in keys.list_keys(session)]


@router.delete("/keys/{key_id}", response_model=KeyOut, summary="Revoke an API key")
def revoke_key(_: AdminDep, session: SessionDep, key_id: uuid.UUID) -> KeyOut:
    """Revoke at once; the key answers 401 from now on."""
    return KeyOut.model_validate(keys.revoke_key(session, key_id))
