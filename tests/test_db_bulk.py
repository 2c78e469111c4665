"""`app.db.bulk_insert` (COPY on PostgreSQL, the driver's executemany on SQLite) stores what
`insert_rows` stores, applies the columns' Python defaults, and fails as SQLAlchemy does."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import bulk_insert, insert_rows, utcnow
from app.models import Centre, CentreRegion, Location
from tests.helpers.db import both_backends

NOW = utcnow()


def _centre(ref: str, **extra: Any) -> dict[str, Any]:
    now = NOW
    return {"id": uuid.uuid4(), "ref": ref, "name": "Centre fictif « Ça marche » 1",
            "email": "accueil@example.org", "phone": "+1 819 555 0100", "website": None,
            "description_fr": "Ligne 1\nLigne 2\t\\ tab", "description_en": None,
            "languages": ["fr", "en"], "modes": ["in_person"], "intake_status": "open",
            "weekly_capacity": 7, "age_min": None, "age_max": 35, "active": True,
            "created_at": now, "updated_at": now} | extra  # fmt: skip


def _read(session: Session, ref: str) -> dict[str, Any]:
    centre = session.exec(select(Centre).where(Centre.ref == ref)).one()[0]  # type: ignore[call-overload]
    values = centre.model_dump(exclude={"id"})
    values["locations"] = [loc.model_dump(exclude={"id", "centre_id"}) for loc in centre.locations]
    values["regions"] = centre.regions_served
    return values


@both_backends
def test_bulk_insert_stores_what_insert_rows_stores(engine: Engine) -> None:
    one, two = _centre("cce-bulk-a"), _centre("cce-bulk-b")
    place = {"address": "1 rue Exemple", "municipality": "Trois-Rivières",
             "municipality_code": "37067", "postal_code": "G8T 2A1", "lat": 46.343,
             "lon": -72.543, "region_code": "04", "position": 0}  # fmt: skip
    with Session(engine) as session:
        insert_rows(session, Centre, one)
        bulk_insert(session, Centre, [two])
        insert_rows(session, Location, place | {"id": uuid.uuid4(), "centre_id": one["id"]})
        insert_rows(session, CentreRegion, {"centre_id": one["id"], "region_code": "04"})
        # No `position`: the column's default applies, as it does through Core.
        without = {k: v for k, v in place.items() if k != "position"}
        bulk_insert(session, Location, [without | {"id": uuid.uuid4(), "centre_id": two["id"]}])
        bulk_insert(session, CentreRegion, [{"centre_id": two["id"], "region_code": "04"}])
        bulk_insert(session, CentreRegion, [])  # nothing to do
        session.commit()
    with Session(engine) as session:
        a, b = _read(session, "cce-bulk-a"), _read(session, "cce-bulk-b")
    assert {**a, "ref": None} == {**b, "ref": None}
    assert b["languages"] == ["fr", "en"] and b["created_at"].tzinfo is not None
    assert b["locations"][0]["position"] == 0


@both_backends
def test_a_bulk_insert_that_breaks_a_constraint_is_a_sqlalchemy_error(engine: Engine) -> None:
    rows = [_centre("cce-bulk-dup"), _centre("cce-bulk-dup")]
    with Session(engine) as session:
        with pytest.raises(IntegrityError):
            bulk_insert(session, Centre, rows)
        session.rollback()
        count = session.scalar(select(func.count()).select_from(Centre))
    assert count == 0
