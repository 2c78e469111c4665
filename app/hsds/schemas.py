"""The HSDS records as the OpenAPI document describes them (documentation only: answers are
serialised once by the catalogue, and the tests check them against the official schemas).

Optional fields are left out of a record rather than set to `null`, so the document lists
them as plain types, never nullable."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


def _drop_null(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            prop.pop("anyOf")
            prop.pop("default", None)
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


class Record(BaseModel):
    model_config = ConfigDict(json_schema_extra=_drop_null)


class HsdsMeta(Record):
    """What this API is: its HSDS version, profile and OpenAPI document."""

    version: str
    profile: str
    openapi_url: str | None = None


class HsdsTaxonomy(Record):
    id: str
    name: str
    description: str
    version: str | None = None


class HsdsTaxonomyTerm(Record):
    id: str
    code: str | None = None
    name: str
    description: str
    taxonomy: str | None = None
    taxonomy_id: str | None = None
    language: str | None = None
    taxonomy_detail: HsdsTaxonomy | None = None


class HsdsAttribute(Record):
    id: str
    link_id: str | None = None
    link_type: str | None = None
    link_entity: str | None = None
    taxonomy_term_id: str | None = None
    value: str | None = None
    taxonomy_term: HsdsTaxonomyTerm | None = None


class HsdsPhone(Record):
    id: str
    number: str
    organization_id: str | None = None
    service_id: str | None = None


class HsdsLanguage(Record):
    id: str
    service_id: str | None = None
    name: str | None = None
    code: str | None = None


class HsdsServiceArea(Record):
    id: str
    service_id: str | None = None
    name: str | None = None
    description: str | None = None
    attributes: list[HsdsAttribute] | None = None


class HsdsAddress(Record):
    id: str
    location_id: str | None = None
    address_1: str
    city: str
    region: str | None = None
    state_province: str
    postal_code: str
    country: str
    address_type: Literal["physical", "postal", "virtual"]


class HsdsLocation(Record):
    id: str
    location_type: Literal["physical", "postal", "virtual"]
    organization_id: str | None = None
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    addresses: list[HsdsAddress] | None = None


class HsdsOrganizationIdentifier(Record):
    id: str
    organization_id: str | None = None
    identifier_scheme: str | None = None
    identifier_type: str
    identifier: str


class HsdsOrganizationBrief(Record):
    """An organization's one-to-one fields."""

    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None


class HsdsServiceAtLocationBrief(Record):
    id: str
    service_id: str | None = None
    location_id: str | None = None
    location: HsdsLocation | None = None


class HsdsService(Record):
    """A service; lists give its one-to-one fields and organization, a single service (or
    `full=true`) nests everything else."""

    id: str
    organization_id: str | None = None
    name: str
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    application_process: str | None = None
    eligibility_description: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    alert: str | None = None
    last_modified: str | None = None
    organization: HsdsOrganizationBrief | None = None
    phones: list[HsdsPhone] | None = None
    service_areas: list[HsdsServiceArea] | None = None
    service_at_locations: list[HsdsServiceAtLocationBrief] | None = None
    languages: list[HsdsLanguage] | None = None
    attributes: list[HsdsAttribute] | None = None


class HsdsServiceMinimal(Record):
    """A service as `minimal=true` lists it."""

    id: str
    last_modified: str


class HsdsOrganization(HsdsOrganizationBrief):
    """An organization; `full=true` or a single organization adds the nested lists."""

    phones: list[HsdsPhone] | None = None
    organization_identifiers: list[HsdsOrganizationIdentifier] | None = None
    locations: list[HsdsLocation] | None = None
    services: list[HsdsService] | None = None


class HsdsServiceAtLocation(HsdsServiceAtLocationBrief):
    """A service at a location: lists add the service, a single one its phones."""

    service: HsdsService | None = None
    phones: list[HsdsPhone] | None = None


class HsdsPage(Record):
    """The profile's page: totals, position and the records of this page in `contents`."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class HsdsServicePage(HsdsPage):
    contents: list[HsdsService | HsdsServiceMinimal]


class HsdsOrganizationPage(HsdsPage):
    contents: list[HsdsOrganization]


class HsdsServiceAtLocationPage(HsdsPage):
    contents: list[HsdsServiceAtLocation]


class HsdsTaxonomyPage(HsdsPage):
    contents: list[HsdsTaxonomy]


class HsdsTaxonomyTermPage(HsdsPage):
    contents: list[HsdsTaxonomyTerm]
