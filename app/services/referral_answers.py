"""A centre answering a referral from a web page (the link of its e-mail notice, or its web
inbox), with the state machine and versioned transitions of the inbox API
(`referrals.accept`, `referrals.decline`). Reading a page changes nothing; each answer is a
POST, and the same answer sent twice (a double click, a replayed form) is answered alike
without a second transition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.db import utcnow
from app.errors import Gone, InvalidInput, field_error
from app.models import Centre, Consultation, Referral, ReferralEvent
from app.models.states import ReferralState
from app.schemas.intake import DeclineIn
from app.services import audit, referrals
from app.settings import Settings

# An acceptance sent again this soon after (a double click) shows the details again.
REPLAY_WINDOW: Final = timedelta(minutes=15)
ASK_AXTRA: Final = "ask_axtra"


@dataclass(frozen=True, slots=True)
class Answered:
    """What the page shows after an answer: the referral and, on acceptance, the person."""

    referral: Referral
    person: dict[str, Any] | None = None
    message: str | None = None
    replayed: bool = False


def actor_for(centre_id: uuid.UUID, via: str) -> str:
    """`centre:<id>:email` (the notice's link) or `centre:<id>:web` (the web inbox)."""
    return f"centre:{centre_id}:{via}"


def summary(session: Session, referral: Referral) -> dict[str, Any]:
    """The request as the answer page shows it before acceptance: no name, no contact, no
    message; what the match used (place, needs, groups, language, modes, age band)."""
    consultation = session.get(Consultation, referral.consultation_id)
    centre = session.get(Centre, referral.centre_id)
    criteria = consultation.criteria if consultation else {}
    return {
        "reference": str(referral.consultation_id),
        "state": referral.state,
        "expires_at": referral.expires_at,
        "created_at": referral.created_at,
        "centre_name": centre.name if centre else "",
        "criteria": criteria,
        "reasons": referral.reasons,
    }


def accept(session: Session, settings: Settings, referral: Referral, actor: str) -> Answered:
    """Accept, and return the person's details (their reading is audited). Accepting again
    soon after, from the same channel, shows them again; otherwise a closed referral is 410."""
    if referral.state == ReferralState.ACCEPTED:
        if not _recent_answer(session, referral, ReferralState.ACCEPTED, actor):
            raise Gone("referral_link_closed", state=referral.state)
        return _with_person(session, settings, referral, actor, replayed=True)
    referrals.accept(session, settings, referral, actor)
    return _with_person(session, settings, referral, actor, replayed=False)


def decline(
    session: Session,
    settings: Settings,
    referral: Referral,
    actor: str,
    reason: object,
    note: object,
) -> Answered:
    """Decline with a reason (and an optional note); the request moves to the next centre."""
    body = _decline_body(reason, note)
    same = referral.state == ReferralState.DECLINED and referral.decline_reason == body.reason
    if same and _recent_answer(session, referral, ReferralState.DECLINED, actor):
        return Answered(referral, replayed=True)
    referrals.decline(session, settings, referral, actor, body.reason, body.note)
    return Answered(referral)


def ask_axtra(session: Session, referral: Referral, actor: str, note: object) -> Answered:
    """The centre asks AXTRA staff about this request: written in its history (staff see it
    in the request's detail); the referral stays as it is, and still expires on time."""
    if referral.state not in referrals.OPEN:
        raise Gone("referral_link_closed", state=referral.state)
    text = _decline_body("other", note).note
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_state=referral.state,
            to_state=referral.state,
            actor=actor,
            reason=ASK_AXTRA,
            note=text,
            at=utcnow(),
        )
    )
    session.flush()
    return Answered(referral)


def _decline_body(reason: object, note: object) -> DeclineIn:
    note_text = note.strip() if isinstance(note, str) else None
    try:
        return DeclineIn.model_validate({"reason": reason, "note": note_text or None})
    except ValidationError as exc:
        errors = [field_error([str(p) for p in e["loc"]], e["type"]) for e in exc.errors()]
        raise InvalidInput("invalid_input", errors=errors) from None


def _recent_answer(session: Session, referral: Referral, state: str, actor: str) -> bool:
    answered_at = referral.responded_at
    if answered_at is None or utcnow() - answered_at > REPLAY_WINDOW:
        return False
    last = session.scalars(
        select(col(ReferralEvent.actor)).where(
            col(ReferralEvent.referral_id) == referral.id, col(ReferralEvent.to_state) == state
        )
    ).first()
    return last == actor


def _with_person(
    session: Session, settings: Settings, referral: Referral, actor: str, *, replayed: bool
) -> Answered:
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is None:
        return Answered(referral, replayed=replayed)
    audit.record(session, actor, "read_person", "consultation", consultation.id, "answer page")
    session.flush()
    return Answered(
        referral,
        referrals.person_of(settings, consultation),
        referrals.message_of(settings, consultation),
        replayed,
    )
