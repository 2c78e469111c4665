"""The directory read set-based, for the in-memory index: centres as plain records, and the
change log (`directory_change`) that tells a replica which centres to read again.

A record has what the index, the public JSON and HSDS read of a centre (the `Centre` model's
attributes, without the inbox); it lives only while a snapshot is built."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, delete, select, type_coerce
from sqlmodel import Session

from app.models import (
    Centre,
    CentreClientGroup,
    CentreRegion,
    CentreSpecialty,
    DirectoryChange,
    DirectoryState,
    Location,
)

CHUNK = 500  # ids per IN (...) list
KEEP_CHANGES = timedelta(days=1)  # a replica further behind rebuilds in full

_COLUMNS = (
    "id", "ref", "name", "email", "phone", "website", "description_fr", "description_en",
    "languages", "modes", "intake_status", "weekly_capacity", "age_min", "age_max", "active",
    "created_at", "updated_at",
)  # fmt: skip
_PLACE = (
    "centre_id", "position", "address", "municipality", "municipality_code", "postal_code",
    "lat", "lon", "region_code",
)  # fmt: skip


@dataclass(slots=True)
class PlaceRecord:
    position: int
    address: str | None
    municipality: str | None
    municipality_code: str | None
    postal_code: str | None
    lat: float
    lon: float
    region_code: str


@dataclass(slots=True)
class CentreRecord:
    """A centre as the index reads it (duck-typed as `Centre` for `to_public`, matching's
    `profile_of` and HSDS's `CentreLike`)."""

    id: uuid.UUID
    ref: str
    name: str
    email: str | None
    phone: str | None
    website: str | None
    description_fr: str | None
    description_en: str | None
    languages: list[str]
    modes: list[str]
    intake_status: str
    weekly_capacity: int
    age_min: int | None
    age_max: int | None
    active: bool
    created_at: datetime
    updated_at: datetime
    notify_emails: list[str] = field(default_factory=list)  # not read: `to_public` skips it
    regions_served: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    client_groups: list[str] = field(default_factory=list)
    locations: list[PlaceRecord] = field(default_factory=list)


_LINKS: tuple[tuple[str, Any, str], ...] = (
    ("regions_served", CentreRegion, "region_code"),
    ("specialties", CentreSpecialty, "specialty_code"),
    ("client_groups", CentreClientGroup, "client_group_code"),
)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def load_centres(session: Session, ids: Iterable[uuid.UUID] | None = None) -> list[CentreRecord]:
    """The centres of `ids` (those still there, active or not), or every active centre: five
    set-based reads, whatever their number."""
    if ids is not None:
        return _load(session, ids=list(ids))
    return [record for chunk in iter_active_centres(session, None) for record in chunk]


def iter_active_centres(session: Session, size: int | None = 5_000) -> Iterator[list[CentreRecord]]:
    """Every active centre, `size` at a time (in id order, five reads per range of ids), so a
    full build never holds the records of 100,000 centres at once; all at once for None."""
    table = Centre.__table__  # type: ignore[attr-defined]
    if size is None:
        yield _load(session)
        return
    ids = session.scalars(
        select(table.c.id).where(table.c.active.is_(True)).order_by(table.c.id)
    ).all()
    for start in range(0, len(ids), size):
        yield _load(session, within=(ids[start], ids[min(start + size, len(ids)) - 1]))


def _load(
    session: Session,
    ids: Sequence[uuid.UUID] | None = None,
    within: tuple[uuid.UUID, uuid.UUID] | None = None,
) -> list[CentreRecord]:
    """The centres of `ids`, or the active ones (those with an id `within` the range, when
    given)."""
    table = Centre.__table__  # type: ignore[attr-defined]
    # Rows are matched to their centre by the id as the driver gives it (text on SQLite), not
    # as a UUID: making 300,000 UUID objects would be most of the read.
    query = select(_raw(table.c.id), *(table.c[name] for name in _COLUMNS))
    found: dict[Any, CentreRecord] = {}
    active = table.c.active.is_(True)
    if within is not None:  # by the primary key alone: the index on `active` would scan all
        rows: Iterable[Any] = [
            row for row in session.execute(query.where(table.c.id.between(*within))) if row.active
        ]
    elif ids is None:
        rows = session.execute(query.where(active)).all()
    else:
        rows = [r for c in _chunks(ids) for r in session.execute(query.where(table.c.id.in_(c)))]
    for row in rows:
        found[row[0]] = CentreRecord(*row[1:])
    if not found:
        return []

    def of(link: Any, *columns: Any) -> Iterator[Any]:
        query = select(*columns)
        if within is not None:  # rows of inactive centres in the range are left by `found`
            yield from session.execute(query.where(link.c.centre_id.between(*within)))
        elif ids is None:
            yield from session.execute(
                query.join(table, table.c.id == link.c.centre_id).where(active)
            )
        else:
            for chunk in _chunks([record.id for record in found.values()]):
                yield from session.execute(query.where(link.c.centre_id.in_(chunk)))

    for name, model, code in _LINKS:
        link = model.__table__
        for centre_id, value in of(link, _raw(link.c.centre_id), link.c[code]):
            record = found.get(centre_id)
            if record is not None:
                getattr(record, name).append(value)
    places = Location.__table__  # type: ignore[attr-defined]
    for row in of(places, _raw(places.c.centre_id), *(places.c[name] for name in _PLACE[1:])):
        record = found.get(row[0])
        if record is not None:
            record.locations.append(PlaceRecord(*row[1:]))
    for record in found.values():
        for name, _, _ in _LINKS:
            getattr(record, name).sort()
        record.locations.sort(key=lambda p: p.position)
    return list(found.values())


def _raw(column: Any) -> Any:
    return type_coerce(column, String)


def state_version(session: Session) -> int:
    state = session.get(DirectoryState, 1)
    return state.version if state else 0


def read_changes(session: Session, since: int) -> tuple[int, dict[uuid.UUID, str]] | None:
    """The version the log reaches and the centres changed after `since` (the last kind
    logged for each), or None when the log no longer holds every version after `since`
    (pruned, or another database): then the caller rebuilds in full."""
    current = state_version(session)
    if current == since:
        return since, {}
    if current < since:
        return None
    log = DirectoryChange.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(log.c.version, log.c.centre_id, log.c.kind)
        .where(log.c.version > since)
        .order_by(log.c.id)
    ).all()
    versions = {row[0] for row in rows}
    if not versions or versions != set(range(since + 1, max(versions) + 1)):
        return None
    return max(versions), {row[1]: row[2] for row in rows}


def prune_changes(session: Session, now: datetime) -> int:
    """Forget the log's rows older than `KEEP_CHANGES`, but the last version's (the sweeper)."""
    log = DirectoryChange.__table__  # type: ignore[attr-defined]
    gone = session.execute(
        delete(log).where(log.c.at < now - KEEP_CHANGES, log.c.version < state_version(session))
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
