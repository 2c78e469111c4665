"""A centre's inbox in `services.inbox`, called directly: reading delivers what was pending,
once; the person is shown only while the centre is on the request, and each such read is
logged; a centre pauses its intake or changes its webhook under the staff's URL rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.errors import InvalidInput, NotFound
from app.models import AuditEntry, Centre, OutboxEvent, Referral
from app.models.states import OutboxStatus, ReferralState
from app.schemas.intake import IntakeUpdate
from app.services import inbox, referrals
from app.settings import Settings
from tests.helpers.db import both_backends
from tests.helpers.factories import DEMO_SECRET
from tests.helpers.intake import Submitted, seed_centres, submit_request


@pytest.fixture
def centre_ids(engine: Engine) -> dict[str, uuid.UUID]:
    return seed_centres(engine)


@pytest.fixture
def submitted(engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]) -> Submitted:
    made = submit_request(engine, settings)
    assert made.referral_id is not None
    return made


def owner_of(engine: Engine, referral_id: uuid.UUID | None) -> uuid.UUID:
    with Session(engine) as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        return referral.centre_id


def read(
    engine: Engine, settings: Settings, centre_id: uuid.UUID, state: str | None = None
) -> tuple[list[dict], int]:
    with session_scope(engine) as session:
        return inbox.list_referrals(session, settings, centre_id, state=state, limit=20, offset=0)


def reads_logged(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "read_person"))
        return [(r.actor, r.detail or "") for r in rows]


@both_backends
def test_reading_delivers_what_was_pending_once_and_logs_the_read(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    owner = owner_of(engine, submitted.referral_id)
    items, total = read(engine, settings, owner)
    assert total == 1 and items[0]["state"] == ReferralState.DELIVERED
    assert items[0]["person"]["email"] == "marie@example.org"
    assert items[0]["message"] == "Je cherche un emploi."
    with Session(engine) as session:
        created = session.scalars(
            select(OutboxEvent).where(OutboxEvent.subject_id == submitted.referral_id)
        ).one()
        assert created.status == OutboxStatus.DELIVERED  # the pull event, acknowledged
    again, _ = read(engine, settings, owner)
    assert again[0]["state"] == ReferralState.DELIVERED
    with Session(engine) as session:
        delivered = session.get(Referral, submitted.referral_id)
        assert delivered is not None and delivered.version == 2  # moved by the first read only
    assert reads_logged(engine) == [(f"centre:{owner}", "inbox")] * 2


def test_another_centre_reads_nothing_and_logs_nothing(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID], submitted: Submitted
) -> None:
    owner = owner_of(engine, submitted.referral_id)
    other = next(i for i in centre_ids.values() if i != owner)
    assert read(engine, settings, other) == ([], 0)
    assert reads_logged(engine) == []
    with Session(engine) as session:
        pending = session.get(Referral, submitted.referral_id)
        assert pending is not None and pending.state == ReferralState.PENDING


def test_the_person_is_hidden_once_the_centre_is_off_the_request(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    owner = owner_of(engine, submitted.referral_id)
    with session_scope(engine) as session:
        referral = session.get(Referral, submitted.referral_id)
        assert referral is not None
        referrals.decline(session, settings, referral, f"centre:{owner}", "no_capacity", None)
    items, total = read(engine, settings, owner)
    assert total == 1 and items[0]["state"] == ReferralState.DECLINED
    assert items[0]["person"] is None and items[0]["message"] is None
    assert items[0]["criteria"]["needs"] == ["job_search"]  # what was asked, without who
    assert reads_logged(engine) == []
    assert read(engine, settings, owner, state="pending") == ([], 0)


@both_backends
def test_a_centre_pauses_and_reopens_its_intake(
    engine: Engine, centre_ids: dict[str, uuid.UUID]
) -> None:
    centre_id = centre_ids["tr-a"]
    with session_scope(engine) as session:
        paused = inbox.update_intake(
            session, centre_id, IntakeUpdate(intake_status="paused", weekly_capacity=5)
        )
        assert session.info["directory_changed"] is True
    assert (paused.intake_status, paused.weekly_capacity) == ("paused", 5)
    with session_scope(engine) as session:
        inbox.update_intake(session, centre_id, IntakeUpdate(intake_status="open"))
    with Session(engine) as session:
        centre = session.get(Centre, centre_id)
        assert centre is not None
        assert (centre.intake_status, centre.weekly_capacity) == ("open", 5)  # capacity kept


def test_a_paused_centre_gets_no_new_request(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    for ref in ("tr-a", "tr-b", "tr-c"):
        with session_scope(engine) as session:
            inbox.update_intake(session, centre_ids[ref], IntakeUpdate(intake_status="paused"))
    made = submit_request(engine, settings)
    assert made.referral_id is None  # every centre that could take it is paused: for staff


def test_a_centre_key_of_a_deleted_centre_changes_nothing(session: Session) -> None:
    with pytest.raises(NotFound) as refused:
        inbox.update_intake(session, uuid.uuid4(), IntakeUpdate(intake_status="paused"))
    assert refused.value.code == "key_centre_gone"


def test_a_centre_webhook_follows_the_production_rules(
    engine: Engine, centre_ids: dict[str, uuid.UUID]
) -> None:
    inside = IntakeUpdate.model_validate(
        {"inbox": {"url": "https://10.1.2.3/inbox", "secret": DEMO_SECRET}}
    )
    with pytest.raises(InvalidInput) as refused, session_scope(engine) as session:
        inbox.update_intake(session, centre_ids["tr-a"], inside, production=True)
    assert refused.value.code == "inbox_url_not_public"
    with session_scope(engine) as session:
        centre = inbox.update_intake(session, centre_ids["tr-a"], inside)  # development
        assert centre.inbox is not None and centre.inbox.url == "https://10.1.2.3/inbox"
    with session_scope(engine) as session:
        inbox.update_intake(session, centre_ids["tr-a"], IntakeUpdate(inbox=None))
    with Session(engine) as session:
        centre = session.get(Centre, centre_ids["tr-a"])
        assert centre is not None and centre.inbox is None
