"""`enqueue`: the outbox row lives and dies with the business transaction."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.dispatcher import enqueue
from app.dispatcher.outbox import encode_body
from app.models.outbox import OutboxEvent
from tests.helpers.dispatch import add_centre, enqueue_committed, referral_data


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxEvent.id)).all())


def test_enqueue_builds_the_documented_body(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url="http://127.0.0.1:9/inbox")
    moment = datetime(2026, 11, 27, 20, 15, tzinfo=UTC)
    event = enqueue_committed(dispatch_engine, centre, now=moment)
    assert re.fullmatch(r"msg_[0-9a-f]{32}", event.webhook_id)
    assert event.status == "pending" and event.attempts == 0
    assert event.payload["type"] == "referral.created"
    assert event.payload["timestamp"] == "2026-11-27T20:15:00Z"
    assert event.payload["data"]["person"]["email"] == "camille0@example.org"
    assert encode_body(event.payload).startswith(b'{"type":"referral.created","timestamp":')


def test_centre_without_endpoint_gets_a_pull_event(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=None)
    assert enqueue_committed(dispatch_engine, centre).status == "pull"


def test_enqueue_is_dropped_on_rollback(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url="http://127.0.0.1:9/inbox")
    with Session(dispatch_engine) as session:
        enqueue(
            session,
            event_type="referral.created",
            centre_id=centre,
            subject_id=None,
            data=referral_data(),
        )
        session.rollback()
    assert _count(dispatch_engine) == 0


def test_enqueue_never_commits(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url="http://127.0.0.1:9/inbox")
    with Session(dispatch_engine) as session:
        event = enqueue(
            session, event_type="referral.created", centre_id=centre, subject_id=None, data={}
        )
        assert event.id is not None
        session.close()  # the caller never committed
    assert _count(dispatch_engine) == 0


def test_data_may_hold_uuids_and_datetimes(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=None)
    ref = uuid.uuid4()
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    with Session(dispatch_engine) as session:
        event = enqueue(
            session,
            event_type="referral.cancelled",
            centre_id=centre,
            subject_id=ref,
            data={"referral_id": ref, "at": when, "tags": {"b", "a"}},
        )
        session.commit()
        assert event.payload["data"] == {
            "referral_id": str(ref),
            "at": "2026-01-02T03:04:00+00:00",
            "tags": ["a", "b"],
        }
