"""Staff operations: failed list, replay, cancel, pull acknowledgement, re-enabling."""

from __future__ import annotations

import random
import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.dispatcher import (
    Dispatcher,
    acknowledge_pull,
    attempts_of,
    cancel_pending,
    list_failed,
    reenable_endpoint,
    replay,
)
from app.errors import Conflict, NotFound
from app.models.directory import InboxEndpoint
from app.models.outbox import OutboxEvent
from tests.helpers.dispatch import (
    FakeClock,
    add_centre,
    enqueue_committed,
    load_endpoint,
    load_event,
)

URL = "http://centre.example.org/inbox"


def fail(engine: Engine, event_id: uuid.UUID) -> None:
    with Session(engine) as session:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)  # type: ignore[arg-type]
            .values(status="failed", attempts=8, last_error="HTTP 500")
        )
        session.commit()


def test_list_failed_pages_and_counts(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    events = [enqueue_committed(dispatch_engine, centre, n) for n in range(5)]
    for event in events[:3]:
        fail(dispatch_engine, event.id)
    with Session(dispatch_engine) as session:
        page, total = list_failed(session, limit=2, offset=0)
        rest, _ = list_failed(session, limit=2, offset=2)
    assert total == 3
    assert len(page) == 2 and len(rest) == 1
    assert {e.id for e in page + rest} == {e.id for e in events[:3]}


def test_replay_sends_again_with_the_same_id(dispatch_engine: Engine) -> None:
    clock = FakeClock()
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    fail(dispatch_engine, event.id)
    with Session(dispatch_engine, expire_on_commit=False) as session:
        replayed = replay(session, event.id, now=clock())
        session.commit()
    assert (replayed.status, replayed.attempts) == ("pending", 8)
    sent: list[str] = []

    def ok(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["webhook-id"])
        return httpx.Response(200)

    Dispatcher(dispatch_engine, transport=httpx.MockTransport(ok), now=clock).run_once()
    assert sent == [event.webhook_id]
    stored = load_event(dispatch_engine, event.id)
    assert (stored.status, stored.attempts) == ("delivered", 9)
    with Session(dispatch_engine) as session:
        assert [a.attempt for a in attempts_of(session, event.id)] == [9]


def test_a_failed_replay_is_failed_again_at_once(dispatch_engine: Engine) -> None:
    clock = FakeClock()
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    fail(dispatch_engine, event.id)
    with Session(dispatch_engine) as session:
        replay(session, event.id, now=clock())
        session.commit()
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    Dispatcher(dispatch_engine, transport=transport, now=clock, rng=random.Random(1)).run_once()
    assert load_event(dispatch_engine, event.id).status == "failed"


def test_replay_refuses_queued_and_unknown_events(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre)
    with Session(dispatch_engine) as session:
        with pytest.raises(Conflict):
            replay(session, event.id)
        with pytest.raises(NotFound):
            replay(session, uuid.uuid4())


def test_cancel_pending_touches_only_queued_events_of_the_subject(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    target, other = (
        enqueue_committed(dispatch_engine, centre),
        enqueue_committed(dispatch_engine, centre),
    )
    with Session(dispatch_engine) as session:
        assert target.subject_id is not None
        assert cancel_pending(session, target.subject_id) == 1
        assert cancel_pending(session, target.subject_id) == 0
        session.commit()
    assert load_event(dispatch_engine, target.id).status == "cancelled"
    assert load_event(dispatch_engine, other.id).status == "pending"


def test_acknowledge_pull_marks_read_events_delivered(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=None)
    read, unread = (
        enqueue_committed(dispatch_engine, centre),
        enqueue_committed(dispatch_engine, centre),
    )
    with Session(dispatch_engine) as session:
        assert read.subject_id is not None
        assert acknowledge_pull(session, [read.subject_id]) == 1
        assert acknowledge_pull(session, []) == 0
        session.commit()
    assert load_event(dispatch_engine, read.id).status == "delivered"
    assert load_event(dispatch_engine, read.id).delivered_at is not None
    assert load_event(dispatch_engine, unread.id).status == "pull"


def test_reenable_endpoint_clears_the_reason(dispatch_engine: Engine) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    with Session(dispatch_engine) as session:
        session.execute(
            update(InboxEndpoint)
            .where(InboxEndpoint.centre_id == centre)  # type: ignore[arg-type]
            .values(enabled=False, disabled_reason="gone", consecutive_failures=9)
        )
        reenable_endpoint(session, centre)
        session.commit()
        with pytest.raises(NotFound):
            reenable_endpoint(session, uuid.uuid4())
    endpoint = load_endpoint(dispatch_engine, centre)
    assert endpoint.enabled and endpoint.disabled_reason is None
    assert endpoint.consecutive_failures == 0
