"""The HSDS view of a directory snapshot: every record serialised once, filtered per request.

Built from `Directory.centres` the first time a language is asked for, and dropped with the
snapshot when the directory changes, so the HSDS routes never touch the database."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.geo.distance import haversine_km
from app.hsds import mapping, terms
from app.hsds.mapping import CentreLike
from app.i18n import Lang


def fold(text: str) -> str:
    """Lower case without accents (the directory search's own folding)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def dumps(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Item:
    """One record: its list form, its full form, and the keys the filters read."""

    id: str
    body: bytes
    full: bytes
    search: str
    organization_id: str = ""
    term_ids: frozenset[str] = frozenset()
    taxonomy_ids: frozenset[str] = frozenset()
    modified: datetime | None = None
    regions: frozenset[str] = frozenset()
    extra: bytes = b""  # organizations: the services nested in full; services: minimal form


@dataclass(frozen=True, slots=True)
class Filters:
    """The profile's filters that several lists share; every given one must hold."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None

    def keep(self, item: Item) -> bool:
        needle = fold(self.search).strip() if self.search else ""
        return (
            (not needle or needle in item.search)
            and (self.taxonomy_term_id is None or self.taxonomy_term_id in item.term_ids)
            and (self.taxonomy_id is None or self.taxonomy_id in item.taxonomy_ids)
            and (self.organization_id is None or self.organization_id == item.organization_id)
            and (
                self.modified_after is None
                or (item.modified is not None and item.modified >= self.modified_after)
            )
        )


@dataclass(frozen=True, slots=True)
class Near:
    """Where a `postcode` filter points: the FSA's centroid and the regions it lies in."""

    lat: float
    lon: float
    regions: frozenset[str]
    within_m: float | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _links(centre: CentreLike) -> tuple[frozenset[str], frozenset[str]]:
    links = mapping.service_links(centre) + [("region", c) for c in centre.regions_served]
    return (
        frozenset(terms.TERM_ID[link] for link in links),
        frozenset(terms.TAXONOMY_IDS[kind] for kind, _ in links),
    )


def _search_text(centre: CentreLike) -> str:
    parts = [centre.name, centre.ref, centre.description_fr or "", centre.description_en or ""]
    parts += [loc.municipality or "" for loc in centre.locations]
    return fold(" ".join(parts))


class View:
    """Every HSDS record of the directory in one language."""

    def __init__(self, centres: Sequence[CentreLike], lang: Lang) -> None:
        self.lang = lang
        self.organizations: list[Item] = []
        self.services: list[Item] = []
        self.service_at_locations: list[Item] = []
        points: list[tuple[float, float]] = []
        for centre in centres:
            self._add(centre, points)
        self._lats = np.array([p[0] for p in points], dtype=np.float64)
        self._lons = np.array([p[1] for p in points], dtype=np.float64)
        self.taxonomies = [
            Item(
                id=terms.TAXONOMY_IDS[kind],
                body=dumps(body := terms.taxonomy(kind, lang)),
                full=dumps(body),
                search=fold(f"{kind} {body['name']} {body['description']}"),
            )
            for kind in terms.KINDS
        ]
        self.taxonomy_terms = [self._term(kind, code) for kind, code in terms.all_terms()]
        self.by_id = {
            name: {item.id: item for item in getattr(self, name)}
            for name in (
                "organizations",
                "services",
                "service_at_locations",
                "taxonomies",
                "taxonomy_terms",
            )
        }

    def _term(self, kind: str, code: str) -> Item:
        body = terms.term(kind, code, self.lang)
        return Item(
            id=body["id"],
            body=dumps(body),
            full=dumps(terms.term(kind, code, self.lang, detail=True)),
            search=fold(f"{code} {body['name']}"),
            taxonomy_ids=frozenset({body["taxonomy_id"]}),
        )

    def _add(self, centre: CentreLike, points: list[tuple[float, float]]) -> None:
        lang = self.lang
        term_ids, taxonomy_ids = _links(centre)
        org_id = str(centre.id)
        text = _search_text(centre)
        modified = _aware(centre.updated_at)
        listed = mapping.service(centre, lang)
        full = mapping.service_full(centre, lang)
        keys: dict[str, Any] = {
            "organization_id": org_id,
            "term_ids": term_ids,
            "taxonomy_ids": taxonomy_ids,
            "modified": modified,
            "regions": frozenset(centre.regions_served),
        }
        minimal = {"id": listed["id"], "last_modified": listed["last_modified"]}
        self.services.append(
            Item(listed["id"], dumps(listed), dumps(full), text, extra=dumps(minimal), **keys)
        )
        self.organizations.append(
            Item(
                org_id,
                dumps(mapping.organization(centre, lang)),
                dumps(mapping.organization_full(centre, lang, [listed])),
                fold(f"{centre.name} {centre.ref}"),
                extra=dumps(mapping.organization_full(centre, lang, [full])),
                **keys,
            )
        )
        for loc in centre.locations:
            sal_list = mapping.service_at_location(centre, loc, lang, with_service=True, full=False)
            sal_full = {
                **mapping.service_at_location(centre, loc, lang, with_service=False),
                "phones": full["phones"],
            }
            self.service_at_locations.append(
                Item(sal_list["id"], dumps(sal_list), dumps(sal_full), text, **keys)
            )
            points.append((loc.lat, loc.lon))

    def near(self, near: Near, items: Iterable[Item]) -> list[Item]:
        """Service points whose service covers the postcode's region and, with a distance,
        that lie within it of the postcode's centroid; nearest first."""
        distances = haversine_km(near.lat, near.lon, self._lats, self._lons) * 1000.0
        position = {item.id: i for i, item in enumerate(self.service_at_locations)}
        found = []
        for item in items:
            metres = float(distances[position[item.id]])
            if not (item.regions & near.regions):
                continue
            if near.within_m is not None and metres > near.within_m:
                continue
            found.append((metres, item))
        found.sort(key=lambda pair: pair[0])
        return [item for _, item in found]


@dataclass
class HsdsCatalogue:
    """The HSDS views of one directory snapshot, one per language, built on first use."""

    centres: Sequence[CentreLike]
    _views: dict[str, View] = field(default_factory=dict)

    def view(self, lang: Lang) -> View:
        found = self._views.get(lang)
        if found is None:
            found = self._views[lang] = View(self.centres, lang)
        return found


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    per_page: int


def page_json(items: Sequence[Item], request: PageRequest, pick: Callable[[Item], bytes]) -> bytes:
    """The profile's paginated answer around the items of the page asked for."""
    total = len(items)
    pages = math.ceil(total / request.per_page)
    start = (request.page - 1) * request.per_page
    chosen = items[start : start + request.per_page]
    head = {
        "total_items": total,
        "total_pages": pages,
        "page_number": request.page,
        "size": len(chosen),
        "first_page": request.page == 1,
        "last_page": request.page >= pages,
        "empty": not chosen,
    }
    contents = b",".join(pick(item) for item in chosen)
    return dumps(head)[:-1] + b',"contents":[' + contents + b"]}"


def ndjson(items: Iterable[Item], pick: Callable[[Item], bytes]) -> Iterable[bytes]:
    for item in items:
        yield pick(item) + b"\n"
