"""Staff work on requests: the unrouted queue, routing by hand, explanations, cancellation."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app import dispatcher
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.models import Centre, Consultation, OutboxEvent, Referral, ReferralEvent
from app.models.states import ConsultationStatus
from app.services import audit, referrals
from app.settings import Settings


def list_consultations(
    session: Session, *, status: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Consultations, oldest first (the staff queue is `status=unrouted`), without personal data."""
    query = select(Consultation)
    if status:
        query = query.where(col(Consultation.status) == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(col(Consultation.created_at)).limit(limit).offset(offset)
    ).all()
    return [_brief(c) for c in rows], total


def _brief(c: Consultation) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "status": c.status,
        "channel": c.channel,
        "region_code": c.region_code,
        "created_at": c.created_at.isoformat(),
        "criteria": c.criteria,
        "policy_version": c.policy_version,
    }


def detail(
    session: Session, settings: Settings, consultation_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """Everything about one request: person (logged read), consent, ranking and why, and every
    referral with its history. This is the answer to a Law 25 request for explanation."""
    consultation = _get(session, consultation_id)
    audit.record(session, actor, "read_person", "consultation", consultation.id, "staff detail")
    rows = session.scalars(
        select(Referral)
        .where(col(Referral.consultation_id) == consultation.id)
        .order_by(col(Referral.attempt))
    ).all()
    return {
        **_brief(consultation),
        "person": referrals.person_of(settings, consultation),
        "message": referrals.message_of(settings, consultation),
        "consent": consultation.consent,
        "ranking": consultation.ranking,
        "anonymized_at": consultation.anonymized_at.isoformat()
        if consultation.anonymized_at
        else None,
        "referrals": [_referral(session, r) for r in rows],
    }


def _referral(session: Session, referral: Referral) -> dict[str, Any]:
    history = session.scalars(
        select(ReferralEvent)
        .where(col(ReferralEvent.referral_id) == referral.id)
        .order_by(col(ReferralEvent.at))
    ).all()
    centre = session.get(Centre, referral.centre_id)
    return {
        "id": str(referral.id),
        "attempt": referral.attempt,
        "state": referral.state,
        "centre": {"id": str(referral.centre_id), "ref": centre.ref if centre else None},
        "rank": referral.rank,
        "score": referral.score,
        "reasons": referral.reasons,
        "decline_reason": referral.decline_reason,
        "decline_note": referral.decline_note,
        "history": [
            {
                "at": h.at.isoformat(),
                "from": h.from_state,
                "to": h.to_state,
                "actor": h.actor,
                "reason": h.reason,
                "note": h.note,
            }
            for h in history
        ],
    }


def route_by_hand(
    session: Session,
    settings: Settings,
    consultation_id: uuid.UUID,
    centre_id: uuid.UUID,
    actor: str,
) -> referrals.Opened:
    """Staff send a request to a centre of their choice (no eligibility check: staff decide)."""
    consultation = _get(session, consultation_id)
    if consultation.status in (ConsultationStatus.ACCEPTED, ConsultationStatus.CANCELLED):
        raise Conflict("consultation_not_routable", consultation_status=consultation.status)
    open_refs = session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            col(Referral.consultation_id) == consultation.id,
            col(Referral.state).in_(referrals.OPEN),
        )
    )
    if open_refs:
        raise Conflict("consultation_has_open_referral")
    centre = session.get(Centre, centre_id)
    if centre is None or not centre.active:
        raise InvalidInput(
            "centre_not_active",
            errors=[field_error(["body", "centre_id"], "centre_unknown")],
            centre_id=str(centre_id),
        )
    entry = {
        "rank": None,
        "score": None,
        "reasons": [
            {"code": "staff_routed", "fr": "Acheminé par l'équipe", "en": "Routed by staff"}
        ],
    }
    referral = referrals.open_referral(session, settings, consultation, centre, entry, actor)
    audit.record(session, actor, "send_person", "consultation", consultation.id, centre.ref)
    session.flush()
    return referral


def replay_delivery(session: Session, event_id: uuid.UUID, actor: str) -> OutboxEvent:
    """Replay a webhook, only while its referral still waits for that centre's answer."""
    event = session.get(OutboxEvent, event_id)
    if event is not None and event.subject_id is not None:
        referral = session.get(Referral, event.subject_id)
        if referral is not None and event.event_type == "referral.created":
            if referral.state not in referrals.OPEN:
                raise Conflict("referral_not_cancellable", state=referral.state)
            audit.record(
                session, actor, "send_person", "consultation", referral.consultation_id, "replay"
            )
    return dispatcher.replay(session, event_id)


def failed_deliveries(session: Session, *, limit: int, offset: int) -> dict[str, Any]:
    """A page of the deliveries that exhausted their retries, newest first."""
    rows, total = dispatcher.list_failed(session, limit, offset)
    return {"items": [_failed(e) for e in rows], "total": total, "limit": limit, "offset": offset}


def _failed(event: OutboxEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "webhook_id": event.webhook_id,
        "event_type": event.event_type,
        "channel": event.channel,
        "centre_id": str(event.centre_id) if event.centre_id else None,
        "referral_id": str(event.subject_id) if event.subject_id else None,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "created_at": event.created_at.isoformat(),
    }


def enable_inbox(session: Session, centre_id: uuid.UUID) -> dict[str, Any]:
    """Turn a centre's webhook endpoint back on after it was disabled."""
    endpoint = dispatcher.reenable_endpoint(session, centre_id)
    return {"centre_id": str(centre_id), "enabled": endpoint.enabled}


def cancel_referral(
    session: Session, referral_id: uuid.UUID, actor: str, note: str | None
) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("referral_not_found", referral_id=str(referral_id))
    return referrals.cancel(session, referral, actor, note)


def _get(session: Session, consultation_id: uuid.UUID) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("consultation_not_found", consultation_id=str(consultation_id))
    return consultation
