"""The directory import in `services.importer`, called directly: upsert by ref, every
problem reported and nothing written, a dry run that writes nothing, and what a re-import
keeps (registered inboxes, deactivations)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.errors import InvalidInput
from app.models import Centre
from app.schemas.directory import ImportReport
from app.services import centres, importer
from tests.helpers.db import both_backends
from tests.helpers.factories import DEMO_SECRET, centre_record, montreal_record


def run(engine: Engine, records: list[dict], **options: object) -> ImportReport:
    with session_scope(engine) as session:
        return importer.import_records(session, records, **options)  # type: ignore[arg-type]


def by_ref(engine: Engine) -> dict[str, Centre]:
    with Session(engine, expire_on_commit=False) as session:
        rows = session.scalars(select(Centre).options(*centres.CENTRE_LOADS)).all()
        return {c.ref: c for c in rows}


@both_backends
def test_records_are_upserted_by_ref(engine: Engine) -> None:
    first = run(engine, [centre_record("imp-a"), montreal_record("imp-b")])
    assert (first.created, first.updated) == (2, 0) and sorted(first.refs) == ["imp-a", "imp-b"]
    again = run(engine, [centre_record("imp-a", name="Centre renommé"), montreal_record("imp-b")])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    stored = by_ref(engine)
    assert set(stored) == {"imp-a", "imp-b"} and stored["imp-a"].name == "Centre renommé"
    assert stored["imp-b"].regions_served == ["06"]


@both_backends
def test_one_bad_record_writes_nothing_and_every_problem_is_named(engine: Engine) -> None:
    records = [
        centre_record("imp-ok"),
        centre_record("imp-bad", regions_served=["99"], weekly_capacity=-1),
        centre_record("IMP-OK"),  # the same ref, in other case
    ]
    with pytest.raises(InvalidInput) as refused:
        run(engine, records)
    assert refused.value.code == "import_invalid"
    errors = refused.value.errors or []
    assert {e["record"] for e in errors} == {2, 3}
    assert any(e["type"] == "ref_duplicate" and e["record"] == 3 for e in errors)
    assert refused.value.extra["records"] == 2
    assert by_ref(engine) == {}


def test_a_dry_run_says_what_would_change_and_writes_nothing(engine: Engine) -> None:
    run(engine, [centre_record("imp-dry")])
    report = run(
        engine,
        [centre_record("imp-dry", weekly_capacity=5), centre_record("imp-new")],
        dry_run=True,
    )
    assert (report.dry_run, report.created, report.updated) == (True, 1, 1)
    stored = by_ref(engine)
    assert set(stored) == {"imp-dry"} and stored["imp-dry"].weekly_capacity == 20


def test_a_reimport_keeps_registered_inboxes_and_deactivations(engine: Engine) -> None:
    inbox = {"url": "http://127.0.0.1:9/x", "secret": DEMO_SECRET}
    run(engine, [centre_record("keep-1", inbox=inbox), centre_record("keep-2")])
    with session_scope(engine) as session:
        centres.deactivate_centre(session, by_ref(engine)["keep-2"].id)
    run(engine, [centre_record("keep-1"), centre_record("keep-2")])
    stored = by_ref(engine)
    assert stored["keep-1"].inbox is not None
    assert stored["keep-1"].inbox.url == "http://127.0.0.1:9/x"
    assert stored["keep-2"].active is False


def test_an_empty_import_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        importer.load(b'{"centres": []}', filename="centres.json")
    assert refused.value.code == "import_empty"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Centre)) == 0
