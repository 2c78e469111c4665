"""The referral lifecycle (DESIGN §7): pending → delivered → accepted | declined | expired,
cancelled by staff; a decline or an expiry moves the consultation to the next centre."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app import dispatcher
from app.crypto import decrypt_json
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import Centre, Consultation, OutboxEvent, Referral, ReferralEvent
from app.settings import Settings

log = logging.getLogger("ttx.referrals")
OPEN = ("pending", "delivered")
ANSWERED = ("accepted", "declined", "expired", "cancelled")


def transition(
    session: Session,
    referral: Referral,
    to_state: str,
    actor: str,
    *,
    reason: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move a referral to a new state and record the move in its history."""
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_state=referral.state,
            to_state=to_state,
            actor=actor,
            reason=reason,
            note=note,
            at=at or utcnow(),
        )  # fmt: skip
    )
    referral.state = to_state
    session.add(referral)


def open_referral(
    session: Session,
    settings: Settings,
    consultation: Consultation,
    centre: Centre | CentreRef,
    entry: dict[str, Any],
    actor: str,
    *,
    first: tuple[dict[str, Any], str | None] | None = None,
) -> Referral:
    """Create the next referral of a consultation and queue its webhook, in the caller's
    transaction (both are dropped together on rollback). `first` is a new consultation's
    person and message, already in hand: no query for earlier referrals, no decryption."""
    attempt = 1 if first else 1 + len(_referrals_of(session, consultation.id))
    now = utcnow()
    referral = Referral(
        consultation_id=consultation.id, centre_id=centre.id, attempt=attempt, state="pending",
        rank=entry.get("rank"), score=entry.get("score"), reasons=entry.get("reasons", []),
        created_at=now, expires_at=now + timedelta(hours=settings.acceptance_delay_hours),
    )  # fmt: skip
    session.add(referral)
    session.add(ReferralEvent(referral_id=referral.id, to_state="pending", actor=actor, at=now))
    consultation.status = "routed"
    session.add(consultation)
    person, message = first or (
        person_of(settings, consultation),
        message_of(settings, consultation),
    )
    dispatcher.enqueue(
        session,
        event_type="referral.created",
        centre_id=centre.id,
        subject_id=referral.id,
        data=webhook_data(consultation, referral, centre.ref, person, message),
        seal_key=settings.secret_key,
    )
    return referral


@dataclass(frozen=True, slots=True)
class CentreRef:
    """The little of a centre a referral needs, when the directory snapshot has it."""

    id: uuid.UUID
    ref: str


def webhook_data(
    consultation: Consultation,
    referral: Referral,
    centre_ref: str,
    person: dict[str, Any] | None,
    message: str | None,
) -> dict[str, Any]:
    """The `data` of a `referral.created` webhook (DESIGN §8)."""
    return {
        "referral_id": str(referral.id),
        "consultation_id": str(consultation.id),
        "centre_ref": centre_ref,
        "person": person,
        "criteria": consultation.criteria,
        "message": message,
        "match": {"rank": referral.rank, "score": referral.score,
                  "reasons": [r.get("code") for r in referral.reasons]},
        "expires_at": referral.expires_at.isoformat(),
    }  # fmt: skip


def person_of(settings: Settings, consultation: Consultation) -> dict[str, Any] | None:
    if consultation.person_enc is None:
        return None
    person: dict[str, Any] = decrypt_json(settings.secret_key, consultation.person_enc)
    return person


def message_of(settings: Settings, consultation: Consultation) -> str | None:
    if consultation.message_enc is None:
        return None
    message: str = decrypt_json(settings.secret_key, consultation.message_enc)
    return message


def _referrals_of(session: Session, consultation_id: uuid.UUID) -> list[Referral]:
    return list(
        session.scalars(
            select(Referral)
            .where(col(Referral.consultation_id) == consultation_id)
            .order_by(col(Referral.attempt))
        ).all()
    )


def route_next(
    session: Session, settings: Settings, consultation: Consultation, actor: str
) -> Referral | None:
    """Send the consultation to the next centre of its original ranking that has not had it
    and still takes requests; after the last allowed centre, it waits in the staff queue."""
    tried = {str(r.centre_id) for r in _referrals_of(session, consultation.id)}
    if len(tried) >= settings.max_referrals_per_consultation:
        return _unroute(session, consultation)
    for entry in consultation.ranking:
        if entry["centre_id"] in tried:
            continue
        centre = session.get(Centre, uuid.UUID(entry["centre_id"]))
        if centre is not None and centre.active and centre.intake_status == "open":
            return open_referral(session, settings, consultation, centre, entry, actor)
    return _unroute(session, consultation)


def _unroute(session: Session, consultation: Consultation) -> Referral | None:
    consultation.status = "unrouted"
    session.add(consultation)
    return None


def centre_referral(session: Session, centre_id: uuid.UUID, referral_id: uuid.UUID) -> Referral:
    """A referral of this centre; another centre's id answers 404, as if it did not exist."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.centre_id != centre_id:
        raise NotFound(f"no referral {referral_id} in this inbox")
    return referral


def accept(session: Session, referral: Referral, actor: str) -> Referral:
    """The centre takes the person on."""
    if referral.state == "accepted":
        return referral
    if referral.state not in OPEN:
        raise Conflict(f"this referral is {referral.state}; it can no longer be accepted")
    now = utcnow()
    referral.responded_at = now
    referral.delivered_at = referral.delivered_at or now
    transition(session, referral, "accepted", actor, at=now)
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None:
        consultation.status = "accepted"
        session.add(consultation)
    session.flush()
    return referral


def decline(
    session: Session,
    settings: Settings,
    referral: Referral,
    actor: str,
    reason: str,
    note: str | None,
) -> Referral:
    """The centre declines; the consultation moves on to the next centre."""
    if referral.state not in OPEN:
        raise Conflict(f"this referral is {referral.state}; it can no longer be declined")
    referral.responded_at = utcnow()
    referral.decline_reason, referral.decline_note = reason, note
    transition(session, referral, "declined", actor, reason=reason, note=note)
    dispatcher.cancel_pending(session, referral.id)
    _move_on(session, settings, referral, actor)
    session.flush()
    return referral


def expire_due(session: Session, settings: Settings, now: datetime, *, limit: int = 100) -> int:
    """Expire referrals that went unanswered past their delay, and move each request on."""
    query = (
        select(Referral)
        .where(col(Referral.state).in_(OPEN), col(Referral.expires_at) <= now)
        .order_by(col(Referral.expires_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    expired = 0
    for referral in session.scalars(query).all():
        try:
            # One savepoint each: a referral answered meanwhile, or one that cannot be moved
            # on, is left as it is and does not hold up the others.
            with session.begin_nested():
                transition(session, referral, "expired", "system:expiry", at=now)
                dispatcher.cancel_pending(session, referral.id)
                _move_on(session, settings, referral, "system:expiry")
            expired += 1
        except Exception:
            log.exception("could not expire referral %s", referral.id)
    return expired


def cancel(session: Session, referral: Referral, actor: str, note: str | None) -> Referral:
    """Staff withdraw a referral; a centre that already has it is told by webhook."""
    if referral.state in ANSWERED:
        raise Conflict(f"this referral is already {referral.state}")
    # The centre may have it: delivered, or a webhook already tried or in flight right now.
    may_have_it = referral.state == "delivered" or dispatcher.may_have_arrived(session, referral.id)
    transition(session, referral, "cancelled", actor, note=note)
    dispatcher.cancel_pending(session, referral.id)
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None and consultation.status == "routed":
        # No centre is on it any more: back to the staff queue.
        consultation.status = "unrouted"
        session.add(consultation)
    if may_have_it:
        dispatcher.enqueue(
            session, event_type="referral.cancelled", centre_id=referral.centre_id,
            subject_id=referral.id, data={"referral_id": str(referral.id), "reason": note},
        )  # fmt: skip
    session.flush()
    return referral


def mark_delivered(session: Session, referral: Referral, actor: str) -> None:
    """The centre has the referral (webhook answered 2xx, or read through the inbox API)."""
    if referral.state == "pending":
        referral.delivered_at = utcnow()
        transition(session, referral, "delivered", actor, at=referral.delivered_at)


def on_webhook_delivered(session: Session, event: OutboxEvent) -> None:
    """Dispatcher hook: a `referral.created` webhook reached its centre."""
    if event.event_type == "referral.created" and event.subject_id is not None:
        referral = session.get(Referral, event.subject_id)
        if referral is not None:
            mark_delivered(session, referral, "dispatcher")


def _move_on(session: Session, settings: Settings, referral: Referral, actor: str) -> None:
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None and consultation.status == "routed":
        route_next(session, settings, consultation, actor)
