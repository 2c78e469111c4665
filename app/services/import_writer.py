"""An import's comparison with the directory, and its writes as Core bulk statements.

`plan` reads what the directory holds for the file's refs (a few set-based SELECTs, no ORM
instances) and classes each record: new, updated (with the fields that change), unchanged,
deactivated. `write` sends the plan as bulk INSERTs (`app.db.bulk_insert`: COPY on
PostgreSQL), executemany UPDATEs and DELETEs inside the caller's transaction, parents first:
on any error the transaction rolls back whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session, col

from app import dispatcher
from app.db import bulk_insert, utcnow
from app.models import (
    Centre,
    CentreClientGroup,
    CentreRegion,
    CentreSpecialty,
    InboxEndpoint,
    Location,
)
from app.services.centres import SCALAR_FIELDS, mark_directory_changed

if TYPE_CHECKING:
    from app.services.importer import Record

ACTIONS: Final = ("new", "updated", "unchanged", "deactivated")
LINKS: Final = (
    ("regions_served", CentreRegion, "region_code"),
    ("specialties", CentreSpecialty, "specialty_code"),
    ("client_groups", CentreClientGroup, "client_group_code"),
)
LOCATION_COLUMNS: Final = (
    "address", "municipality", "municipality_code", "postal_code", "lat", "lon", "region_code",
)  # fmt: skip
CHUNK: Final = 1000  # rows per statement, and refs per IN list
BULK_CHUNK: Final = 10_000  # new centres per round of bulk inserts


@dataclass
class Change:
    ref: str
    action: str
    number: int
    record: Record
    centre_id: uuid.UUID
    fields: list[str] = field(default_factory=list)
    active: bool = True


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)


def plan(session: Session, records: Sequence[Record]) -> Plan:
    """Class every record against what the directory holds for its ref."""
    existing = _existing(session, [r.centre.ref for r in records if r.centre])
    out = Plan()
    for record in records:
        centre = record.centre
        assert centre is not None  # nosec B101  # validated records only
        now = existing.get(centre.ref)
        if now is None:
            active = True if record.active is None else record.active
            out.changes.append(
                Change(centre.ref, "new", record.number, record, uuid.uuid4(), active=active)
            )
            continue
        # An HSDS package does not carry some fields: a centre already known keeps them.
        for name in getattr(record.raw, "keep", ()):
            if name in now and name in SCALAR_FIELDS:
                setattr(centre, name, now[name])
        wanted = _state(record)
        fields = [k for k, v in wanted.items() if k in now and now[k] != v]
        active = now["active"] if record.active is None else record.active
        if active != now["active"]:
            fields.append("active")
        action = "updated" if fields else "unchanged"
        if now["active"] and not active:
            action = "deactivated"
        out.changes.append(
            Change(centre.ref, action, record.number, record, now["id"], fields, active)
        )
    return out


def _state(record: Record) -> dict[str, Any]:
    """What a record says, in the shape `_existing` reads from the database."""
    centre = record.centre
    assert centre is not None  # nosec B101
    state: dict[str, Any] = {name: getattr(centre, name) for name in SCALAR_FIELDS}
    for name, _, _ in LINKS:
        state[name] = sorted(getattr(centre, name))
    state["locations"] = [_location_key(loc) for loc in record.locations]
    if "inbox" in centre.model_fields_set:
        state["inbox"] = (centre.inbox.url, centre.inbox.secret) if centre.inbox else None
    return state


def _location_key(loc: Any) -> tuple[Any, ...]:
    values = [getattr(loc, c) if not isinstance(loc, dict) else loc[c] for c in LOCATION_COLUMNS]
    values[4], values[5] = round(values[4], 6), round(values[5], 6)
    return tuple(values)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(session: Session, refs: list[str]) -> dict[str, dict[str, Any]]:
    """The directory's state for these refs, read set-based."""
    table = Centre.__table__  # type: ignore[attr-defined]
    found: dict[str, dict[str, Any]] = {}
    columns = [table.c.id, table.c.ref, table.c.active, *(table.c[n] for n in SCALAR_FIELDS)]
    for chunk in _chunks(refs):
        for row in session.execute(select(*columns).where(table.c.ref.in_(chunk))).mappings():
            state = dict(row)
            state.update({name: [] for name, _, _ in LINKS}, locations=[], inbox=None)
            found[row["ref"]] = state
    by_id = {state["id"]: state for state in found.values()}
    ids = list(by_id)
    for name, model, code in LINKS:
        link = model.__table__  # type: ignore[union-attr]
        for chunk in _chunks(ids):
            rows = session.execute(
                select(link.c.centre_id, link.c[code]).where(link.c.centre_id.in_(chunk))
            )
            for centre_id, value in rows:
                by_id[centre_id][name].append(value)
    for state in by_id.values():
        for name, _, _ in LINKS:
            state[name].sort()
    places = Location.__table__  # type: ignore[attr-defined]
    inboxes = InboxEndpoint.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(ids):
        query = (
            select(places.c.centre_id, *(places.c[c] for c in LOCATION_COLUMNS))
            .where(places.c.centre_id.in_(chunk))
            .order_by(places.c.centre_id, places.c.position)
        )
        for row in session.execute(query).mappings():
            by_id[row["centre_id"]]["locations"].append(_location_key(row))
        query2 = select(inboxes.c.centre_id, inboxes.c.url, inboxes.c.secret).where(
            inboxes.c.centre_id.in_(chunk)
        )
        for centre_id, url, secret in session.execute(query2):
            by_id[centre_id]["inbox"] = (url, secret)
    return found


def write(session: Session, plan: Plan, *, progress: Callable[[int], None] | None = None) -> None:
    """Send the plan to the database: new centres and their rows, then the updated ones."""
    new = [c for c in plan.changes if c.action == "new"]
    changed = [c for c in plan.changes if c.action in ("updated", "deactivated")]
    if not new and not changed:
        return
    now = utcnow()
    for chunk in _chunks(new, BULK_CHUNK):
        bulk_insert(session, Centre, [_centre_row(c, now, created=True) for c in chunk])
        _children(session, chunk, replace=False)
    for chunk in _chunks(changed):
        _update(session, chunk, now)
        _children(session, chunk, replace=True)
    session.flush()
    mark_directory_changed(
        session,
        [c.centre_id for c in (*new, *changed) if c.active],
        removed=[c.centre_id for c in (*new, *changed) if not c.active],
    )


def _centre_row(change: Change, now: Any, *, created: bool) -> dict[str, Any]:
    centre = change.record.centre
    assert centre is not None  # nosec B101
    row: dict[str, Any] = {name: getattr(centre, name) for name in SCALAR_FIELDS}
    row |= {"ref": centre.ref, "name": centre.name, "active": change.active, "updated_at": now}
    if created:
        row |= {"id": change.centre_id, "created_at": now}
    else:
        row["b_id"] = change.centre_id
    return row


def _update(session: Session, chunk: Sequence[Change], now: Any) -> None:
    table = Centre.__table__  # type: ignore[attr-defined]
    names = [*SCALAR_FIELDS, "name", "active", "updated_at"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({n: bindparam(n) for n in names if n != "name"} | {"name": bindparam("name")})
    )
    rows = [_centre_row(c, now, created=False) for c in chunk]
    session.connection().execute(statement, [{k: r[k] for k in [*names, "b_id"]} for r in rows])


def _children(session: Session, chunk: Sequence[Change], *, replace: bool) -> None:
    """Locations, links and inboxes of these centres; `replace` deletes the old ones first
    (only for the parts that changed)."""
    if replace:
        _delete_old(session, chunk)
    locations: list[dict[str, Any]] = []
    links: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in LINKS}
    inboxes: list[dict[str, Any]] = []
    for change in chunk:
        centre = change.record.centre
        assert centre is not None  # nosec B101
        touched = set(change.fields) if replace else None
        if touched is None or "locations" in touched:
            for position, loc in enumerate(change.record.locations):
                row = {c: loc[c] for c in LOCATION_COLUMNS}
                locations.append(
                    row | {"id": uuid.uuid4(), "centre_id": change.centre_id, "position": position}
                )
        for name, _, code in LINKS:
            if touched is None or name in touched:
                links[name] += [
                    {"centre_id": change.centre_id, code: v} for v in getattr(centre, name)
                ]
        if centre.inbox is not None and (touched is None or "inbox" in touched):
            inboxes.append(
                {
                    "id": uuid.uuid4(),
                    "centre_id": change.centre_id,
                    "url": centre.inbox.url,
                    "secret": centre.inbox.secret,
                    "enabled": True,
                    "disabled_reason": None,
                    "disabled_at": None,
                    "consecutive_failures": 0,
                    "created_at": utcnow(),
                }
            )
    bulk_insert(session, Location, locations)
    for name, model, _ in LINKS:
        bulk_insert(session, model, links[name])
    bulk_insert(session, InboxEndpoint, inboxes)


def _delete_old(session: Session, chunk: Sequence[Change]) -> None:
    parts: list[tuple[str, Any]] = [("locations", Location), ("inbox", InboxEndpoint)]
    parts += [(name, model) for name, model, _ in LINKS]
    for name, model in parts:
        ids = [c.centre_id for c in chunk if name in c.fields]
        if not ids:
            continue
        if name == "inbox":
            for change in chunk:
                if (
                    "inbox" in change.fields
                    and change.record.centre
                    and not change.record.centre.inbox
                ):
                    dispatcher.to_pull(session, change.centre_id)
        table = model.__table__
        session.execute(delete(table).where(col(table.c.centre_id).in_(ids)))
