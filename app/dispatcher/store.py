"""The worker's database side: claim due events under a lease, record attempts, release."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.dispatcher.delivery import AttemptResult, Job
from app.dispatcher.outbox import encode_body, run_delivered_hooks
from app.dispatcher.schedule import retry_delay
from app.dispatcher.urls import inbox_url_problem
from app.models.directory import InboxEndpoint
from app.models.outbox import DeliveryAttempt, OutboxEvent

ERROR_CHARS = 500


def claim(
    engine: Engine, *, worker: str, limit: int, now: datetime, lease: timedelta, production: bool
) -> list[Job]:
    """Take up to `limit` due events whose endpoint is enabled, leasing them to `worker`.

    On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent workers never
    claim the same row; the lease (`locked_until`) lets another worker take the row over if
    this one dies. SQLite serialises writers, so the single `UPDATE … RETURNING` is atomic.
    """
    due = (
        select(OutboxEvent.id)
        .join(InboxEndpoint, col(InboxEndpoint.centre_id) == OutboxEvent.centre_id)
        .where(
            OutboxEvent.status == "pending",
            OutboxEvent.next_attempt_at <= now,
            col(InboxEndpoint.enabled).is_(True),
            or_(col(OutboxEvent.locked_until).is_(None), col(OutboxEvent.locked_until) < now),
        )
        .order_by(col(OutboxEvent.next_attempt_at))
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(of=OutboxEvent, skip_locked=True)
    stmt = (
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(due.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=worker)
        .returning(
            col(OutboxEvent.id),
            col(OutboxEvent.webhook_id),
            col(OutboxEvent.attempts),
            col(OutboxEvent.centre_id),
            col(OutboxEvent.payload),
        )
    )
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            return []
        centres = {row.centre_id for row in rows}
        endpoints = {
            ep.centre_id: ep
            for ep in conn.execute(
                select(
                    InboxEndpoint.centre_id,
                    InboxEndpoint.id,
                    InboxEndpoint.url,
                    InboxEndpoint.secret,
                ).where(col(InboxEndpoint.centre_id).in_(centres))
            )
        }
    # An endpoint deleted meanwhile: its rows are left to their lease and no longer claimed.
    return [
        _job(row, endpoints[row.centre_id], production)
        for row in rows
        if row.centre_id in endpoints
    ]


def _job(row: Row[Any], endpoint: Row[Any, Any, Any, Any], production: bool) -> Job:
    return Job(
        event_id=row.id,
        webhook_id=row.webhook_id,
        attempt=row.attempts + 1,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        secret=endpoint.secret,
        body=encode_body(row.payload),
        refused=inbox_url_problem(endpoint.url, production=True) if production else None,
    )


def record(
    engine: Engine,
    results: Sequence[AttemptResult],
    *,
    worker: str,
    now: datetime,
    scale: float,
    rng: random.Random | None = None,
) -> int:
    """Store a batch of attempts and their effects in one transaction; return how many events
    were delivered.

    An event whose lease this worker lost (or that was cancelled meanwhile) keeps its state:
    only the attempt row is added.
    """
    with Session(engine, expire_on_commit=False) as session:
        ids = [r.job.event_id for r in results]
        query = select(OutboxEvent).where(col(OutboxEvent.id).in_(ids)).with_for_update()
        events = {e.id: e for e in session.exec(query)}
        delivered: list[OutboxEvent] = []
        for res in results:
            session.add(_attempt_row(res, worker))
            event = events.get(res.job.event_id)
            if event is None or event.locked_by != worker or event.status != "pending":
                continue
            _apply(event, res, now=now, scale=scale, rng=rng)
            if event.status == "delivered":
                delivered.append(event)
        session.flush()
        _update_endpoints(session, results, events, now)
        for event in delivered:
            run_delivered_hooks(session, event)
        session.commit()
    return len(delivered)


def _attempt_row(res: AttemptResult, worker: str) -> DeliveryAttempt:
    return DeliveryAttempt(
        event_id=res.job.event_id,
        attempt=res.job.attempt,
        started_at=res.started_at,
        duration_ms=res.duration_ms,
        status_code=res.status_code,
        outcome=res.outcome,
        error=res.error[:ERROR_CHARS] if res.error else None,
        response_excerpt=res.response_excerpt,
        worker=worker,
    )


def _apply(
    event: OutboxEvent,
    res: AttemptResult,
    *,
    now: datetime,
    scale: float,
    rng: random.Random | None,
) -> None:
    event.attempts += 1
    event.locked_until = None
    event.locked_by = None
    if res.outcome == "success":
        event.status, event.delivered_at, event.last_error = "delivered", now, None
        return
    event.last_error = (res.error or "failed")[:ERROR_CHARS]
    delay = retry_delay(event.attempts, scale=scale, rng=rng)
    if delay is None:
        event.status = "failed"
    else:
        event.next_attempt_at = now + timedelta(seconds=delay)


def _update_endpoints(
    session: Session,
    results: Sequence[AttemptResult],
    events: dict[uuid.UUID, OutboxEvent],
    now: datetime,
) -> None:
    """Keep each endpoint's failure streak, and disable it when it is gone or dead."""
    by_endpoint: dict[uuid.UUID, list[AttemptResult]] = {}
    for res in sorted(results, key=lambda r: r.started_at):
        by_endpoint.setdefault(res.job.endpoint_id, []).append(res)
    for endpoint_id, attempts in sorted(by_endpoint.items()):
        _update_endpoint(session, endpoint_id, attempts, events, now)


def _update_endpoint(
    session: Session,
    endpoint_id: uuid.UUID,
    attempts: list[AttemptResult],
    events: dict[uuid.UUID, OutboxEvent],
    now: datetime,
) -> None:
    outcomes = [a.outcome for a in attempts]
    last_success = max((i for i, o in enumerate(outcomes) if o == "success"), default=-1)
    trailing = len(outcomes) - last_success - 1
    streak = col(InboxEndpoint.consecutive_failures)
    # Atomic arithmetic, not read-modify-write: other workers update the same endpoint.
    new_streak = trailing if "success" in outcomes else streak + trailing
    if "success" in outcomes or trailing:
        session.execute(
            update(InboxEndpoint)
            .where(col(InboxEndpoint.id) == endpoint_id)
            .values(consecutive_failures=new_streak)
        )
    reason = _disable_reason(session, attempts, events)
    if reason:
        session.execute(
            update(InboxEndpoint)
            .where(col(InboxEndpoint.id) == endpoint_id, col(InboxEndpoint.enabled).is_(True))
            .values(enabled=False, disabled_reason=reason[:200], disabled_at=now)
        )


def _disable_reason(
    session: Session, attempts: list[AttemptResult], events: dict[uuid.UUID, OutboxEvent]
) -> str | None:
    """410 disables at once. Otherwise an endpoint is disabled when an event has used its whole
    retry schedule (about 28 h) and the endpoint delivered nothing since that event's first
    attempt: a long outage, not a blip, and what is still queued waits for staff to re-enable."""
    if any(a.outcome == "gone" for a in attempts):
        return "the endpoint answered 410 Gone"
    for res in attempts:
        event = events.get(res.job.event_id)
        if res.outcome == "success" or event is None or event.status != "failed":
            continue
        if not _delivered_since_first_attempt(session, event):
            return f"no successful delivery since {event.webhook_id} was first tried; " + (
                f"it failed all {event.attempts} attempts (last: {event.last_error})"
            )
    return None


def _delivered_since_first_attempt(session: Session, event: OutboxEvent) -> bool:
    first = session.exec(
        select(func.min(DeliveryAttempt.started_at)).where(DeliveryAttempt.event_id == event.id)
    ).one()
    last_success = session.exec(
        select(func.max(OutboxEvent.delivered_at)).where(
            OutboxEvent.centre_id == event.centre_id, OutboxEvent.status == "delivered"
        )
    ).one()
    return last_success is not None and first is not None and last_success >= first


def release(engine: Engine, event_ids: Sequence[uuid.UUID], *, worker: str) -> None:
    """Give back leases on events this worker will not finish, so another worker takes them."""
    if not event_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(event_ids), col(OutboxEvent.locked_by) == worker)
            .values(locked_until=None, locked_by=None)
        )
