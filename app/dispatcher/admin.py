"""Staff operations on deliveries (DESIGN §6 admin, §8). Database functions only: the caller's
session, flushed, never committed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.db import utcnow
from app.dispatcher.urls import inbox_url_problem
from app.errors import Conflict, NotFound
from app.models.directory import InboxEndpoint
from app.models.outbox import DeliveryAttempt, OutboxEvent
from app.models.states import OutboxStatus

REPLAYABLE = (OutboxStatus.FAILED, OutboxStatus.DELIVERED)


def list_failed(
    session: Session, limit: int = 50, offset: int = 0
) -> tuple[list[OutboxEvent], int]:
    """Failed deliveries, most recent first, and their total."""
    where = OutboxEvent.status == OutboxStatus.FAILED
    total = session.exec(select(func.count()).select_from(OutboxEvent).where(where)).one()
    items = session.exec(
        select(OutboxEvent)
        .where(where)
        .order_by(col(OutboxEvent.created_at).desc(), col(OutboxEvent.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), total


def attempts_of(session: Session, event_id: uuid.UUID) -> list[DeliveryAttempt]:
    """Every attempt made for an event, oldest first (what staff look at before a replay)."""
    query = select(DeliveryAttempt).where(DeliveryAttempt.event_id == event_id)
    return list(session.exec(query.order_by(col(DeliveryAttempt.started_at))).all())


def replay(session: Session, event_id: uuid.UUID, *, now: datetime | None = None) -> OutboxEvent:
    """Send a failed (or delivered) event again, now, with the same `webhook-id`.

    Past attempts are kept and counted, so a replay that fails is failed again at once rather
    than starting a new day of retries. A disabled endpoint stays disabled: the event waits
    until staff re-enable it (`reenable_endpoint`).
    """
    event = session.get(OutboxEvent, event_id, with_for_update=True)
    if event is None:
        raise NotFound("delivery_not_found", event_id=str(event_id))
    if event.status not in REPLAYABLE:
        raise Conflict("delivery_not_replayable", status_now=event.status)
    event.status, event.next_attempt_at = OutboxStatus.PENDING, now or utcnow()
    event.locked_until = event.locked_by = None
    event.crashes = 0
    session.add(event)
    session.flush()
    return event


def cancel_pending(session: Session, subject_id: uuid.UUID) -> int:
    """Cancel what is still queued about a subject (a referral withdrawn, declined or expired);
    return how many events were cancelled. An attempt already in flight may still arrive."""
    result = session.execute(
        update(OutboxEvent)
        .where(
            col(OutboxEvent.subject_id) == subject_id,
            col(OutboxEvent.status).in_((OutboxStatus.PENDING, OutboxStatus.PULL)),
        )
        .values(status=OutboxStatus.CANCELLED, locked_until=None, locked_by=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def may_have_arrived(session: Session, subject_id: uuid.UUID) -> bool:
    """Whether a webhook about `subject_id` was tried already or is in flight (claimed):
    the receiver may have it even if no success was recorded."""
    found = session.exec(
        select(OutboxEvent.id).where(
            col(OutboxEvent.subject_id) == subject_id,
            (col(OutboxEvent.attempts) > 0) | col(OutboxEvent.locked_by).is_not(None),
        )
    ).first()
    return found is not None


def to_pull(session: Session, centre_id: uuid.UUID) -> int:
    """A centre's webhook endpoint was removed: what is still queued for it waits in its
    inbox API instead (`pull`), rather than never being claimed."""
    result = session.execute(
        update(OutboxEvent)
        .where(
            col(OutboxEvent.centre_id) == centre_id, col(OutboxEvent.status) == OutboxStatus.PENDING
        )
        .values(status=OutboxStatus.PULL, locked_until=None, locked_by=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def acknowledge_pull(
    session: Session, subject_ids: Iterable[uuid.UUID], *, now: datetime | None = None
) -> int:
    """Mark `pull` events delivered once the centre has read them through the inbox API."""
    ids = list(subject_ids)
    if not ids:
        return 0
    result = session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.subject_id).in_(ids), col(OutboxEvent.status) == OutboxStatus.PULL)
        .values(status=OutboxStatus.DELIVERED, delivered_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def reenable_endpoint(session: Session, centre_id: uuid.UUID) -> InboxEndpoint:
    """Turn a disabled endpoint back on (staff, once the centre fixed its receiver); queued
    events flow again, failed ones need a `replay`."""
    endpoint = session.exec(
        select(InboxEndpoint).where(InboxEndpoint.centre_id == centre_id)
    ).first()
    if endpoint is None:
        raise NotFound("inbox_endpoint_missing", centre_id=str(centre_id))
    endpoint.enabled, endpoint.consecutive_failures = True, 0
    endpoint.disabled_reason = endpoint.disabled_at = None
    session.add(endpoint)
    session.flush()
    return endpoint


def refused_endpoints(session: Session, *, production: bool) -> list[tuple[InboxEndpoint, str]]:
    """Registered endpoints whose URL the rules in force refuse (rows stored before the rules
    were this strict, or under development rules), each with the reason: the dispatcher
    fails their deliveries without sending, so staff must fix them (`ttx doctor`)."""
    rows = session.exec(select(InboxEndpoint).order_by(col(InboxEndpoint.url))).all()
    found = []
    for endpoint in rows:
        problem = inbox_url_problem(endpoint.url, production=production)
        if problem:
            found.append((endpoint, problem))
    return found
