"""Intake: a consultation, its first referral and the webhook, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.crypto import encrypt_json
from app.db import insert_rows, pipelined, utcnow
from app.errors import InvalidInput, NotFound, field_error
from app.matching import Load, MatchOutcome
from app.models import Centre, Consultation, Referral
from app.models.states import ConsultationStatus
from app.schemas.intake import ConsultationIn
from app.services import idempotency, notices, referrals
from app.services.directory_index import Directory
from app.services.keys import Principal
from app.services.matching import locate, situation
from app.services.privacy import remember_contacts
from app.settings import Settings

# How much of the original ranking is kept for re-routing and for staff to see.
RANKING_DEPTH = 10


@dataclass(frozen=True, slots=True)
class Submitted:
    """A consultation just stored: what its answer shows."""

    id: uuid.UUID
    status: str
    created_at: datetime


def submit(
    session: Session,
    settings: Settings,
    directory: Directory,
    load: Load,
    body: ConsultationIn,
    principal: Principal | None,
) -> tuple[Submitted, referrals.Opened | None]:
    """Store the request with its consent, rank the centres, and send it to the chosen or the
    best-ranked one. With no eligible centre it is stored `unrouted`, for staff.

    Every row is inserted directly, in foreign-key order (this is the busiest write)."""
    place = locate(body.criteria.location)
    wanted = situation(body.criteria, place, limit=RANKING_DEPTH)
    outcome = directory.match_index.rank(wanted, load=load)
    ranking = _ranking(outcome)
    if body.centre_id is not None:
        ranking = _chosen_first(directory, ranking, body.centre_id, wanted)
    now = utcnow()
    channel = principal.role if principal else "public"
    person = body.person.model_dump()
    consultation = Submitted(
        uuid.uuid4(), ConsultationStatus.ROUTED if ranking else ConsultationStatus.UNROUTED, now
    )
    criteria = _criteria(body, place.to_dict())
    # Read before the pipeline (which sends writes only): where the first centre's notices go.
    notify = (
        notices.centre_addresses(session, uuid.UUID(ranking[0]["centre_id"]))
        if ranking and settings.mail_enabled
        else None
    )
    with pipelined(session):  # six INSERTs, one round trip on PostgreSQL
        insert_rows(
            session,
            Consultation,
            {
                "id": consultation.id,
                "created_at": now,
                "status": consultation.status,
                "channel": channel,
                "partner_key_id": principal.key_id
                if principal and principal.role == "partner"
                else None,
                "region_code": place.region_code,
                "criteria": criteria,
                "ranking": ranking,
                "policy_version": outcome.policy_version,
                "consent": {
                    **body.consent.model_dump(),
                    "recorded_at": now.isoformat(),
                    "channel": channel,
                },
                "person_enc": encrypt_json(settings.secret_key, person),
                "message_enc": encrypt_json(settings.secret_key, body.message)
                if body.message
                else None,
                "anonymized_at": None,
            },
        )
        remember_contacts(session, settings, consultation.id, body.person.email, body.person.phone)
        if not ranking:
            notices.seeker_confirmation(
                session,
                settings,
                consultation_id=consultation.id,
                person=person,
                expires_at=None,
                now=now,
            )
            return consultation, None
        # The snapshot ranked only active centres with open intake: the first one takes it.
        best = directory.by_id[ranking[0]["centre_id"]]
        referral = referrals.insert_referral(
            session,
            settings,
            consultation_id=consultation.id,
            criteria=criteria,
            attempt=1,
            centre=referrals.CentreRef(id=uuid.UUID(best.id), ref=best.ref),
            entry=ranking[0],
            actor=_actor(principal),
            person=person,
            message=body.message,
            notify=notify,
        )
        notices.seeker_confirmation(
            session,
            settings,
            consultation_id=consultation.id,
            person=person,
            expires_at=referral.expires_at,
            now=now,
        )
    return consultation, referral


def _ranking(outcome: MatchOutcome) -> list[dict[str, Any]]:
    return [
        {
            "centre_id": r.centre_id,
            "rank": r.rank,
            "score": r.score,
            "reasons": [reason.to_dict() for reason in r.reasons],
        }
        for r in outcome.results
    ]


def _chosen_first(
    directory: Directory, ranking: list[dict[str, Any]], centre_id: uuid.UUID, wanted: Any
) -> list[dict[str, Any]]:
    """The person picked a centre from the list: it goes first, if it is eligible."""
    key = str(centre_id)
    chosen = [e for e in ranking if e["centre_id"] == key]
    if not chosen:
        if key not in directory.by_id:
            raise InvalidInput(
                "centre_not_active",
                errors=[field_error(["body", "centre_id"], "centre_unknown")],
                centre_id=str(centre_id),
            )
        reasons = directory.match_index.explain_ineligible(key, wanted)
        if reasons:
            raise InvalidInput(
                "centre_not_eligible",
                errors=[
                    {
                        "loc": ["body", "centre_id"],
                        "type": r.code,
                        "code": r.code,
                        "fr": r.fr,
                        "en": r.en,
                    }
                    for r in reasons
                ],
            )
        chosen = [_entry_for(directory, key, wanted)]
    return chosen + [e for e in ranking if e["centre_id"] != key]


def _entry_for(directory: Directory, key: str, wanted: Any) -> dict[str, Any]:
    # Eligible but ranked below the kept depth: rank everyone to find its score and reasons.
    outcome = directory.match_index.rank(replace(wanted, limit=len(directory.entries)))
    result = next(r for r in outcome.results if r.centre_id == key)
    return {
        "centre_id": key,
        "rank": None,
        "score": result.score,
        "reasons": [r.to_dict() for r in result.reasons],
    }


def _criteria(body: ConsultationIn, place: dict[str, Any]) -> dict[str, Any]:
    criteria = body.criteria.model_dump(exclude={"location", "limit"})
    criteria["location"] = {k: place[k] for k in ("label", "region_code", "lat", "lon")}
    return criteria


def _actor(principal: Principal | None) -> str:
    return f"{principal.role}:{principal.key_id}" if principal else "public"


def answer(
    directory: Directory, consultation: Submitted, referral: referrals.Opened | None
) -> dict[str, Any]:
    """The answer of `POST /v1/consultations`, from what the submission has in hand."""
    centre = directory.by_id.get(str(referral.centre_id)) if referral else None
    return {
        "id": str(consultation.id),
        "status": consultation.status,
        "created_at": consultation.created_at.isoformat(),
        "referral": _referral_view(
            referral, centre.ref if centre else None, centre.name if centre else None
        )
        if referral
        else None,
    }


def summary(session: Session, consultation: Consultation) -> dict[str, Any]:
    """The answer of `POST /v1/consultations`: id, status and the current referral."""
    referral = session.scalars(
        select(Referral)
        .where(col(Referral.consultation_id) == consultation.id)
        .order_by(col(Referral.attempt).desc())
        .limit(1)
    ).first()
    return {
        "id": str(consultation.id),
        "status": consultation.status,
        "created_at": consultation.created_at.isoformat(),
        "referral": referral_summary(session, referral) if referral else None,
    }


def referral_summary(session: Session, referral: Referral | referrals.Opened) -> dict[str, Any]:
    centre = session.get(Centre, referral.centre_id)
    return _referral_view(referral, centre.ref if centre else None, centre.name if centre else None)


def _referral_view(
    referral: Referral | referrals.Opened, ref: str | None, name: str | None
) -> dict[str, Any]:
    return {
        "id": str(referral.id),
        "state": referral.state,
        "attempt": referral.attempt,
        "centre": {"id": str(referral.centre_id), "ref": ref, "name": name},
        "rank": referral.rank,
        "score": referral.score,
        "reasons": referral.reasons,
        "created_at": referral.created_at.isoformat(),
        "expires_at": referral.expires_at.isoformat(),
    }


def get_for(session: Session, consultation_id: uuid.UUID, principal: Principal) -> Consultation:
    """A partner sees only the consultations it submitted; staff see all."""
    consultation = session.get(Consultation, consultation_id)
    visible = consultation is not None and (
        principal.role == "admin" or consultation.partner_key_id == principal.key_id
    )
    if not visible or consultation is None:
        raise NotFound("consultation_not_found", consultation_id=str(consultation_id))
    return consultation


def submit_answered(
    session: Session,
    settings: Settings,
    directory: Directory,
    load: Load,
    body: ConsultationIn,
    caller: Principal | None,
    *,
    idempotency_key: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """`submit`, then its answer; with `idempotency_key` (scope, key), claimed beforehand by
    `idempotency.claim`, the answer is stored with the request for replays."""
    consultation, referral = submit(session, settings, directory, load, body, caller)
    answer_doc = answer(directory, consultation, referral)
    if idempotency_key is not None:
        idempotency.finish(session, *idempotency_key, 201, answer_doc)
    return answer_doc


def receive(
    session: Session,
    settings: Settings,
    directory: Directory,
    load: Load,
    body: ConsultationIn,
    caller: Principal | None,
    *,
    idempotency_key: tuple[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """A submission as the API takes it, answered with (status, document): the honeypot with
    a decoy, a retry of an `Idempotency-Key` (scope, key) with its first answer, anything
    else submitted (`submit_answered`)."""
    if body.website:  # the honeypot: accept, store nothing
        return 201, decoy()
    if idempotency_key is not None:
        replay = idempotency.claim(session, *idempotency_key, body)
        if replay is not None:
            return replay.status, replay.body
    answered = submit_answered(
        session, settings, directory, load, body, caller, idempotency_key=idempotency_key
    )
    return 201, answered


def decoy() -> dict[str, Any]:
    """What the honeypot answers: the shape of a real answer (a request no centre could
    take), so that a robot learns nothing; nothing is stored."""
    return {
        "id": str(uuid.uuid4()),
        "status": "unrouted",
        "created_at": utcnow().isoformat(),
        "referral": None,
    }
