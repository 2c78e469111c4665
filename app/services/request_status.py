"""A job seeker's view of their own request (the link of their e-mails): where it stands,
and withdrawing it while no centre has taken it (DESIGN §13)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import Conflict
from app.models import Centre, Consultation, Referral
from app.models.states import ConsultationStatus, ReferralState
from app.services import audit, referrals
from app.settings import Settings

ACTOR = "person"
# A request the person may still withdraw: no centre has taken it on.
WITHDRAWABLE = (ConsultationStatus.ROUTED, ConsultationStatus.UNROUTED)


def view(session: Session, consultation: Consultation) -> dict[str, Any]:
    """Its status, the centre working on it or that took it, and its deadline. Nothing
    personal: the page is reached by a link, which may be forwarded."""
    latest = session.scalars(
        select(Referral)
        .where(col(Referral.consultation_id) == consultation.id)
        .order_by(col(Referral.attempt).desc())
    ).first()
    centre = session.get(Centre, latest.centre_id) if latest is not None else None
    return {
        "reference": str(consultation.id),
        "status": consultation.status,
        "created_at": consultation.created_at,
        "centre_name": centre.name
        if centre and latest and latest.state == ReferralState.ACCEPTED
        else None,
        "expires_at": latest.expires_at if latest and latest.state in referrals.OPEN else None,
        "withdrawable": consultation.status in WITHDRAWABLE,
    }


def withdraw(session: Session, settings: Settings, consultation: Consultation) -> bool:
    """Withdraw the request: its open referral is cancelled (the centre is told if it may have
    it) and it leaves the staff queue. True if it changed; withdrawing twice changes nothing.
    Once a centre has accepted, the person deals with that centre."""
    if consultation.status == ConsultationStatus.CANCELLED:
        return False
    if consultation.status not in WITHDRAWABLE:
        raise Conflict("request_not_withdrawable", status=consultation.status)
    for referral in session.scalars(
        select(Referral).where(
            col(Referral.consultation_id) == consultation.id,
            col(Referral.state).in_(referrals.OPEN),
        )
    ).all():
        referrals.cancel(session, referral, ACTOR, "withdrawn by the person")
    consultation.status = ConsultationStatus.CANCELLED
    session.add(consultation)
    audit.record(session, ACTOR, "withdraw", "consultation", consultation.id, "status page")
    session.flush()
    return True
