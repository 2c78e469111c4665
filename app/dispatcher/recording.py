"""Recording a batch of finished attempts: one transaction, a few set-based statements.

This is the worker's hot path (one call per batch), so it works on rows and `executemany`,
not on ORM objects; the `on_delivered` hooks get the batch's delivered events at once.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import insert_rows
from app.dispatcher import metrics
from app.dispatcher.delivery import AttemptResult, Job
from app.dispatcher.outbox import Delivered, run_delivered_hooks
from app.dispatcher.schedule import retry_delay
from app.dispatcher.store import PARK_AFTER
from app.models.directory import InboxEndpoint
from app.models.outbox import DeliveryAttempt, OutboxEvent
from app.models.states import AttemptOutcome, Channel, OutboxStatus

log = logging.getLogger(__name__)
ERROR_CHARS = 500
EVENT = OutboxEvent.__table__  # type: ignore[attr-defined]
ATTEMPT = DeliveryAttempt.__table__  # type: ignore[attr-defined]
ENDPOINT = InboxEndpoint.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class EventState:
    """The columns of an event that an attempt changes."""

    id: uuid.UUID
    webhook_id: str
    centre_id: uuid.UUID
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    crashes: int


def record(
    engine: Engine,
    results: Sequence[AttemptResult],
    *,
    worker: str,
    now: datetime,
    scale: float,
    rng: random.Random | None = None,
    park_after: int = PARK_AFTER,
) -> int:
    """Store a batch of attempts and their effects in one transaction; return how many events
    were delivered.

    An event whose lease this worker lost (or that was cancelled meanwhile) keeps its state:
    only the attempt row is added.
    """
    with Session(engine, expire_on_commit=False) as session:
        # Writing first matters on SQLite: the transaction takes the write lock at once (and
        # waits for it) instead of failing when it upgrades a read made before another commit.
        insert_rows(session, DeliveryAttempt, *(_attempt_row(res, worker) for res in results))
        owned = _owned_events(session, results, worker)
        changed = [
            _apply(owned[r.job.event_id], r, now, scale, rng, park_after)
            for r in results
            if r.job.event_id in owned
        ]
        delivered = {s.id for s in changed if s.status == OutboxStatus.DELIVERED}
        if delivered:  # the usual case, in one statement (the rows are locked: + 1 is exact)
            session.execute(
                update(EVENT)
                .where(EVENT.c.id.in_(list(delivered)))
                .values(
                    status=OutboxStatus.DELIVERED,
                    attempts=EVENT.c.attempts + 1,
                    delivered_at=now,
                    last_error=None,
                    locked_until=None,
                    locked_by=None,
                    crashes=0,
                )
            )
        retried = [_update_row(state) for state in changed if state.id not in delivered]
        if retried:
            session.execute(
                update(EVENT).where(EVENT.c.id == bindparam("b_id")).values(_UPDATE_VALUES),
                retried,
            )
        _update_endpoints(session, results, owned, now)
        jobs = [r.job for r in results if r.job.event_id in delivered]
        run_delivered_hooks(session, [_delivered(job) for job in jobs])
        session.commit()
    return len(delivered)


def park(engine: Engine, res: AttemptResult, *, worker: str, reason: BaseException) -> None:
    """Fail an event whose attempt cannot be recorded (the database refuses something in it),
    so that it is not sent again and again; staff see it with the reason. Best effort: if even
    this fails, the lease runs out and the event's crash count parks it later."""
    error = f"parked: its attempt could not be recorded ({type(reason).__name__})"
    try:
        with engine.begin() as conn:
            conn.execute(
                update(EVENT)
                .where(EVENT.c.id == res.job.event_id, EVENT.c.locked_by == worker)
                .where(EVENT.c.status == OutboxStatus.PENDING)
                .values(
                    status=OutboxStatus.FAILED,
                    attempts=EVENT.c.attempts + 1,
                    last_error=error,
                    locked_until=None,
                    locked_by=None,
                )
            )
    except Exception:
        log.exception("could not park %s", res.job.webhook_id)
        return
    metrics.PARKED.inc()


def _delivered(job: Job) -> Delivered:
    return Delivered(job.event_id, job.webhook_id, job.event_type, job.subject_id)


def _owned_events(
    session: Session, results: Sequence[AttemptResult], worker: str
) -> dict[uuid.UUID, EventState]:
    # Row locks: a concurrent cancel or replay waits for this batch instead of being overwritten.
    query = (
        select(
            EVENT.c.id,
            EVENT.c.webhook_id,
            EVENT.c.centre_id,
            EVENT.c.status,
            EVENT.c.attempts,
            EVENT.c.next_attempt_at,
            EVENT.c.delivered_at,
            EVENT.c.last_error,
            EVENT.c.crashes,
        )
        .where(EVENT.c.id.in_([r.job.event_id for r in results]))
        .where(EVENT.c.locked_by == worker, EVENT.c.status == OutboxStatus.PENDING)
        .with_for_update()
    )
    return {row.id: EventState(*row) for row in session.execute(query)}


_UPDATE_VALUES: dict[str, Any] = {
    "status": bindparam("b_status"),
    "attempts": bindparam("b_attempts"),
    "next_attempt_at": bindparam("b_next"),
    "delivered_at": bindparam("b_delivered"),
    "last_error": bindparam("b_error"),
    "crashes": bindparam("b_crashes"),
    "locked_until": None,
    "locked_by": None,
}


def _update_row(state: EventState) -> dict[str, Any]:
    return {
        "b_id": state.id,
        "b_status": state.status,
        "b_attempts": state.attempts,
        "b_next": state.next_attempt_at,
        "b_delivered": state.delivered_at,
        "b_error": state.last_error,
        "b_crashes": state.crashes,
    }


def _attempt_row(res: AttemptResult, worker: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "event_id": res.job.event_id,
        "attempt": res.job.attempt,
        "started_at": res.started_at,
        "duration_ms": res.duration_ms,
        "status_code": res.status_code,
        "outcome": res.outcome,
        "error": res.error[:ERROR_CHARS] if res.error else None,
        "response_excerpt": res.response_excerpt,
        "worker": worker,
    }


def _apply(
    state: EventState,
    res: AttemptResult,
    now: datetime,
    scale: float,
    rng: random.Random | None,
    park_after: int = PARK_AFTER,
) -> EventState:
    state.attempts += 1
    # The claim counted as a crash (`store.claim`); only a crash of this attempt keeps it.
    state.crashes = state.crashes if res.crashed else 0
    if res.outcome == AttemptOutcome.SUCCESS:
        state.status, state.delivered_at, state.last_error = OutboxStatus.DELIVERED, now, None
        return state
    state.last_error = (res.error or "failed")[:ERROR_CHARS]
    delay = retry_delay(state.attempts, scale=scale, rng=rng)
    if delay is not None and res.retry_after is not None:
        # The receiver said when to come back (429/503 `Retry-After`, bounded): not earlier.
        delay = max(delay, res.retry_after * scale)
    if res.permanent:  # an SMTP server refused the address: the same answer every time
        state.status = OutboxStatus.FAILED
    elif res.crashed and state.crashes >= park_after:
        metrics.PARKED.inc()
        state.status = OutboxStatus.FAILED
        state.last_error = f"parked after {state.crashes} crashes: {state.last_error}"[:ERROR_CHARS]
    elif delay is None:
        state.status = OutboxStatus.FAILED
    else:
        state.next_attempt_at = now + timedelta(seconds=delay)
    return state


def _update_endpoints(
    session: Session,
    results: Sequence[AttemptResult],
    owned: dict[uuid.UUID, EventState],
    now: datetime,
) -> None:
    """Keep each endpoint's failure streak, and disable it when it is gone or dead."""
    by_endpoint: dict[uuid.UUID, list[AttemptResult]] = {}
    webhooks = (r for r in results if r.job.channel == Channel.WEBHOOK)  # an SMTP server has no row
    for res in sorted(webhooks, key=lambda r: r.started_at):
        by_endpoint.setdefault(res.job.endpoint_id, []).append(res)
    healthy = []
    for endpoint_id, attempts in sorted(by_endpoint.items()):
        outcomes = [a.outcome for a in attempts]
        last_success = max(
            (i for i, o in enumerate(outcomes) if o == AttemptOutcome.SUCCESS), default=-1
        )
        trailing = len(outcomes) - last_success - 1
        if trailing == 0:
            healthy.append(endpoint_id)
            continue
        # Atomic arithmetic, not read-modify-write: other workers update the same endpoint.
        streak = trailing if last_success >= 0 else ENDPOINT.c.consecutive_failures + trailing
        session.execute(
            update(ENDPOINT).where(ENDPOINT.c.id == endpoint_id).values(consecutive_failures=streak)
        )
        reason = _disable_reason(session, attempts, owned)
        if reason:
            session.execute(
                update(ENDPOINT)
                .where(ENDPOINT.c.id == endpoint_id, ENDPOINT.c.enabled.is_(True))
                .values(enabled=False, disabled_reason=reason[:200], disabled_at=now)
            )
    if healthy:
        session.execute(
            update(ENDPOINT)
            .where(ENDPOINT.c.id.in_(healthy), ENDPOINT.c.consecutive_failures != 0)
            .values(consecutive_failures=0)
        )


def _disable_reason(
    session: Session, attempts: list[AttemptResult], owned: dict[uuid.UUID, EventState]
) -> str | None:
    """410 disables at once. Otherwise an endpoint is disabled when an event has used its whole
    retry schedule (about 28 h) and the endpoint delivered nothing since that event's first
    attempt: a long outage, not a blip, and what is still queued waits for staff to re-enable."""
    if any(a.outcome == AttemptOutcome.GONE for a in attempts):
        return "the endpoint answered 410 Gone"
    for res in attempts:
        state = owned.get(res.job.event_id)
        if state is None or state.status != OutboxStatus.FAILED:
            continue
        if not _delivered_since_first_attempt(session, state):
            return f"no successful delivery since {state.webhook_id} was first tried; " + (
                f"it failed all {state.attempts} attempts (last: {state.last_error})"
            )
    return None


def _delivered_since_first_attempt(session: Session, state: EventState) -> bool:
    first = session.execute(
        select(func.min(ATTEMPT.c.started_at)).where(ATTEMPT.c.event_id == state.id)
    ).scalar_one()
    last_success = session.execute(
        select(func.max(EVENT.c.delivered_at)).where(
            EVENT.c.centre_id == state.centre_id, EVENT.c.status == OutboxStatus.DELIVERED
        )
    ).scalar_one()
    return last_success is not None and first is not None and last_success >= first
