"""The directory's rules in `services.centres`, called directly: a ref is taken once, an
update changes only what it names, ages stay in order, a deactivated centre leaves the public
directory, inbox URLs follow the deployment's rules, and every write is logged as a change."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Centre, DirectoryChange, DirectoryState, OutboxEvent
from app.models.states import OutboxStatus
from app.schemas.directory import CentreCreate, CentreUpdate
from app.services import centres
from app.services.centres import Rules
from tests.helpers.db import both_backends
from tests.helpers.dispatch import enqueue_committed
from tests.helpers.factories import DEMO_SECRET, centre_record


def create(engine: Engine, ref: str = "svc-1") -> uuid.UUID:
    with session_scope(engine) as session:
        made = centres.create_centre(session, CentreCreate.model_validate(centre_record(ref)))
        return made.id


def changes(engine: Engine) -> tuple[int, list[tuple[int, uuid.UUID, str]]]:
    """The directory's version and its change log, oldest first."""
    with Session(engine) as session:
        version = session.get(DirectoryState, 1)
        rows = session.scalars(select(DirectoryChange).order_by(DirectoryChange.version)).all()
        assert version is not None
        return version.version, [(r.version, r.centre_id, r.kind) for r in rows]


@both_backends
def test_a_ref_is_taken_once_and_the_second_create_writes_nothing(engine: Engine) -> None:
    create(engine, "svc-dup")
    with pytest.raises(Conflict) as refused, session_scope(engine) as session:
        centres.create_centre(session, CentreCreate.model_validate(centre_record("svc-dup")))
    assert refused.value.code == "centre_ref_taken" and refused.value.status == 409
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Centre)) == 1


@both_backends
def test_each_write_bumps_the_version_and_logs_the_centre(engine: Engine) -> None:
    before, _ = changes(engine)
    first = create(engine, "svc-a")
    second = create(engine, "svc-b")
    with session_scope(engine) as session:
        centres.update_centre(session, first, CentreUpdate(name="Centre renommé"))
    with session_scope(engine) as session:
        centres.deactivate_centre(session, second)
    version, log = changes(engine)
    assert version == before + 4
    assert log == [
        (before + 1, first, "upsert"),
        (before + 2, second, "upsert"),
        (before + 3, first, "upsert"),
        (before + 4, second, "remove"),
    ]


def test_the_session_is_flagged_for_the_refresh_after_commit(session: Session) -> None:
    centres.create_centre(session, CentreCreate.model_validate(centre_record("svc-flag")))
    assert session.info["directory_changed"] is True


def test_an_update_changes_only_the_fields_it_names(engine: Engine) -> None:
    centre_id = create(engine, "svc-partial")
    with session_scope(engine) as session:
        centres.update_centre(session, centre_id, CentreUpdate(name="Nouveau nom", phone=None))
    with Session(engine) as session:
        centre = centres.get_centre(session, centre_id)
        assert (centre.name, centre.phone) == ("Nouveau nom", None)
        assert centre.email == "accueil@svc-partial.example.org"
        assert centre.regions_served == ["04", "17"]
        assert [loc.municipality for loc in centre.locations] == ["Trois-Rivières"]


def test_ages_stay_in_order_against_what_is_stored(engine: Engine) -> None:
    centre_id = create(engine, "svc-ages")
    with session_scope(engine) as session:
        centres.update_centre(session, centre_id, CentreUpdate(age_min=16, age_max=30))
    with pytest.raises(InvalidInput) as refused, session_scope(engine) as session:
        centres.update_centre(session, centre_id, CentreUpdate(age_min=35))
    assert refused.value.code == "age_range_inverted"
    assert refused.value.errors and refused.value.errors[0]["loc"] == ["body", "age_min"]
    with Session(engine) as session:
        centre = centres.get_centre(session, centre_id)
        assert (centre.age_min, centre.age_max) == (16, 30)  # rolled back whole


def test_a_deactivated_centre_leaves_the_public_list_and_keeps_its_row(engine: Engine) -> None:
    kept, gone = create(engine, "svc-kept"), create(engine, "svc-gone")
    with session_scope(engine) as session:
        centres.deactivate_centre(session, gone)
    with Session(engine) as session:
        public, total = centres.list_centres(session, limit=10, offset=0, include_inactive=False)
        assert [c.id for c in public] == [kept] and total == 1
        everyone, total = centres.list_centres(session, limit=10, offset=0)
        assert {c.id for c in everyone} == {kept, gone} and total == 2
        assert centres.get_centre(session, gone).active is False


def test_an_unknown_centre_is_not_found(session: Session) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as refused:
        centres.get_centre(session, missing)
    assert refused.value.code == "centre_not_found" and refused.value.status == 404
    with pytest.raises(NotFound):
        centres.update_centre(session, missing, CentreUpdate(name="x"))
    with pytest.raises(NotFound):
        centres.deactivate_centre(session, missing)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:9000/inbox", "inbox_url_scheme"),
        ("https://localhost/inbox", "inbox_url_local"),
        ("https://127.0.0.1/inbox", "inbox_url_not_public"),
        ("https://169.254.169.254/latest", "inbox_url_metadata"),
        ("https://10.0.0.8/inbox", "inbox_url_not_public"),
    ],
)
def test_production_refuses_inboxes_that_reach_inside(
    session: Session, url: str, code: str
) -> None:
    record = centre_record("svc-inbox", inbox={"url": url, "secret": DEMO_SECRET})
    with pytest.raises(InvalidInput) as refused:
        centres.create_centre(
            session, CentreCreate.model_validate(record), rules=Rules(production=True)
        )
    assert refused.value.code == code, refused.value.extra
    assert refused.value.errors and refused.value.errors[0]["loc"] == ["body", "inbox", "url"]


def test_development_takes_a_local_receiver(session: Session) -> None:
    record = centre_record(
        "svc-local", inbox={"url": "http://127.0.0.1:9000/in", "secret": DEMO_SECRET}
    )
    centre = centres.create_centre(session, CentreCreate.model_validate(record))
    assert centre.inbox is not None and centre.inbox.url == "http://127.0.0.1:9000/in"


def test_removing_the_inbox_turns_what_is_queued_into_pull(engine: Engine) -> None:
    record = centre_record(
        "svc-pull", inbox={"url": "http://127.0.0.1:9/in", "secret": DEMO_SECRET}
    )
    with session_scope(engine) as session:
        centre_id = centres.create_centre(session, CentreCreate.model_validate(record)).id
    queued = enqueue_committed(engine, centre_id)
    with session_scope(engine) as session:
        centres.update_centre(session, centre_id, CentreUpdate(inbox=None))
    with Session(engine) as session:
        event = session.get(OutboxEvent, queued.id)
        assert event is not None and event.status == OutboxStatus.PULL
        assert centres.get_centre(session, centre_id).inbox is None


def test_a_new_inbox_url_re_enables_a_disabled_endpoint(engine: Engine) -> None:
    record = centre_record(
        "svc-again", inbox={"url": "http://127.0.0.1:9/a", "secret": DEMO_SECRET}
    )
    with session_scope(engine) as session:
        centre = centres.create_centre(session, CentreCreate.model_validate(record))
        assert centre.inbox is not None
        centre.inbox.enabled, centre.inbox.consecutive_failures = False, 9
        centre_id = centre.id
    with session_scope(engine) as session:
        update = CentreUpdate.model_validate(
            {"inbox": {"url": "http://127.0.0.1:9/b", "secret": DEMO_SECRET}}
        )
        centres.update_centre(session, centre_id, update)
    with Session(engine) as session:
        inbox = centres.get_centre(session, centre_id).inbox
        assert inbox is not None
        assert (inbox.url, inbox.enabled, inbox.consecutive_failures) == (
            "http://127.0.0.1:9/b",
            True,
            0,
        )
