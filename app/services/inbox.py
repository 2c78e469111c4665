"""A centre's inbox: its referrals with the person's details, read through the API."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app import dispatcher
from app.errors import NotFound
from app.models import Centre, Consultation, Referral
from app.models.states import OPEN_REFERRAL, ReferralState
from app.schemas.intake import IntakeUpdate
from app.services import audit, referrals
from app.services.centres import check_inbox, mark_directory_changed, set_inbox
from app.settings import Settings

SHOWS_PERSON = (*OPEN_REFERRAL, ReferralState.ACCEPTED)


def list_referrals(
    session: Session,
    settings: Settings,
    centre_id: uuid.UUID,
    *,
    state: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """This centre's referrals, newest first. Reading a pending referral delivers it, and
    every read of personal data is logged."""
    query = select(Referral).where(col(Referral.centre_id) == centre_id)
    if state:
        query = query.where(col(Referral.state) == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(col(Referral.created_at).desc()).limit(limit).offset(offset)
    ).all()
    actor = f"centre:{centre_id}"
    moved = referrals.deliver_pending(
        session, [r.id for r in rows if r.state == ReferralState.PENDING], actor
    )
    for referral in rows:
        if referral.state == ReferralState.PENDING:
            session.refresh(referral)  # moved by this read or by a concurrent one
    dispatcher.acknowledge_pull(session, moved)
    items = [_item(session, settings, r, actor) for r in rows]
    session.flush()
    return items, total


def _item(session: Session, settings: Settings, referral: Referral, actor: str) -> dict[str, Any]:
    consultation = session.get(Consultation, referral.consultation_id)
    assert consultation is not None  # nosec B101  # a referral always has its consultation
    visible = referral.state in SHOWS_PERSON
    if visible:
        audit.record(session, actor, "read_person", "consultation", consultation.id, "inbox")
    return {
        "id": str(referral.id),
        "consultation_id": str(consultation.id),
        "state": referral.state,
        "attempt": referral.attempt,
        "created_at": referral.created_at.isoformat(),
        "expires_at": referral.expires_at.isoformat(),
        # Only while the centre is, or was, the one taking the person on (Law 25).
        "person": referrals.person_of(settings, consultation) if visible else None,
        "message": referrals.message_of(settings, consultation) if visible else None,
        "criteria": consultation.criteria,
        "consent": consultation.consent,
        "match": {"rank": referral.rank, "score": referral.score, "reasons": referral.reasons},
    }


def update_intake(
    session: Session, centre_id: uuid.UUID, data: IntakeUpdate, *, production: bool = False
) -> Centre:
    """A centre pauses or reopens its intake, changes its weekly capacity, or registers,
    replaces or removes its webhook endpoint (the same URL rules as staff's)."""
    check_inbox(data.inbox, ["body", "inbox", "url"], production=production)
    centre = session.get(Centre, centre_id)
    if centre is None:
        raise NotFound("key_centre_gone")
    if "inbox" in data.model_fields_set:
        set_inbox(session, centre, data.inbox)
    if data.intake_status is not None:
        centre.intake_status = data.intake_status
    if data.weekly_capacity is not None:
        centre.weekly_capacity = data.weekly_capacity
    session.add(centre)
    session.flush()
    mark_directory_changed(session, [centre.id])
    return centre
