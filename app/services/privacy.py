"""Law 25: find a person's requests, export them, erase them, and purge old ones.

Anonymising keeps what statistics need (dates, region, codes, states, match reasons) and
drops what identifies the person (names, contacts, message, free text, exact place, age)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.crypto import newest_secret
from app.db import insert_rows, utcnow
from app.errors import InvalidInput
from app.models import AuditEntry, Consultation, ContactDigest, OutboxEvent, Referral
from app.models.states import Channel, ConsultationStatus, OutboxStatus
from app.services import audit, referrals
from app.services.staff import detail
from app.settings import Settings


def contact_digests(settings: Settings, email: str | None, phone: str | None) -> list[str]:
    """Keyed hashes of the normalised contacts (newest secret), for look-ups."""
    secret = newest_secret(settings.secret_key)
    values = []
    if email:
        values.append("email:" + email.strip().casefold())
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        values.append(
            "phone:" + digits.removeprefix("1") if len(digits) == 11 else "phone:" + digits
        )
    return [hmac.new(secret, v.encode(), hashlib.sha256).hexdigest() for v in values]


def remember_contacts(
    session: Session,
    settings: Settings,
    consultation_id: uuid.UUID,
    email: str | None,
    phone: str | None,
) -> None:
    """Store the digests of a new consultation's contacts (its row is already written)."""
    rows = [
        {"digest": digest, "consultation_id": consultation_id}
        for digest in contact_digests(settings, email, phone)
    ]
    if rows:
        insert_rows(session, ContactDigest, *rows)


def find(
    session: Session, settings: Settings, email: str | None, phone: str | None
) -> list[Consultation]:
    """Every request made with this email or phone."""
    digests = contact_digests(settings, email, phone)
    if not digests:
        raise InvalidInput("privacy_contact_required")
    ids = session.exec(
        select(ContactDigest.consultation_id).where(col(ContactDigest.digest).in_(digests))
    ).all()
    rows = session.exec(
        select(Consultation)
        .where(col(Consultation.id).in_(set(ids)))
        .order_by(col(Consultation.created_at))
    ).all()
    return list(rows)


def export(
    session: Session, settings: Settings, consultations: list[Consultation], actor: str
) -> dict[str, Any]:
    """Everything held about the person, readable, with who read it and when."""
    items = []
    for consultation in consultations:
        item = detail(session, settings, consultation.id, actor)
        item["reads"] = [
            {"at": a.at.isoformat(), "actor": a.actor, "action": a.action}
            for a in session.exec(
                select(AuditEntry)
                .where(AuditEntry.subject_id == consultation.id)
                .order_by(col(AuditEntry.at))
            ).all()
        ]
        audit.record(session, actor, "export", "consultation", consultation.id)
        items.append(item)
    return {"exported_at": utcnow().isoformat(), "consultations": items}


def erase(
    session: Session, settings: Settings, consultations: list[Consultation], actor: str
) -> int:
    """Erase on request: withdraw open referrals (centres are told), then anonymise."""
    for consultation in consultations:
        for referral in session.exec(
            select(Referral).where(
                Referral.consultation_id == consultation.id, col(Referral.state).in_(referrals.OPEN)
            )
        ).all():
            referrals.cancel(session, referral, actor, "erased at the person's request")
        consultation.status = ConsultationStatus.CANCELLED
        anonymise(session, consultation)
        audit.record(session, actor, "erase", "consultation", consultation.id)
    session.flush()
    return len(consultations)


def purge(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Anonymise every request older than the retention period; return how many."""
    from app.services.reports import catch_up

    # Count every closed day before anonymising: the reports keep what they counted.
    catch_up(session, now=now)
    cutoff = (now or utcnow()) - timedelta(days=settings.retention_days)
    old = session.exec(
        select(Consultation).where(
            col(Consultation.created_at) < cutoff, col(Consultation.anonymized_at).is_(None)
        )
    ).all()
    for consultation in old:
        anonymise(session, consultation)
        audit.record(session, "system:purge", "anonymise", "consultation", consultation.id)
    session.flush()
    return len(old)


def anonymise(session: Session, consultation: Consultation) -> None:
    consultation.person_enc = consultation.message_enc = None
    criteria = dict(consultation.criteria)
    location = criteria.get("location") or {}
    criteria["location"] = {"region_code": location.get("region_code")}
    criteria.pop("need_text", None)
    age = criteria.pop("age", None)
    criteria["age_band"] = _age_band(age)
    consultation.criteria = criteria
    consultation.anonymized_at = utcnow()
    session.add(consultation)
    session.execute(
        delete(ContactDigest).where(col(ContactDigest.consultation_id) == consultation.id)
    )
    rows = session.exec(select(Referral).where(Referral.consultation_id == consultation.id)).all()
    for referral in rows:
        referral.decline_note = None
        session.add(referral)
    created = select(OutboxEvent).where(
        col(OutboxEvent.subject_id).in_([r.id for r in rows]),
        OutboxEvent.event_type == "referral.created",  # a cancellation holds nothing personal
    )
    # The person's own e-mails hold their address: emptied, and never sent if still queued.
    mailed = select(OutboxEvent).where(
        col(OutboxEvent.subject_id) == consultation.id, col(OutboxEvent.channel) == Channel.EMAIL
    )
    for event in [*session.exec(created).all(), *session.exec(mailed).all()]:
        kept: dict[str, Any] = {
            k: event.payload[k] for k in ("type", "timestamp") if k in event.payload
        }
        event.payload = {**kept, "data": {"anonymised": True}}
        if event.channel == Channel.EMAIL and event.status == OutboxStatus.PENDING:
            event.status = OutboxStatus.CANCELLED
        session.add(event)


def _age_band(age: int | None) -> str | None:
    if age is None:
        return None
    if age < 25:
        return "15-24"
    if age < 35:
        return "25-34"
    if age < 50:
        return "35-49"
    return "50+"


def rotate_keys(session: Session, settings: Settings) -> int:
    """Re-encrypt every personal field with the newest key and recompute contact digests."""
    from app.crypto import decrypt_json, rotate

    count = 0
    for consultation in session.exec(
        select(Consultation).where(col(Consultation.person_enc).is_not(None))
    ).all():
        assert consultation.person_enc is not None  # nosec B101  # the query selects these
        person = decrypt_json(settings.secret_key, consultation.person_enc)
        consultation.person_enc = rotate(settings.secret_key, consultation.person_enc)
        if consultation.message_enc:
            consultation.message_enc = rotate(settings.secret_key, consultation.message_enc)
        session.execute(
            delete(ContactDigest).where(col(ContactDigest.consultation_id) == consultation.id)
        )
        email, phone = person.get("email"), person.get("phone")
        remember_contacts(session, settings, consultation.id, email, phone)
        session.add(consultation)
        count += 1
    for event in session.exec(select(OutboxEvent)).all():
        if "sealed" in event.payload:
            sealed = rotate(settings.secret_key, event.payload["sealed"])
            event.payload = {**event.payload, "sealed": sealed}
            session.add(event)
    session.flush()
    return count
