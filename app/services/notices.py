"""What the service tells people by e-mail (DESIGN §13), queued in the outbox inside the
business transaction: nothing is sent if it rolls back, and a dead SMTP server never holds up
the request (the dispatcher retries it, staff see it among failed deliveries).

A centre's notice holds no personal information: the request's reference, the deadline and a
link to the page where the centre answers (`referral_links`). Messages are composed when
they are sent (`app/mail/templates`), from the context stored here, sealed at rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select
from sqlmodel import Session, col

from app import dispatcher
from app.dispatcher.mailing import mail_data
from app.i18n import LANGS, Lang
from app.mail import public_link
from app.models import Centre
from app.services import referral_links
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
) -> int:
    """Queue the notice of a new referral (or its reminder) to each of the centre's
    `notify_emails`; returns how many. Nothing when e-mail is off."""
    if not settings.mail_enabled:
        return 0
    addresses = centre_addresses(session, centre_id)
    if not addresses:
        return 0
    token = referral_links.token_for(settings, referral_id, centre_id, expires_at)
    context = {
        "reference": str(consultation_id),
        **{f"deadline_{lang}": when(expires_at, lang) for lang in LANGS},
        **{f"link_{lang}": public_link(settings, referral_links.path(token, lang))
           for lang in LANGS},
    }  # fmt: skip
    template = "referral_reminder" if reminder else "referral_notice"
    for address in addresses:
        _queue(session, settings, CENTRE_REMINDER if reminder else CENTRE_NOTICE, centre_id,
               referral_id, address, template, "fr", context, now)  # fmt: skip
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
        session, event_type=event_type, centre_id=centre_id, subject_id=subject_id,
        data=mail_data(to=to, template=template, lang=lang, context=context),
        seal_key=settings.secret_key, now=now, channel="email",
    )  # fmt: skip
