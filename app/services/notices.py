"""What the service tells people by e-mail (DESIGN §13), queued in the outbox inside the
business transaction: nothing is sent if it rolls back, and a dead SMTP server never holds up
the request (the dispatcher retries it, staff see it among failed deliveries).

A centre's notice holds no personal information: the request's reference, the deadline and a
link to the page where the centre answers (`referral_links`). Messages are composed when
they are sent (`app/mail/templates`), from the context stored here, sealed at rest."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select
from sqlmodel import Session, col

from app import dispatcher
from app.dispatcher.mailing import mail_data
from app.i18n import LANGS, Lang
from app.mail import public_link
from app.models import Centre, OutboxEvent, Referral
from app.models.states import OPEN_REFERRAL, Channel
from app.services import referral_links, status_links
from app.settings import Settings

QUEBEC: Final = ZoneInfo("America/Toronto")
CENTRE_NOTICE: Final = "mail.referral_notice"
CENTRE_REMINDER: Final = "mail.referral_reminder"


def when(moment: datetime, lang: Lang) -> str:
    """A moment as people in Québec read it: `5 décembre 2026 à 14 h 30`."""
    local = moment.astimezone(QUEBEC)
    if lang == "fr":
        return format_datetime(local, "d MMMM y 'à' H 'h' mm", locale="fr_CA")
    return format_datetime(local, "MMMM d, y 'at' h:mm a", locale="en_CA")


def centre_addresses(session: Session, centre_id: uuid.UUID) -> list[str]:
    found = session.scalar(select(col(Centre.notify_emails)).where(col(Centre.id) == centre_id))
    return [str(a) for a in found or []]


def referral_notice(
    session: Session,
    settings: Settings,
    *,
    referral_id: uuid.UUID,
    consultation_id: uuid.UUID,
    centre_id: uuid.UUID,
    expires_at: datetime,
    now: datetime | None = None,
    reminder: bool = False,
    addresses: list[str] | None = None,
) -> int:
    """Queue the notice of a new referral (or its reminder) to each of the centre's
    `notify_emails` (read here unless given); returns how many. Nothing when e-mail is off."""
    if not settings.mail_enabled:
        return 0
    if addresses is None:
        addresses = centre_addresses(session, centre_id)
    if not addresses:
        return 0
    token = referral_links.token_for(settings, referral_id, centre_id, expires_at)
    context = {
        "reference": str(consultation_id),
        **{f"deadline_{lang}": when(expires_at, lang) for lang in LANGS},
        **{
            f"link_{lang}": public_link(settings, referral_links.path(token, lang))
            for lang in LANGS
        },
    }
    template = "referral_reminder" if reminder else "referral_notice"
    for address in addresses:
        _queue(
            session,
            settings,
            CENTRE_REMINDER if reminder else CENTRE_NOTICE,
            centre_id,
            referral_id,
            address,
            template,
            "fr",
            context,
            now,
        )
    return len(addresses)


def _queue(
    session: Session,
    settings: Settings,
    event_type: str,
    centre_id: uuid.UUID | None,
    subject_id: uuid.UUID,
    to: str,
    template: str,
    lang: Lang,
    context: dict[str, Any],
    now: datetime | None,
) -> None:
    dispatcher.enqueue(
        session,
        event_type=event_type,
        centre_id=centre_id,
        subject_id=subject_id,
        data=mail_data(to=to, template=template, lang=lang, context=context),
        seal_key=settings.secret_key,
        now=now,
        channel=Channel.EMAIL,
    )


SEEKER_CONFIRMATION: Final = "mail.seeker_confirmation"
SEEKER_ACCEPTED: Final = "mail.seeker_accepted"
SEEKER_UNROUTED: Final = "mail.seeker_unrouted"


def _seeker(person: dict[str, Any] | None) -> tuple[str, Lang] | None:
    """Where and in which language to write to the person, if they chose e-mail."""
    if not person or person.get("preferred_contact") != "email" or not person.get("email"):
        return None
    lang: Lang = "en" if person.get("language") == "en" else "fr"
    return str(person["email"]), lang


def _status_link(settings: Settings, consultation_id: uuid.UUID, lang: Lang) -> str:
    token = status_links.token_for(settings, consultation_id)
    return public_link(settings, status_links.path(token, lang))


def seeker_confirmation(
    session: Session,
    settings: Settings,
    *,
    consultation_id: uuid.UUID,
    person: dict[str, Any] | None,
    expires_at: datetime | None,
    now: datetime | None = None,
) -> bool:
    """The confirmation of a request: its reference, what happens next and by when (the
    first centre's deadline, or AXTRA staff when no centre fits). No name, no criteria."""
    return _to_seeker(
        session,
        settings,
        SEEKER_CONFIRMATION,
        "seeker_confirmation",
        consultation_id,
        person,
        now,
        {
            "routed": expires_at is not None,
            "deadline": when(expires_at, _lang(person)) if expires_at else "",
        },
    )


def seeker_accepted(
    session: Session,
    settings: Settings,
    *,
    consultation_id: uuid.UUID,
    person: dict[str, Any] | None,
    centre: Centre,
) -> bool:
    """A centre took the request: its name, its public contact details, and how it will
    reach the person (the way they chose)."""
    return _to_seeker(
        session,
        settings,
        SEEKER_ACCEPTED,
        "seeker_accepted",
        consultation_id,
        person,
        None,
        {
            "centre_name": centre.name,
            "centre_email": centre.email or "",
            "centre_phone": centre.phone or "",
            "by_phone": bool(person and person.get("preferred_contact") == "phone"),
        },
    )


def seeker_unrouted(
    session: Session,
    settings: Settings,
    *,
    consultation_id: uuid.UUID,
    person: dict[str, Any] | None,
) -> bool:
    """No centre could take the request: AXTRA staff will follow up."""
    return _to_seeker(
        session, settings, SEEKER_UNROUTED, "seeker_unrouted", consultation_id, person, None, {}
    )


def _lang(person: dict[str, Any] | None) -> Lang:
    return "en" if person and person.get("language") == "en" else "fr"


def _to_seeker(
    session: Session,
    settings: Settings,
    event_type: str,
    template: str,
    consultation_id: uuid.UUID,
    person: dict[str, Any] | None,
    now: datetime | None,
    context: dict[str, Any],
) -> bool:
    target = _seeker(person) if settings.mail_enabled else None
    if target is None:
        return False
    address, lang = target
    context = {
        **context,
        "reference": str(consultation_id),
        "status_link": _status_link(settings, consultation_id, lang),
        "privacy_link": public_link(
            settings, "/en/privacy" if lang == "en" else "/confidentialite"
        ),
    }
    _queue(
        session, settings, event_type, None, consultation_id, address, template, lang, context, now
    )
    return True


REMIND_BEFORE: Final = timedelta(hours=24)


def remind_due(session: Session, settings: Settings, now: datetime, *, limit: int = 100) -> int:
    """Remind centres of referrals still unanswered 24 h before they expire (once each;
    not for a referral whose whole delay is shorter). Returns how many referrals."""
    if not settings.mail_enabled:
        return 0
    reminded = select(col(OutboxEvent.subject_id)).where(
        col(OutboxEvent.event_type) == CENTRE_REMINDER, col(OutboxEvent.subject_id).is_not(None)
    )
    due = session.scalars(
        select(Referral)
        .where(
            col(Referral.state).in_(OPEN_REFERRAL),
            col(Referral.expires_at) > now,
            col(Referral.expires_at) <= now + REMIND_BEFORE,
            col(Referral.id).not_in(reminded),
        )
        .order_by(col(Referral.expires_at))
        .limit(limit)
    ).all()
    count = 0
    for referral in due:
        if referral.expires_at - referral.created_at <= REMIND_BEFORE:
            continue
        sent = referral_notice(
            session,
            settings,
            referral_id=referral.id,
            consultation_id=referral.consultation_id,
            centre_id=referral.centre_id,
            expires_at=referral.expires_at,
            now=now,
            reminder=True,
        )
        count += 1 if sent else 0
    return count
