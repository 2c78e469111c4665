"""The worker's claim on due events: take them under a lease, give the lease back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.dispatcher.delivery import Job
from app.dispatcher.outbox import encode_body
from app.dispatcher.urls import inbox_url_problem
from app.models.directory import InboxEndpoint
from app.models.outbox import OutboxEvent


def claim(
    engine: Engine,
    *,
    worker: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    production: bool,
    seal_key: str | None = None,
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
            col(OutboxEvent.event_type),
            col(OutboxEvent.subject_id),
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
        _job(row, endpoints[row.centre_id], production, seal_key)
        for row in rows
        if row.centre_id in endpoints
    ]


def _job(
    row: Row[Any], endpoint: Row[Any, Any, Any, Any], production: bool, seal_key: str | None
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
        refused=unreadable
        or (inbox_url_problem(endpoint.url, production=True) if production else None),
        pin=production,
        event_type=row.event_type,
        subject_id=row.subject_id,
    )


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
