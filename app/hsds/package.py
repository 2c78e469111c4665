"""The HSDS 3.0 data package: the directory written as flat HSDS tables, and read back.

`export` writes one array per table (the profile's `compiled/tabular.json`): records linked by
their ids, without nesting. `to_records` reads such a package (ours, or another directory's)
into import records (contract §5), which the importer validates and upserts like any file."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from app.hsds import mapping, terms
from app.hsds.mapping import CentreLike
from app.i18n import Lang, gettext
from app.taxonomy import REGIONS

TABLES = (
    "organization", "organization_identifier", "service", "location", "address", "phone",
    "service_at_location", "service_area", "language", "attribute", "taxonomy", "taxonomy_term",
)  # fmt: skip
NESTED = ("organization", "phones", "service_areas", "service_at_locations", "languages",
          "attributes", "addresses", "locations", "organization_identifiers", "services",
          "location", "service", "taxonomy_term", "taxonomy_detail")  # fmt: skip
# What an HSDS package never carries: a centre already known keeps it (`PartialRecord.keep`).
NOT_CARRIED = ("weekly_capacity", "notify_emails")


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in NESTED}


def export(centres: Sequence[CentreLike], lang: Lang) -> dict[str, list[dict[str, Any]]]:
    """Every active centre as HSDS tables, texts in `lang`."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for centre in centres:
        _export_centre(centre, lang, tables)
    tables["taxonomy"] = [terms.taxonomy(kind, lang) for kind in terms.KINDS]
    tables["taxonomy_term"] = [terms.term(kind, code, lang) for kind, code in terms.all_terms()]
    return tables


def _export_centre(centre: CentreLike, lang: Lang, tables: dict[str, list[Any]]) -> None:
    service = mapping.service_full(centre, lang)
    org = mapping.organization_full(centre, lang, [])
    tables["organization"].append(_flat(org))
    tables["organization_identifier"] += org["organization_identifiers"]
    tables["phone"] += org["phones"] + service["phones"]
    tables["service"].append(_flat(service))
    for place in service["service_at_locations"]:
        location = place["location"]
        tables["location"].append(_flat(location))
        tables["address"] += location["addresses"]
        tables["service_at_location"].append(_flat(place))
    for area in service["service_areas"]:
        tables["service_area"].append(_flat(area))
        tables["attribute"] += [_flat(a) for a in area["attributes"]]
    tables["language"] += service["languages"]
    tables["attribute"] += [_flat(a) for a in service["attributes"]]


class PartialRecord(dict[str, Any]):
    """An import record, and the fields that a centre already known keeps as they are."""

    keep: frozenset[str] = frozenset()


def is_package(doc: Any) -> bool:
    """Whether a JSON document is an HSDS package (tables of organizations and services)."""
    return (
        isinstance(doc, dict)
        and "centres" not in doc
        and isinstance(doc.get("organization"), list)
        and isinstance(doc.get("service"), list)
    )


def to_records(doc: dict[str, Any]) -> list[Any]:
    """One import record per organization. Records keep the package's values as they are,
    wrong ones included: the importer reports them, field by field."""
    tables = {name: [r for r in doc.get(name) or [] if isinstance(r, dict)] for name in TABLES}
    reader = _Reader(tables)
    return [reader.record(org) for org in tables["organization"]]


class _Reader:
    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.lang: Lang = _language(tables["taxonomy_term"])
        self.by = {
            name: _group(rows, key)
            for name, rows, key in (
                ("identifier", tables["organization_identifier"], "organization_id"),
                ("service", tables["service"], "organization_id"),
                ("phone_org", tables["phone"], "organization_id"),
                ("language", tables["language"], "service_id"),
                ("area", tables["service_area"], "service_id"),
                ("place", tables["service_at_location"], "service_id"),
                ("attribute", tables["attribute"], "link_id"),
                ("address", tables["address"], "location_id"),
            )
        }
        self.locations = {r.get("id"): r for r in tables["location"]}
        self.term_codes = self._term_codes(tables)

    def _term_codes(self, tables: dict[str, list[dict[str, Any]]]) -> dict[Any, tuple[str, str]]:
        """Each term's (kind, code): ours by id, another package's by taxonomy name."""
        kinds = {t.get("id"): _kind(t.get("name")) for t in tables["taxonomy"]}
        found: dict[Any, tuple[str, str]] = {}
        for term in tables["taxonomy_term"]:
            ours = terms.TERM_BY_ID.get(str(term.get("id", "")).lower())
            kind = (
                ours.kind
                if ours
                else kinds.get(term.get("taxonomy_id")) or _kind(term.get("taxonomy"))
            )
            code = ours.code if ours else term.get("code")
            if kind and isinstance(code, str):
                found[term.get("id")] = (kind, code)
        return found

    def record(self, org: dict[str, Any]) -> PartialRecord:
        org_id = org.get("id")
        services = self.by["service"].get(org_id, [])
        service_ids = [s.get("id") for s in services]
        codes = self._codes(service_ids)
        phones = [p.get("number") for p in self.by["phone_org"].get(org_id, [])]
        languages = {g.get("code") for sid in service_ids for g in self.by["language"].get(sid, [])}
        places = [p for sid in service_ids for p in self.by["place"].get(sid, [])]
        found: dict[str, Any] = {
            "ref": self._ref(org),
            "name": org.get("name"),
            "email": org.get("email"),
            "phone": phones[0] if phones else None,
            "website": org.get("website"),
            f"description_{self.lang}": self._description(org),
            "languages": sorted(languages, key=str),
            "modes": sorted(codes["mode"]),
            "intake_status": _intake(codes["intake_status"], services),
            "regions_served": sorted(codes["region"] | self._area_regions(services)),
            "specialties": sorted(codes["specialty"]),
            "client_groups": sorted(codes["client_group"]),
            "age_min": _age(services, "minimum_age"),
            "age_max": _age(services, "maximum_age"),
            "locations": [self._location(p) for p in places],
        }
        # Absent, not null: the import's defaults apply (`fr`, `in_person`, `general`…).
        defaults = ("languages", "modes", "client_groups", "specialties")
        record = PartialRecord(
            {k: v for k, v in found.items() if v is not None and not (k in defaults and v == [])}
        )
        other = "en" if self.lang == "fr" else "fr"
        record.keep = frozenset({*NOT_CARRIED, f"description_{other}"})
        return record

    def _ref(self, org: dict[str, Any]) -> Any:
        for ident in self.by["identifier"].get(org.get("id"), []):
            if ident.get("identifier_scheme") == "AXTRA" and ident.get("identifier_type") == "ref":
                return ident.get("identifier")
        return _slug(str(org.get("name") or org.get("id") or ""))

    def _description(self, org: dict[str, Any]) -> Any:
        text = org.get("description")
        generated = gettext("hsds.organization.description", self.lang, name=org.get("name"))
        return None if text == generated else text

    def _codes(self, service_ids: list[Any]) -> dict[str, set[str]]:
        codes: dict[str, set[str]] = defaultdict(set)
        for sid in service_ids:
            for attribute in self.by["attribute"].get(sid, []):
                found = self.term_codes.get(attribute.get("taxonomy_term_id"))
                if found:
                    codes[found[0]].add(found[1])
        return codes

    def _area_regions(self, services: list[dict[str, Any]]) -> set[str]:
        """Regions of the service areas: by their region term, or else by their name."""
        names = {_fold(r.fr): r.code for r in REGIONS} | {_fold(r.en): r.code for r in REGIONS}
        found: set[str] = set()
        for service in services:
            for area in self.by["area"].get(service.get("id"), []):
                linked = [
                    self.term_codes.get(a.get("taxonomy_term_id"))
                    for a in self.by["attribute"].get(area.get("id"), [])
                ]
                codes = {code for kind, code in filter(None, linked) if kind == "region"}
                by_name = names.get(_fold(str(area.get("name") or "")))
                found |= codes or ({by_name} if by_name else set())
        return found

    def _location(self, place: dict[str, Any]) -> dict[str, Any]:
        location = self.locations.get(place.get("location_id")) or {}
        address = next(iter(self.by["address"].get(location.get("id"), [])), {})
        found = {
            "address": address.get("address_1"),
            "municipality": address.get("city") or _town(location.get("name")),
            "postal_code": address.get("postal_code"),
            "lat": location.get("latitude"),
            "lon": location.get("longitude"),
        }
        return {k: v for k, v in found.items() if v is not None}


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.get(key)].append(row)
    return grouped


def _language(term_rows: list[dict[str, Any]]) -> Lang:
    counts = Counter(str(t.get("language", "")).lower()[:2] for t in term_rows)
    return "en" if counts["en"] > counts["fr"] else "fr"


def _kind(name: Any) -> str | None:
    """Which of our code lists a taxonomy (or a term's `taxonomy`) names, if any."""
    if not isinstance(name, str):
        return None
    if name in terms.KINDS:
        return name
    folded = _fold(name)
    for kind in terms.KINDS:
        if any(
            _fold(gettext(f"hsds.taxonomy.{kind}.name", lang)) == folded for lang in ("fr", "en")
        ):
            return kind
    return None


def _intake(codes: set[str], services: list[dict[str, Any]]) -> str:
    if codes:
        return "paused" if "paused" in codes else "open"
    closed = any(s.get("status") == "temporarily closed" for s in services)
    return "paused" if closed else "open"


def _age(services: list[dict[str, Any]], field: str) -> Any:
    values = [s[field] for s in services if isinstance(s.get(field), int | float)]
    if not values:
        return None
    value = min(values) if field == "minimum_age" else max(values)
    return int(value) if float(value).is_integer() else value


def _town(name: Any) -> str | None:
    """The town in a location's name "{centre} — {town}", when there is one."""
    if isinstance(name, str) and " — " in name:
        return name.rsplit(" — ", 1)[1]
    return None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-")[:80]
    return slug if len(slug) >= 2 else f"org-{slug}".strip("-")
