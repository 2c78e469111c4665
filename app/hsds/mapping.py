"""A centre of our directory as HSDS 3.0 records (pure: plain objects in, dicts out).

One centre is one `organization` offering one `service`: the centre's help is one offer,
whose eligibility (regions, languages, ages, client groups, intake) holds for all of it, so
its specialties are `attribute`s of that service, linked to taxonomy terms, rather than a
dozen services repeating the same conditions. Each service point is a `location` with its
`address` and a `service_at_location`; each region served is a `service_area`. Records never
hold `null`: a field we have no value for is left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from app.hsds import ids, terms
from app.i18n import Lang, gettext

COUNTRY, PROVINCE = "CA", "QC"


class LocationLike(Protocol):
    position: int
    address: str | None
    municipality: str | None
    postal_code: str | None
    lat: float
    lon: float
    region_code: str


class CentreLike(Protocol):
    """What the mapping reads of a centre (the `Centre` model has it all)."""

    @property
    def id(self) -> Any: ...
    @property
    def ref(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def website(self) -> str | None: ...
    @property
    def description_fr(self) -> str | None: ...
    @property
    def description_en(self) -> str | None: ...
    @property
    def languages(self) -> list[str]: ...
    @property
    def modes(self) -> list[str]: ...
    @property
    def intake_status(self) -> str: ...
    @property
    def age_min(self) -> int | None: ...
    @property
    def age_max(self) -> int | None: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def regions_served(self) -> list[str]: ...
    @property
    def specialties(self) -> list[str]: ...
    @property
    def client_groups(self) -> list[str]: ...
    @property
    def locations(self) -> Any: ...


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """The record without its `None` fields (HSDS answers hold no `null`)."""
    return {k: v for k, v in record.items() if v is not None}


def description(centre: CentreLike, lang: Lang) -> str:
    own = centre.description_fr if lang == "fr" else centre.description_en
    other = centre.description_en if lang == "fr" else centre.description_fr
    return own or other or gettext("hsds.organization.description", lang, name=centre.name)


def timestamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def organization(centre: CentreLike, lang: Lang) -> dict[str, Any]:
    """The organization's one-to-one fields (the list form)."""
    return compact(
        {
            "id": str(centre.id),
            "name": centre.name,
            "description": description(centre, lang),
            "email": centre.email,
            "website": centre.website,
        }
    )


def organization_full(centre: CentreLike, lang: Lang, services: list[Any]) -> dict[str, Any]:
    """The organization with its phones, identifiers, locations and `services`."""
    org_id = str(centre.id)
    return {
        **organization(centre, lang),
        "phones": phones(centre, organization_id=org_id),
        "organization_identifiers": [
            {
                "id": ids.derived("organization_identifier", org_id),
                "organization_id": org_id,
                "identifier_scheme": "AXTRA",
                "identifier_type": "ref",
                "identifier": centre.ref,
            }
        ],
        "locations": [location(centre, loc, lang, full=True) for loc in centre.locations],
        "services": services,
    }


def phones(centre: CentreLike, **owner: str) -> list[dict[str, Any]]:
    if not centre.phone:
        return []
    key = next(iter(owner.values()))
    return [{"id": ids.derived("phone", key), **owner, "number": centre.phone}]


def service(centre: CentreLike, lang: Lang) -> dict[str, Any]:
    """The service's one-to-one fields, with its organization (the list form)."""
    paused = centre.intake_status == "paused"
    return compact(
        {
            "id": ids.service_id(centre.id),
            "organization_id": str(centre.id),
            "name": gettext("hsds.service.name", lang, name=centre.name),
            "description": description(centre, lang),
            "url": centre.website,
            "email": centre.email,
            "status": "active",
            "application_process": gettext("hsds.service.application_process", lang),
            "eligibility_description": eligibility(centre, lang),
            "minimum_age": centre.age_min,
            "maximum_age": centre.age_max,
            "alert": gettext("hsds.service.paused", lang) if paused else None,
            "last_modified": timestamp(centre.updated_at),
            "organization": organization(centre, lang),
        }
    )


def eligibility(centre: CentreLike, lang: Lang) -> str:
    groups = ", ".join(terms.label("client_group", code, lang) for code in centre.client_groups)
    text = gettext("hsds.service.eligibility", lang, groups=groups)
    if centre.age_min is not None or centre.age_max is not None:
        low = centre.age_min if centre.age_min is not None else 0
        high = centre.age_max if centre.age_max is not None else 120
        text += " " + gettext("hsds.service.ages", lang, low=low, high=high)
    return text


def service_full(centre: CentreLike, lang: Lang) -> dict[str, Any]:
    """The fully nested service: areas, places, languages, phones and its attributes."""
    sid = ids.service_id(centre.id)
    return {
        **service(centre, lang),
        "phones": phones(centre, service_id=sid),
        "service_areas": [service_area(centre, code, lang) for code in centre.regions_served],
        "service_at_locations": [
            service_at_location(centre, loc, lang, with_service=False) for loc in centre.locations
        ],
        "languages": [
            {
                "id": ids.derived("language", sid, code),
                "service_id": sid,
                "name": terms.language_label(code, lang),
                "code": code,
            }
            for code in centre.languages
        ],
        "attributes": attributes(centre, lang),
    }


def service_links(centre: CentreLike) -> list[tuple[str, str]]:
    """The (kind, code) of every term the service is linked to."""
    return (
        [("specialty", code) for code in centre.specialties]
        + [("client_group", code) for code in centre.client_groups]
        + [("mode", code) for code in centre.modes]
        + [("intake_status", centre.intake_status)]
    )


def attribute(link_id: str, entity: str, kind: str, code: str, lang: Lang) -> dict[str, Any]:
    return {
        "id": ids.derived("attribute", link_id, kind, code),
        "link_id": link_id,
        "link_type": kind,
        "link_entity": entity,
        "taxonomy_term_id": terms.TERM_ID[(kind, code)],
        "value": code,
        "taxonomy_term": terms.term(kind, code, lang),
    }


def attributes(centre: CentreLike, lang: Lang) -> list[dict[str, Any]]:
    sid = ids.service_id(centre.id)
    return [attribute(sid, "service", kind, code, lang) for kind, code in service_links(centre)]


def service_area(centre: CentreLike, code: str, lang: Lang) -> dict[str, Any]:
    sid = ids.service_id(centre.id)
    area_id = ids.derived("service_area", centre.id, code)
    name = terms.label("region", code, lang)
    return {
        "id": area_id,
        "service_id": sid,
        "name": name,
        "description": gettext("hsds.service_area.description", lang, code=code, name=name),
        "attributes": [attribute(area_id, "service_area", "region", code, lang)],
    }


def location(centre: CentreLike, loc: LocationLike, lang: Lang, *, full: bool) -> dict[str, Any]:
    """A service point; `full` adds its address."""
    loc_id = ids.location_id(centre.id, loc.position)
    body = compact(
        {
            "id": loc_id,
            "location_type": "physical",
            "organization_id": str(centre.id),
            "name": location_name(centre.name, loc.municipality),
            "latitude": loc.lat,
            "longitude": loc.lon,
        }
    )
    if full:
        body["addresses"] = address(loc_id, loc, lang)
    return body


def location_name(name: str, municipality: str | None) -> str:
    """The centre's name, and the town when the name does not already say it."""
    if not municipality or municipality.casefold() in name.casefold():
        return name
    return f"{name} — {municipality}"


def address(loc_id: str, loc: LocationLike, lang: Lang) -> list[dict[str, Any]]:
    """The street address, when we hold all that HSDS requires of one."""
    if not (loc.address and loc.municipality and loc.postal_code):
        return []
    return [
        {
            "id": ids.derived("address", loc_id),
            "location_id": loc_id,
            "address_1": loc.address,
            "city": loc.municipality,
            "region": terms.label("region", loc.region_code, lang),
            "state_province": PROVINCE,
            "postal_code": loc.postal_code,
            "country": COUNTRY,
            "address_type": "physical",
        }
    ]


def service_at_location(
    centre: CentreLike, loc: LocationLike, lang: Lang, *, with_service: bool, full: bool = True
) -> dict[str, Any]:
    """A service at a service point: nested location (full) and, in lists, the service."""
    body: dict[str, Any] = {
        "id": ids.service_at_location_id(centre.id, loc.position),
        "service_id": ids.service_id(centre.id),
        "location_id": ids.location_id(centre.id, loc.position),
        "location": location(centre, loc, lang, full=full),
    }
    if with_service:
        body["service"] = service(centre, lang)
    return body
