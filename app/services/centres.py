"""Centre directory rules: create, update, deactivate, and the views of a centre."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from app import dispatcher
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.geo import GeoError, Place, geocode_address, get_resolver
from app.models import (
    Centre,
    CentreClientGroup,
    CentreRegion,
    CentreSpecialty,
    DirectoryChange,
    DirectoryState,
    InboxEndpoint,
    Location,
)
from app.schemas.directory import (
    CentreAdmin,
    CentreBase,
    CentreCreate,
    CentrePublic,
    CentreUpdate,
    InboxIn,
    LocationIn,
)
from app.settings import Settings

CENTRE_LOADS = (
    selectinload(Centre.locations),  # type: ignore[arg-type]
    selectinload(Centre.region_links),  # type: ignore[arg-type]
    selectinload(Centre.specialty_links),  # type: ignore[arg-type]
    selectinload(Centre.client_group_links),  # type: ignore[arg-type]
    selectinload(Centre.inbox),  # type: ignore[arg-type]
)
SCALAR_FIELDS = (
    "name", "email", "phone", "website", "description_fr", "description_en", "languages",
    "modes", "intake_status", "weekly_capacity", "age_min", "age_max", "notify_emails",
)  # fmt: skip


def mark_directory_changed(
    session: Session, centre_ids: Iterable[uuid.UUID], *, removed: Iterable[uuid.UUID] = ()
) -> None:
    """Log a directory change in the caller's transaction: bump the `directory_state`
    version, write a `directory_change` row per centre at that version (`upsert` for
    `centre_ids`, `remove` for `removed`: centres that left the public directory), and flag
    the session (this process refreshes once it commits).

    Every directory write comes through here, so no replica misses one. The bump is a plain
    UPDATE run at once: it locks the state row until commit, so two directory transactions
    take versions in the order they commit, and the log's versions are contiguous."""
    now = utcnow()
    kinds = dict.fromkeys(centre_ids, "upsert") | dict.fromkeys(removed, "remove")
    if not kinds:
        return
    state = DirectoryState.__table__  # type: ignore[attr-defined]
    version = session.execute(
        update(state)
        .where(state.c.id == 1)
        .values(version=state.c.version + 1, changed_at=now)
        .returning(state.c.version)
    ).scalar_one_or_none()
    if version is None:  # a database made without the migrations' first row
        version = 1
        session.execute(insert(state).values(id=1, version=version, changed_at=now))
    session.execute(
        insert(DirectoryChange.__table__),  # type: ignore[attr-defined]
        [
            {"version": version, "centre_id": centre_id, "kind": kind, "at": now}
            for centre_id, kind in kinds.items()
        ],
    )
    session.info["directory_changed"] = True


def get_centre(session: Session, centre_id: uuid.UUID) -> Centre:
    centre = session.scalars(
        select(Centre).where(col(Centre.id) == centre_id).options(*CENTRE_LOADS)
    ).one_or_none()
    if centre is None:
        raise NotFound("centre_not_found", centre_id=str(centre_id))
    return centre


def get_centre_by_ref(session: Session, ref: str) -> Centre | None:
    return session.scalars(
        select(Centre).where(col(Centre.ref) == ref).options(*CENTRE_LOADS)
    ).one_or_none()


def list_centres(
    session: Session, *, limit: int, offset: int, include_inactive: bool = True
) -> tuple[list[Centre], int]:
    query = select(Centre)
    if not include_inactive:
        query = query.where(col(Centre.active).is_(True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(*CENTRE_LOADS).order_by(col(Centre.ref)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def create_centre(session: Session, data: CentreCreate, *, rules: Rules | None = None) -> Centre:
    """Add a centre; its ref must be new (409 otherwise)."""
    if get_centre_by_ref(session, data.ref) is not None:
        raise Conflict("centre_ref_taken", ref=data.ref)
    rules = rules or Rules()
    check_inbox(data.inbox, ["body", "inbox", "url"], production=rules.production)
    centre = Centre(ref=data.ref, name=data.name)
    locations = resolve_locations(data.locations, ["body", "locations"], geocode=rules.geocode)
    apply_fields(session, centre, data, locations)
    session.add(centre)
    session.flush()
    mark_directory_changed(session, [centre.id])
    return centre


def update_centre(
    session: Session, centre_id: uuid.UUID, data: CentreUpdate, *, rules: Rules | None = None
) -> Centre:
    """Change only the fields the caller gave."""
    centre = get_centre(session, centre_id)
    given = data.model_fields_set
    rules = rules or Rules()
    check_inbox(data.inbox, ["body", "inbox", "url"], production=rules.production)
    for name in SCALAR_FIELDS:
        if name in given:
            setattr(centre, name, getattr(data, name))
    if (
        centre.age_min is not None
        and centre.age_max is not None
        and centre.age_min > centre.age_max
    ):
        raise InvalidInput(
            "age_range_inverted", errors=[field_error(["body", "age_min"], "age_range_inverted")]
        )
    if "active" in given and data.active is not None:
        centre.active = data.active
    _set_links(centre, data.regions_served, data.specialties, data.client_groups)
    if "locations" in given and data.locations is not None:
        centre.locations = resolve_locations(
            data.locations, ["body", "locations"], geocode=rules.geocode
        )
    if "inbox" in given:
        set_inbox(session, centre, data.inbox)
    centre.updated_at = utcnow()
    session.add(centre)
    session.flush()
    _mark_centre(session, centre)
    return centre


def _mark_centre(session: Session, centre: Centre) -> None:
    if centre.active:
        mark_directory_changed(session, [centre.id])
    else:
        mark_directory_changed(session, (), removed=[centre.id])


def deactivate_centre(session: Session, centre_id: uuid.UUID) -> Centre:
    """Soft delete: the centre leaves the public directory and matching; its history stays."""
    centre = get_centre(session, centre_id)
    centre.active = False
    centre.updated_at = utcnow()
    session.add(centre)
    session.flush()
    mark_directory_changed(session, (), removed=[centre.id])
    return centre


def apply_fields(
    session: Session,
    centre: Centre,
    data: CentreBase,
    locations: list[Location],
    *,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Overwrite every field of `centre` from a full record (create and import upsert), but
    those of `keep` that the record does not give."""
    for name in SCALAR_FIELDS:
        if name in keep and name not in data.model_fields_set:
            continue
        setattr(centre, name, getattr(data, name))
    centre.updated_at = utcnow()
    _set_links(centre, data.regions_served, data.specialties, data.client_groups)
    centre.locations = locations
    if "inbox" in data.model_fields_set:  # a file without inboxes keeps the ones registered
        set_inbox(session, centre, data.inbox)


def _set_links(
    centre: Centre,
    regions: list[str] | None,
    specialties: list[str] | None,
    groups: list[str] | None,
) -> None:
    if regions is not None and regions != centre.regions_served:
        centre.region_links = [CentreRegion(region_code=code) for code in regions]
    if specialties is not None and specialties != centre.specialties:
        centre.specialty_links = [CentreSpecialty(specialty_code=code) for code in specialties]
    if groups is not None and groups != centre.client_groups:
        centre.client_group_links = [CentreClientGroup(client_group_code=c) for c in groups]


Geocode = Callable[[str], Place | None]


@dataclass(frozen=True, slots=True)
class Rules:
    """What depends on the deployment: inbox URL rules, and online geocoding (off by default)."""

    production: bool = False
    geocode: Geocode | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        geocode = None
        if settings.geocoder != "off":
            agent = settings.geocoder_user_agent

            def geocode(address: str) -> Place | None:
                return geocode_address(address, enabled=True, user_agent=agent)

        return cls(production=settings.env == "production", geocode=geocode)


def check_inbox(inbox: InboxIn | None, loc: list[str | int], *, production: bool) -> None:
    """In production an inbox is `https` on a host whose every address is public (DESIGN §8);
    the dispatcher checks again at each delivery."""
    problem = inbox and dispatcher.inbox_url_problem(inbox.url, production=production, resolve=True)
    if problem:
        code = inbox_problem_code(problem)
        raise InvalidInput(code, errors=[field_error(loc, code, reason=problem)], reason=problem)


# The dispatcher's reasons for refusing an inbox URL, as codes.
INBOX_PROBLEMS = {
    "the URL must use": "inbox_url_scheme",
    "the URL may not carry credentials": "inbox_url_credentials",
    "the URL has no host": "inbox_url_no_host",
    "the host is local": "inbox_url_local",
    "the address is a cloud metadata service": "inbox_url_metadata",
    "the address is not public": "inbox_url_not_public",
    "the address embeds one that is not public": "inbox_url_not_public",
}


def inbox_problem_code(problem: str) -> str:
    return next(
        (c for p, c in INBOX_PROBLEMS.items() if problem.startswith(p)), "inbox_url_refused"
    )


def set_inbox(session: Session, centre: Centre, inbox: InboxIn | None) -> None:
    """Register, replace (re-enabled) or remove (`None`: what was queued turns to pull) the
    centre's webhook endpoint."""
    if inbox is None:
        if centre.inbox is not None:
            # What was queued for the removed webhook is now read through the inbox API.
            dispatcher.to_pull(session, centre.id)
        centre.inbox = None
        return
    if centre.inbox is None:
        centre.inbox = InboxEndpoint(url=inbox.url, secret=inbox.secret)
        return
    if (centre.inbox.url, centre.inbox.secret) != (inbox.url, inbox.secret):
        centre.inbox.url, centre.inbox.secret = inbox.url, inbox.secret
        centre.inbox.enabled, centre.inbox.disabled_reason = True, None
        centre.inbox.disabled_at, centre.inbox.consecutive_failures = None, 0


def resolve_locations(
    items: list[LocationIn], loc: list[str | int], *, geocode: Geocode | None = None
) -> list[Location]:
    """Fill each location's point and region through the resolver (or, when turned on, an
    online geocoder for street addresses); report every failure."""
    return [Location(**row) for row in location_rows(items, loc, geocode=geocode)]


def location_rows(
    items: list[LocationIn], loc: list[str | int], *, geocode: Geocode | None = None
) -> list[dict[str, Any]]:
    """`resolve_locations` as plain column values, for bulk writes (an import builds no
    ORM instances: making 50,000 of them cost more than validating the whole file)."""
    errors: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            out.append(_resolve_location(item, i, geocode))
        except GeoError as exc:
            field = exc.extra.get("field")  # the input at fault: municipality, postal_code…
            where = [*loc, i, field] if isinstance(field, str) else [*loc, i]
            errors.append({"loc": where, "type": exc.code, "ctx": exc.params, **exc.extra})
    if errors:
        raise InvalidInput("locations_not_placed", errors=errors)
    return out


def _resolve_location(item: LocationIn, position: int, geocode: Geocode | None) -> dict[str, Any]:
    resolver = get_resolver()
    named = None
    if item.municipality or item.postal_code:
        # The point, when given, tells homonyms apart and stands in for an FSA the reference
        # does not list; a municipality not recognised for sure is an error, never a guess.
        named = resolver.place(
            municipality=item.municipality,
            postal_code=item.postal_code,
            lat=item.lat,
            lon=item.lon,
        )
    if item.lat is None and item.address and geocode is not None:
        found = geocode(
            ", ".join(filter(None, [item.address, item.municipality, item.postal_code]))
        )
        if found is not None and (named is None or found.region_code == named.region_code):
            item = item.model_copy(update={"lat": found.lat, "lon": found.lon})
    if item.lat is not None and item.lon is not None:
        region = resolver.region_at(item.lat, item.lon)
        if named is not None and named.municipality_code is not None:
            resolver.check_point_near(named, item.lat, item.lon)
        lat, lon = item.lat, item.lon
    else:
        # The schema demands a municipality, postal code or point.
        assert named is not None  # nosec B101  # a type narrowing, not a check of input
        region, lat, lon = named.region_code, named.lat, named.lon
    return {
        "position": position,
        "address": item.address,
        "municipality": item.municipality or (named.municipality if named else None),
        "municipality_code": named.municipality_code if named else None,
        "postal_code": _format_postal(item.postal_code),
        "lat": lat,
        "lon": lon,
        "region_code": region,
    }


def _format_postal(code: str | None) -> str | None:
    if not code:
        return None
    compact = code.replace(" ", "").replace("-", "").upper()
    return f"{compact[:3]} {compact[3:]}" if len(compact) == 6 else compact


def to_public(centre: Centre) -> CentrePublic:
    """What anyone may see of a centre, read from its attributes (a `Centre`, or a record
    of the directory index shaped like one)."""
    return CentrePublic.model_validate(centre)


def to_admin(centre: Centre) -> CentreAdmin:
    return CentreAdmin.model_validate(centre)
