"""The referral lifecycle (DESIGN §7): pending → delivered → accepted | declined | expired,
cancelled by staff; a decline or an expiry moves the consultation to the next centre."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from app import dispatcher
from app.crypto import decrypt_json
from app.db import insert_rows, utcnow
from app.errors import Conflict, NotFound
from app.models import Centre, Consultation, Referral, ReferralEvent
from app.models.states import (
    ANSWERED_REFERRAL,
    OPEN_REFERRAL,
    ConsultationStatus,
    ReferralState,
)
from app.services import notices
from app.settings import Settings

log = logging.getLogger("ttx.referrals")
OPEN = OPEN_REFERRAL
# Events whose delivery means the centre has the referral.
DELIVERING = ("referral.created", notices.CENTRE_NOTICE)
ANSWERED = ANSWERED_REFERRAL


def transition(
    session: Session,
    referral: Referral,
    to_state: ReferralState,
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
        )
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
) -> Opened:
    """Send a routed consultation to its next centre: the referral, its history row and its
    webhook, in the caller's transaction (all dropped together on rollback)."""
    consultation.status = ConsultationStatus.ROUTED
    session.add(consultation)
    return insert_referral(
        session,
        settings,
        consultation_id=consultation.id,
        criteria=consultation.criteria,
        attempt=1 + len(_referrals_of(session, consultation.id)),
        centre=centre,
        entry=entry,
        actor=actor,
        person=person_of(settings, consultation),
        message=message_of(settings, consultation),
    )


def insert_referral(
    session: Session,
    settings: Settings,
    *,
    consultation_id: uuid.UUID,
    criteria: dict[str, Any],
    attempt: int,
    centre: Centre | CentreRef,
    entry: dict[str, Any],
    actor: str,
    person: dict[str, Any] | None,
    message: str | None,
    notify: list[str] | None = None,
) -> Opened:
    """Write a referral, its first history row and its sealed `referral.created` webhook,
    and its e-mail notices (to `notify` when the caller read the centre's addresses).

    Rows are inserted directly (no ORM instances): the consultation row must exist in the
    transaction already, and the consultation's status is the caller's to set."""
    now = utcnow()
    referral = Opened(
        id=uuid.uuid4(),
        consultation_id=consultation_id,
        centre_id=centre.id,
        attempt=attempt,
        rank=entry.get("rank"),
        score=entry.get("score"),
        reasons=entry.get("reasons", []),
        created_at=now,
        expires_at=now + timedelta(hours=settings.acceptance_delay_hours),
    )
    insert_rows(
        session,
        Referral,
        {
            "id": referral.id,
            "consultation_id": consultation_id,
            "centre_id": centre.id,
            "attempt": attempt,
            "state": referral.state,
            "rank": referral.rank,
            "score": referral.score,
            "reasons": referral.reasons,
            "created_at": now,
            "delivered_at": None,
            "responded_at": None,
            "expires_at": referral.expires_at,
            "decline_reason": None,
            "decline_note": None,
            "version": 1,
        },
    )
    insert_rows(
        session,
        ReferralEvent,
        {
            "id": uuid.uuid4(),
            "referral_id": referral.id,
            "at": now,
            "from_state": None,
            "to_state": ReferralState.PENDING,
            "actor": actor,
            "reason": None,
            "note": None,
        },
    )
    # Counted in the ranking's load once committed (app.deps.follow_commit).
    session.info.setdefault("referrals_opened", []).append(str(centre.id))
    dispatcher.enqueue(
        session,
        event_type="referral.created",
        centre_id=centre.id,
        subject_id=referral.id,
        data=webhook_data(consultation_id, criteria, referral, centre.ref, person, message),
        seal_key=settings.secret_key,
        now=now,
    )
    notices.referral_notice(
        session,
        settings,
        referral_id=referral.id,
        consultation_id=consultation_id,
        centre_id=centre.id,
        expires_at=referral.expires_at,
        now=now,
        addresses=notify,
    )
    return referral


@dataclass(frozen=True, slots=True)
class CentreRef:
    """The little of a centre a referral needs, when the directory snapshot has it."""

    id: uuid.UUID
    ref: str


@dataclass(frozen=True, slots=True)
class Opened:
    """A referral just written, with the fields its views show (load a `Referral` to change
    it)."""

    id: uuid.UUID
    consultation_id: uuid.UUID
    centre_id: uuid.UUID
    attempt: int
    rank: int | None
    score: float | None
    reasons: list[dict[str, Any]]
    created_at: datetime
    expires_at: datetime
    state: ReferralState = ReferralState.PENDING


def webhook_data(
    consultation_id: uuid.UUID,
    criteria: dict[str, Any],
    referral: Opened,
    centre_ref: str,
    person: dict[str, Any] | None,
    message: str | None,
) -> dict[str, Any]:
    """The `data` of a `referral.created` webhook (DESIGN §8)."""
    return {
        "referral_id": str(referral.id),
        "consultation_id": str(consultation_id),
        "centre_ref": centre_ref,
        "person": person,
        "criteria": criteria,
        "message": message,
        "match": {
            "rank": referral.rank,
            "score": referral.score,
            "reasons": [r.get("code") for r in referral.reasons],
        },
        "expires_at": referral.expires_at.isoformat(),
    }


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
) -> Opened | None:
    """Send the consultation to the next centre of its original ranking that has not had it
    and still takes requests; after the last allowed centre, it waits in the staff queue."""
    tried = {str(r.centre_id) for r in _referrals_of(session, consultation.id)}
    if len(tried) >= settings.max_referrals_per_consultation:
        _unroute(session, consultation, settings)
        return None
    for entry in consultation.ranking:
        if entry["centre_id"] in tried:
            continue
        centre = session.get(Centre, uuid.UUID(entry["centre_id"]))
        if centre is not None and centre.active and centre.intake_status == "open":
            return open_referral(session, settings, consultation, centre, entry, actor)
    _unroute(session, consultation, settings)
    return None


def _unroute(
    session: Session, consultation: Consultation, settings: Settings | None = None
) -> None:
    was = consultation.status
    consultation.status = ConsultationStatus.UNROUTED
    session.add(consultation)
    if settings is not None and was == ConsultationStatus.ROUTED:
        # No centre could take it: staff follow up.
        notices.seeker_unrouted(
            session,
            settings,
            consultation_id=consultation.id,
            person=person_of(settings, consultation),
        )


def centre_referral(session: Session, centre_id: uuid.UUID, referral_id: uuid.UUID) -> Referral:
    """A referral of this centre; another centre's id answers 404, as if it did not exist."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.centre_id != centre_id:
        raise NotFound("inbox_referral_not_found", referral_id=str(referral_id))
    return referral


def accept(session: Session, settings: Settings, referral: Referral, actor: str) -> Referral:
    """The centre takes the person on."""
    if referral.state == ReferralState.ACCEPTED:
        return referral
    if referral.state not in OPEN:
        raise Conflict("referral_not_acceptable", state=referral.state)
    refuse_if_expired(referral)
    now = utcnow()
    referral.responded_at = now
    referral.delivered_at = referral.delivered_at or now
    transition(session, referral, ReferralState.ACCEPTED, actor, at=now)
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None:
        consultation.status = ConsultationStatus.ACCEPTED
        session.add(consultation)
        centre = session.get(Centre, referral.centre_id)
        if centre is not None:
            person = person_of(settings, consultation)
            notices.seeker_accepted(
                session, settings, consultation_id=consultation.id, person=person, centre=centre
            )
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
        raise Conflict("referral_not_declinable", state=referral.state)
    refuse_if_expired(referral)
    referral.responded_at = utcnow()
    referral.decline_reason, referral.decline_note = reason, note
    transition(session, referral, ReferralState.DECLINED, actor, reason=reason, note=note)
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
                transition(session, referral, ReferralState.EXPIRED, "system:expiry", at=now)
                dispatcher.cancel_pending(session, referral.id)
                _move_on(session, settings, referral, "system:expiry")
            expired += 1
        except Exception:
            log.exception("could not expire referral %s", referral.id)
    return expired


def cancel(session: Session, referral: Referral, actor: str, note: str | None) -> Referral:
    """Staff withdraw a referral; a centre that already has it is told by webhook."""
    if referral.state in ANSWERED:
        raise Conflict("referral_already_closed", state=referral.state)
    # The centre may have it: delivered, or a webhook already tried or in flight right now.
    may_have_it = referral.state == ReferralState.DELIVERED or dispatcher.may_have_arrived(
        session, referral.id
    )
    transition(session, referral, ReferralState.CANCELLED, actor, note=note)
    dispatcher.cancel_pending(session, referral.id)
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None and consultation.status == ConsultationStatus.ROUTED:
        # No centre is on it any more: back to the staff queue.
        consultation.status = ConsultationStatus.UNROUTED
        session.add(consultation)
    if may_have_it:
        dispatcher.enqueue(
            session,
            event_type="referral.cancelled",
            centre_id=referral.centre_id,
            subject_id=referral.id,
            data={"referral_id": str(referral.id), "reason": note},
        )
    session.flush()
    return referral


def on_webhooks_delivered(session: Session, delivered: Sequence[dispatcher.Delivered]) -> None:
    """Dispatcher hook: `referral.created` webhooks reached their centres, or their e-mail
    notices were accepted by the mail server, so those referrals still pending are now
    delivered."""
    ids = [d.subject_id for d in delivered if d.event_type in DELIVERING and d.subject_id]
    deliver_pending(session, ids, "dispatcher")


def deliver_pending(session: Session, ids: Sequence[uuid.UUID], actor: str) -> set[uuid.UUID]:
    """Mark those of `ids` still pending as delivered; return the ones this call moved.

    Set-based (one UPDATE and one INSERT) and conditional on the state, so two readers of the
    same inbox never conflict: the second finds nothing left to move (on PostgreSQL its UPDATE
    waits for the first to commit, then re-reads the state). The version bump makes a
    concurrent accept or decline of the same referral, made from an older read, a conflict."""
    if not ids:
        return set()
    now = utcnow()
    moved = (
        session.execute(
            update(_REFERRAL)
            .where(_REFERRAL.c.id.in_(ids), _REFERRAL.c.state == ReferralState.PENDING)
            .values(
                state=ReferralState.DELIVERED, delivered_at=now, version=_REFERRAL.c.version + 1
            )
            .returning(_REFERRAL.c.id)
        )
        .scalars()
        .all()
    )
    if moved:
        insert_rows(
            session,
            ReferralEvent,
            *(
                {
                    "id": uuid.uuid4(),
                    "referral_id": referral_id,
                    "at": now,
                    "from_state": ReferralState.PENDING,
                    "to_state": ReferralState.DELIVERED,
                    "actor": actor,
                    "reason": None,
                    "note": None,
                }
                for referral_id in moved
            ),
        )
    return set(moved)


def refuse_if_expired(referral: Referral) -> None:
    """Expiry is a rule, not a sweep: past `expires_at` an answer is refused even if the
    sweeper has not moved the request on yet."""
    if referral.state in OPEN and referral.expires_at <= utcnow():
        raise Conflict("referral_expired", expired_at=referral.expires_at.isoformat())


_REFERRAL = Referral.__table__  # type: ignore[attr-defined]


def _move_on(session: Session, settings: Settings, referral: Referral, actor: str) -> None:
    consultation = session.get(Consultation, referral.consultation_id)
    if consultation is not None and consultation.status == ConsultationStatus.ROUTED:
        route_next(session, settings, consultation, actor)
