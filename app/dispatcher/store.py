"""The worker's claim on due events: take them under a lease, give the lease back."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Row, case, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.dispatcher.delivery import Job
from app.dispatcher.mailing import MailRoute
from app.dispatcher.outbox import encode_body
from app.dispatcher.urls import inbox_url_problem
from app.models.directory import InboxEndpoint
from app.models.outbox import OutboxEvent
from app.models.states import Channel, OutboxStatus

log = logging.getLogger(__name__)
# Claims in a row that may end in a crash before the event is parked (failed, for staff).
PARK_AFTER = 3


def claim(
    engine: Engine,
    *,
    worker: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    production: bool,
    seal_key: SecretStr | None = None,
    park_after: int = PARK_AFTER,
    skip_endpoints: Sequence[uuid.UUID] = (),
    mail: MailRoute | None = None,
) -> list[Job]:
    """Take up to `limit` due events whose endpoint is enabled, leasing them to `worker`.

    Each claim counts as a crash until its attempt is recorded (`crashes`), so an event whose
    sending kills its worker is not claimed again once it has done so `park_after` times in a
    row (`park_crashed` then fails it, for staff to see). `skip_endpoints` are left out: the
    worker has all their slots taken (`fairness.Slots`), so their events stay unclaimed.

    On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent workers never
    claim the same row; the lease (`locked_until`) lets another worker take the row over if
    this one dies. SQLite serialises writers, so the single `UPDATE … RETURNING` is atomic.

    E-mail events are claimed in the same way after the webhooks, up to `limit` in all,
    unless the SMTP server's stand-in endpoint (`mail.endpoint_id`) is among `skip_endpoints`.
    """
    jobs = _claim_webhooks(
        engine,
        worker=worker,
        limit=limit,
        now=now,
        lease=lease,
        production=production,
        seal_key=seal_key,
        park_after=park_after,
        skip_endpoints=skip_endpoints,
    )
    left = limit - len(jobs)
    route = mail or _NO_MAIL
    if left > 0 and route.endpoint_id not in skip_endpoints:
        jobs += _claim_mail(
            engine,
            route,
            worker=worker,
            limit=left,
            now=now,
            lease=lease,
            seal_key=seal_key,
            park_after=park_after,
        )
    return jobs


def _leased(engine: Engine, due: Any, *, worker: str, now: datetime, lease: timedelta) -> Any:
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(of=OutboxEvent, skip_locked=True)
    return (
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(due.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=worker, crashes=OutboxEvent.crashes + 1)
        .returning(*_RETURNED)
    )


def _claim_mail(
    engine: Engine,
    route: MailRoute,
    *,
    worker: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    seal_key: SecretStr | None,
    park_after: int,
) -> list[Job]:
    due = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.channel == Channel.EMAIL,
            OutboxEvent.status == OutboxStatus.PENDING,
            OutboxEvent.next_attempt_at <= now,
            col(OutboxEvent.crashes) < park_after,
            or_(col(OutboxEvent.locked_until).is_(None), col(OutboxEvent.locked_until) < now),
        )
        .order_by(col(OutboxEvent.next_attempt_at))
        .limit(limit)
    )
    with engine.begin() as conn:
        rows = conn.execute(_leased(engine, due, worker=worker, now=now, lease=lease)).all()
    return [_mail_job(row, route, seal_key) for row in rows]


def _mail_job(row: Row[Any], route: MailRoute, seal_key: SecretStr | None) -> Job:
    refused = route.refused
    try:
        body = encode_body(row.payload, seal_key)
    except Exception as exc:  # a corrupt or unreadable row: a failed attempt of its own
        body, refused = b"", f"the message cannot be opened ({type(exc).__name__})"
    return Job(
        event_id=row.id,
        webhook_id=row.webhook_id,
        attempt=row.attempts + 1,
        endpoint_id=route.endpoint_id,
        url=route.origin,
        secret="",  # nosec B106  # e-mail is not signed
        body=body,
        refused=refused,
        event_type=row.event_type,
        subject_id=row.subject_id,
        request_id=row.request_id,
        channel=Channel.EMAIL,
    )


def _claim_webhooks(
    engine: Engine,
    *,
    worker: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    production: bool,
    seal_key: SecretStr | None,
    park_after: int,
    skip_endpoints: Sequence[uuid.UUID],
) -> list[Job]:
    due = (
        select(OutboxEvent.id)
        .join(InboxEndpoint, col(InboxEndpoint.centre_id) == OutboxEvent.centre_id)
        .where(
            OutboxEvent.channel == Channel.WEBHOOK,
            OutboxEvent.status == OutboxStatus.PENDING,
            OutboxEvent.next_attempt_at <= now,
            col(OutboxEvent.crashes) < park_after,
            col(InboxEndpoint.enabled).is_(True),
            or_(col(OutboxEvent.locked_until).is_(None), col(OutboxEvent.locked_until) < now),
        )
        .order_by(col(OutboxEvent.next_attempt_at))
        .limit(limit)
    )
    if skip_endpoints:
        due = due.where(col(InboxEndpoint.id).not_in(list(skip_endpoints)))
    stmt = _leased(engine, due, worker=worker, now=now, lease=lease)
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
        _job(row, endpoints[row.centre_id], production, seal_key)
        for row in rows
        if row.centre_id in endpoints
    ]


_RETURNED = (
    col(OutboxEvent.id),
    col(OutboxEvent.webhook_id),
    col(OutboxEvent.attempts),
    col(OutboxEvent.centre_id),
    col(OutboxEvent.payload),
    col(OutboxEvent.event_type),
    col(OutboxEvent.subject_id),
    col(OutboxEvent.request_id),
)
_NO_MAIL = MailRoute("smtp://unset", refused="e-mail is off on this worker (TTX_SMTP_URL unset)")


def _job(
    row: Row[Any], endpoint: Row[Any, Any, Any, Any], production: bool, seal_key: SecretStr | None
) -> Job:
    """The job for a claimed row; whatever is wrong with the row becomes the job's `refused`
    (a failed attempt on that event), never an exception that would sink the whole claim."""
    try:
        return _make_job(row, endpoint, production, seal_key)
    except Exception as exc:
        log.exception("outbox event %s cannot be prepared for sending", row.webhook_id)
        return Job(
            event_id=row.id,
            webhook_id=row.webhook_id,
            attempt=row.attempts + 1,
            endpoint_id=endpoint.id,
            url=str(endpoint.url),
            secret=str(endpoint.secret),
            body=b"",
            refused=f"the event cannot be prepared for sending ({type(exc).__name__})",
            event_type=row.event_type,
            subject_id=row.subject_id,
            crashed=True,
        )


def _make_job(
    row: Row[Any], endpoint: Row[Any, Any, Any, Any], production: bool, seal_key: SecretStr | None
) -> Job:
    try:
        body, unreadable = encode_body(row.payload, seal_key), None
    except ValueError as exc:
        body, unreadable = b"", str(exc)
    return Job(
        event_id=row.id,
        webhook_id=row.webhook_id,
        attempt=row.attempts + 1,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        secret=endpoint.secret,
        body=body,
        # Rows stored before the URL rules were this strict are refused here, not sent.
        refused=unreadable or inbox_url_problem(endpoint.url, production=production),
        pin=production,
        event_type=row.event_type,
        subject_id=row.subject_id,
        request_id=row.request_id,
    )


def release(engine: Engine, event_ids: Sequence[uuid.UUID], *, worker: str) -> None:
    """Give back leases on events this worker will not finish, so another worker takes them."""
    if not event_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(event_ids), col(OutboxEvent.locked_by) == worker)
            .values(
                locked_until=None,
                locked_by=None,
                # Given back, not crashed: this claim does not count.
                crashes=case((col(OutboxEvent.crashes) > 0, OutboxEvent.crashes - 1), else_=0),
            )
        )


def park_crashed(engine: Engine, *, now: datetime, park_after: int = PARK_AFTER) -> int:
    """Fail the events whose last `park_after` claims all ended with their worker gone (the
    lease ran out with no attempt recorded): staff see them among failed deliveries and may
    replay them. Returns how many were parked."""
    with engine.begin() as conn:
        result = conn.execute(
            update(OutboxEvent)
            .where(
                col(OutboxEvent.status) == OutboxStatus.PENDING,
                col(OutboxEvent.crashes) >= park_after,
                or_(col(OutboxEvent.locked_until).is_(None), col(OutboxEvent.locked_until) < now),
            )
            .values(
                status=OutboxStatus.FAILED,
                locked_until=None,
                locked_by=None,
                last_error=(
                    f"parked: its worker stopped {park_after} times in a row while sending it "
                    "(lease expired, no attempt recorded); replay it once the cause is fixed"
                ),
            )
        )
    parked = int(result.rowcount)
    if parked:
        log.error("parked %d outbox events that kept crashing their workers", parked)
    return parked
