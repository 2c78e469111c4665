"""The referral lifecycle in `services.referrals`, called directly: accept, decline and move on,
expiry as a rule and as a sweep, staff cancellation, and a centre reaching only its own."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope, utcnow
from app.errors import Conflict, NotFound
from app.models import Consultation, OutboxEvent, Referral, ReferralEvent
from app.models.states import ConsultationStatus, OutboxStatus, ReferralState
from app.services import referrals
from app.settings import Settings
from tests.helpers.db import both_backends
from tests.helpers.intake import Submitted, seed_centres, submit_request


@pytest.fixture
def centre_ids(engine: Engine) -> dict[str, uuid.UUID]:
    return seed_centres(engine)


@pytest.fixture
def submitted(engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]) -> Submitted:
    made = submit_request(engine, settings)
    assert made.referral_id is not None
    return made


def referral_rows(engine: Engine) -> list[Referral]:
    with Session(engine) as session:
        return list(session.scalars(select(Referral).order_by(Referral.attempt)).all())


def history(engine: Engine, referral_id: uuid.UUID) -> list[tuple[str | None, str, str]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at)
        ).all()
        return [(r.from_state, r.to_state, r.actor) for r in rows]


def consultation_status(engine: Engine, consultation_id: uuid.UUID) -> str:
    with Session(engine) as session:
        consultation = session.get(Consultation, consultation_id)
        assert consultation is not None
        return consultation.status


def event_statuses(engine: Engine, subject_id: uuid.UUID) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.subject_id == subject_id))
        return {e.event_type: e.status for e in rows}


def answer(engine: Engine, settings: Settings, referral_id: uuid.UUID, how: str) -> None:
    with session_scope(engine) as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        if how == "accept":
            referrals.accept(session, settings, referral, "centre:test")
        else:
            referrals.decline(session, settings, referral, "centre:test", "no_capacity", "complet")


@both_backends
def test_accepting_closes_the_request_and_records_who(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    assert submitted.referral_id is not None
    answer(engine, settings, submitted.referral_id, "accept")
    answer(engine, settings, submitted.referral_id, "accept")  # again: nothing more happens
    [row] = referral_rows(engine)
    assert row.state == ReferralState.ACCEPTED and row.responded_at is not None
    assert history(engine, row.id) == [
        (None, "pending", "public"),
        ("pending", "accepted", "centre:test"),
    ]
    assert consultation_status(engine, submitted.consultation_id) == ConsultationStatus.ACCEPTED
    with pytest.raises(Conflict) as refused:
        answer(engine, settings, row.id, "decline")
    assert refused.value.code == "referral_not_declinable"


@both_backends
def test_declines_move_on_to_each_open_centre_then_to_staff(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID], submitted: Submitted
) -> None:
    for _ in range(settings.max_referrals_per_consultation):
        [current] = [r for r in referral_rows(engine) if r.state == ReferralState.PENDING]
        answer(engine, settings, current.id, "decline")
        # The declined referral's own webhook will not go out any more.
        assert event_statuses(engine, current.id)["referral.created"] == OutboxStatus.CANCELLED
    rows = referral_rows(engine)
    assert [r.state for r in rows] == [ReferralState.DECLINED] * 3
    assert [r.attempt for r in rows] == [1, 2, 3]
    tried = {r.centre_id for r in rows}
    assert len(tried) == 3 and centre_ids["tr-paused"] not in tried
    assert rows[0].decline_reason == "no_capacity" and rows[0].decline_note == "complet"
    assert consultation_status(engine, submitted.consultation_id) == ConsultationStatus.UNROUTED


def test_an_answer_past_the_delay_is_refused_before_any_sweep(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    with session_scope(engine) as session:
        referral = session.get(Referral, submitted.referral_id)
        assert referral is not None
        referral.expires_at = utcnow() - timedelta(seconds=1)
    for how in ("accept", "decline"):
        with pytest.raises(Conflict) as refused:
            answer(engine, settings, submitted.referral_id, how)
        assert refused.value.code == "referral_expired"
    [row] = referral_rows(engine)
    assert row.state == ReferralState.PENDING  # the sweep, not the refusal, moves it on


@both_backends
def test_the_sweep_expires_what_is_due_and_moves_each_request_on(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    due = submit_request(engine, settings)
    not_yet = submit_request(engine, settings)
    now = utcnow()
    with session_scope(engine) as session:
        referral = session.get(Referral, due.referral_id)
        assert referral is not None
        referral.expires_at = now - timedelta(minutes=1)
    with session_scope(engine) as session:
        assert referrals.expire_due(session, settings, now) == 1
    with session_scope(engine) as session:
        assert referrals.expire_due(session, settings, now) == 0  # nothing left due
    with Session(engine) as session:
        by_request = {
            c: [
                (r.attempt, r.state)
                for r in session.scalars(
                    select(Referral).where(Referral.consultation_id == c).order_by(Referral.attempt)
                )
            ]
            for c in (due.consultation_id, not_yet.consultation_id)
        }
    assert by_request[due.consultation_id] == [
        (1, ReferralState.EXPIRED),
        (2, ReferralState.PENDING),
    ]
    assert by_request[not_yet.consultation_id] == [(1, ReferralState.PENDING)]
    assert history(engine, due.referral_id)[-1] == ("pending", "expired", "system:expiry")


def test_staff_cancel_puts_the_request_back_in_the_queue_and_tells_the_centre(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    with session_scope(engine) as session:
        # The centre has it: it read its inbox.
        referrals.deliver_pending(session, [submitted.referral_id], "centre:test")
    with session_scope(engine) as session:
        referral = session.get(Referral, submitted.referral_id)
        assert referral is not None
        referrals.cancel(session, referral, "staff:ana", "doublon")
    [row] = referral_rows(engine)
    assert row.state == ReferralState.CANCELLED
    assert consultation_status(engine, submitted.consultation_id) == ConsultationStatus.UNROUTED
    events = event_statuses(engine, row.id)
    assert events["referral.created"] == OutboxStatus.CANCELLED
    # Queued for the centre, which has no webhook endpoint: it reads it in its inbox.
    assert events["referral.cancelled"] == OutboxStatus.PULL
    with pytest.raises(Conflict) as refused:
        answer(engine, settings, row.id, "accept")
    assert refused.value.code == "referral_not_acceptable"


def test_an_answered_referral_cannot_be_cancelled(
    engine: Engine, settings: Settings, submitted: Submitted
) -> None:
    assert submitted.referral_id is not None
    answer(engine, settings, submitted.referral_id, "accept")
    with pytest.raises(Conflict) as refused, session_scope(engine) as session:
        referral = session.get(Referral, submitted.referral_id)
        assert referral is not None
        referrals.cancel(session, referral, "staff:ana", None)
    assert refused.value.code == "referral_already_closed"


def test_a_centre_reaches_only_its_own_referrals(
    engine: Engine, centre_ids: dict[str, uuid.UUID], submitted: Submitted
) -> None:
    assert submitted.referral_id is not None
    [row] = referral_rows(engine)
    other = next(i for i in centre_ids.values() if i != row.centre_id)
    with Session(engine) as session:
        assert referrals.centre_referral(session, row.centre_id, row.id).id == row.id
        for centre_id, referral_id in ((other, row.id), (row.centre_id, uuid.uuid4())):
            with pytest.raises(NotFound) as refused:
                referrals.centre_referral(session, centre_id, referral_id)
            assert refused.value.code == "inbox_referral_not_found"


@both_backends
def test_delivering_twice_moves_a_referral_once(engine: Engine, submitted: Submitted) -> None:
    ids = [submitted.referral_id]
    with session_scope(engine) as session:
        assert referrals.deliver_pending(session, ids, "dispatcher") == set(ids)
    with session_scope(engine) as session:
        assert referrals.deliver_pending(session, ids, "dispatcher") == set()
    [row] = referral_rows(engine)
    assert row.state == ReferralState.DELIVERED and row.version == 2
    assert [h[1] for h in history(engine, row.id)] == ["pending", "delivered"]
