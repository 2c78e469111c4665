"""The HSDS read API's rules: what each list answers for its filters, and the single records.

Routes parse the query and call these; everything here reads the in-memory catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.errors import InvalidInput, NotFound, field_error
from app.geo import get_resolver
from app.geo.postal import parse_postal_code
from app.hsds.catalogue import Filters, Item, Near, PageRequest, View, ndjson, page_json

MAX_PROXIMITY_M = 2_000_000


@dataclass(frozen=True, slots=True)
class Answer:
    """A list's answer: one JSON page, or every item as NDJSON lines."""

    body: bytes | None = None
    lines: Iterable[bytes] | None = None


def answer(items: list[Item], page: PageRequest, fmt: str, *, pick: str = "body") -> Answer:
    if fmt == "ndjson":
        return Answer(lines=ndjson(items, lambda i: getattr(i, pick)))
    return Answer(body=page_json(items, page, lambda i: getattr(i, pick)))


def one(view: View, kind: str, record_id: str, *, pick: str = "full") -> bytes:
    item = view.by_id[kind].get(record_id.lower())
    if item is None:
        raise NotFound("hsds_not_found", kind=kind.removesuffix("s"), record_id=record_id)
    body: bytes = getattr(item, pick)
    return body


def services(view: View, filters: Filters, *, full: bool, minimal: bool) -> tuple[list[Item], str]:
    pick = "extra" if minimal else "full" if full else "body"
    return [s for s in view.services if filters.keep(s)], pick


def organizations(
    view: View, search: str | None, *, full: bool, full_service: bool
) -> tuple[list[Item], str]:
    pick = "extra" if full_service else "full" if full else "body"
    return [o for o in view.organizations if Filters(search=search).keep(o)], pick


def service_at_locations(
    view: View, filters: Filters, *, postcode: str | None, proximity: str | None
) -> list[Item]:
    found = [s for s in view.service_at_locations if filters.keep(s)]
    near = near_postcode(postcode, proximity)
    if near is None:
        return found
    return view.near(near, found) if near.regions else []


def taxonomy_terms(
    view: View, search: str | None, taxonomy_id: str | None, parent_id: str | None
) -> list[Item]:
    if parent_id is not None:
        return []  # our taxonomies are flat: no term has a parent
    filters = Filters(search=search, taxonomy_id=taxonomy_id)
    return [t for t in view.taxonomy_terms if filters.keep(t)]


def near_postcode(postcode: str | None, proximity: str | None) -> Near | None:
    """Where the `postcode` filter points (no regions: a valid code no centre can cover)."""
    metres = _metres(proximity)
    if postcode is None:
        if metres is not None:
            raise InvalidInput(
                "hsds_proximity_alone",
                errors=[field_error(["query", "proximity"], "hsds_proximity_alone")],
            )
        return None
    parsed = parse_postal_code(postcode)
    if parsed is None:
        raise InvalidInput(
            "postal_code_invalid",
            errors=[field_error(["query", "postcode"], "pattern_postal_code")],
            query=postcode,
        )
    fsa = get_resolver().fsas.get(parsed.fsa) if parsed.in_quebec else None
    if fsa is None:  # another province, or no such area: no service here covers it
        return Near(0.0, 0.0, frozenset(), metres)
    return Near(fsa.lat, fsa.lon, frozenset(fsa.regions), metres)


def _metres(proximity: str | None) -> float | None:
    if proximity is None:
        return None
    try:
        metres = float(proximity)
    except ValueError:
        metres = -1.0
    if not 0 < metres <= MAX_PROXIMITY_M:  # also refuses nan and inf
        raise InvalidInput(
            "hsds_proximity_range",
            errors=[
                field_error(["query", "proximity"], "hsds_proximity_range", limit=MAX_PROXIMITY_M)
            ],
            limit=MAX_PROXIMITY_M,
        )
    return metres
