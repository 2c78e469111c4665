"""What the staff console shows beyond the admin API's lists: the work waiting, referrals by
state and age, and a directory search that includes inactive centres. No personal data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.db import utcnow
from app.models import Centre, Consultation, DeliveryAttempt, OutboxEvent, Referral
from app.models.states import ConsultationStatus, OutboxStatus, ReferralState
from app.services.centres import CENTRE_LOADS
from app.services.referrals import OPEN

STATES: Final = tuple(ReferralState)
# Age of a referral (since it was sent): the buckets of the table, in hours.
AGE_BUCKETS: Final = (("lt24", 0, 24), ("24_48", 24, 48), ("2_7d", 48, 168), ("gt7d", 168, None))


def overview(session: Session) -> dict[str, int]:
    """The work waiting for staff: unrouted requests, open referrals, failed deliveries."""
    return {
        "unrouted": _count(
            session, Consultation, col(Consultation.status) == ConsultationStatus.UNROUTED
        ),
        "open": _count(session, Referral, col(Referral.state).in_(OPEN)),
        "failed": _count(session, OutboxEvent, col(OutboxEvent.status) == OutboxStatus.FAILED),
        "inactive": _count(session, Centre, col(Centre.active).is_(False)),
    }


def _count(session: Session, model: Any, where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)


@dataclass(frozen=True)
class StateAges:
    """Referrals by state and age: counts[state][bucket], and the total per state."""

    counts: dict[ReferralState, dict[str, int]]
    totals: dict[ReferralState, int]


def referrals_by_state_and_age(session: Session, *, now: datetime | None = None) -> StateAges:
    """How many referrals are in each state, by how long ago they were sent."""
    now = now or utcnow()
    counts = {state: {name: 0 for name, _, _ in AGE_BUCKETS} for state in STATES}
    for name, low, high in AGE_BUCKETS:
        where = [col(Referral.created_at) <= now - timedelta(hours=low)]
        if high is not None:
            where.append(col(Referral.created_at) > now - timedelta(hours=high))
        rows = session.execute(
            select(Referral.state, func.count())  # type: ignore[call-overload]
            .where(*where)
            .group_by(Referral.state)
        ).all()
        for state, n in rows:
            if state in counts:
                counts[state][name] = int(n)
    totals = {state: sum(by_age.values()) for state, by_age in counts.items()}
    return StateAges(counts, totals)


def referrals_in_state(
    session: Session, state: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The referrals of one state, oldest first, with their centre and deadline."""
    where = col(Referral.state) == state
    total = _count(session, Referral, where)
    rows = session.execute(
        select(Referral, Centre.ref, Centre.name)  # type: ignore[call-overload]
        .join(Centre, col(Centre.id) == col(Referral.centre_id))
        .where(where)
        .order_by(col(Referral.created_at), col(Referral.id))
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        {
            "id": r.id,
            "consultation_id": r.consultation_id,
            "attempt": r.attempt,
            "state": r.state,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "responded_at": r.responded_at,
            "decline_reason": r.decline_reason,
            "centre_ref": ref,
            "centre_name": name,
        }
        for r, ref, name in rows
    ]
    return items, total


def failed_deliveries(
    session: Session, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Failed deliveries, newest first, each with its centre and every attempt."""
    from app import dispatcher

    events, total = dispatcher.list_failed(session, limit, offset)
    centres = _centre_names(session, {e.centre_id for e in events if e.centre_id})
    items = []
    for event in events:
        attempts: list[DeliveryAttempt] = dispatcher.attempts_of(session, event.id)
        centre = centres.get(event.centre_id) if event.centre_id else None
        items.append({"event": event, "centre": centre, "attempts": attempts})
    return items, total


def _centre_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Centre.id, Centre.ref, Centre.name).where(col(Centre.id).in_(ids))  # type: ignore[call-overload]
    ).all()
    return {i: (ref, name) for i, ref, name in rows}


def search_centres(
    session: Session, q: str, *, status: str | None, limit: int, offset: int
) -> tuple[list[Centre], int]:
    """Centres whose ref, name or e-mail contains `q` (any case), active or not, by ref.
    `status`: "active", "paused" (active, intake paused), "inactive", or None for all."""
    query = select(Centre)
    text = q.strip()
    if text:
        pattern = f"%{_escape(text.lower())}%"
        query = query.where(
            or_(
                func.lower(Centre.ref).like(pattern, escape="\\"),
                func.lower(Centre.name).like(pattern, escape="\\"),
                func.lower(Centre.email).like(pattern, escape="\\"),
            )
        )
    if status == "active":
        query = query.where(col(Centre.active).is_(True), col(Centre.intake_status) == "open")
    elif status == "paused":
        query = query.where(col(Centre.active).is_(True), col(Centre.intake_status) == "paused")
    elif status == "inactive":
        query = query.where(col(Centre.active).is_(False))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(
        query.options(*CENTRE_LOADS).order_by(col(Centre.ref)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def candidate_centres(session: Session) -> list[tuple[uuid.UUID, str, str]]:
    """Active centres (id, ref, name) by name: whom staff may route a request to."""
    rows = session.execute(
        select(Centre.id, Centre.ref, Centre.name)  # type: ignore[call-overload]
        .where(col(Centre.active).is_(True))
        .order_by(col(Centre.name))
    ).all()
    return [(i, ref, name) for i, ref, name in rows]
