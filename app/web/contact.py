"""The request form's own fields (contact, message, consent), read and checked with the same
rules as `POST /v1/consultations` (`PersonIn`, `ConsentIn`), each error in plain language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from app.i18n import Lang, gettext
from app.schemas.intake import ConsentIn, PersonIn
from app.web.criteria import FieldError, MultiMapping

NAME_MAX: Final = 100
MESSAGE_MAX: Final = 2000
_NAME_BAD = re.compile(r"[\x00-\x1f<>]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,30}$")
CONTACT_LANGS: Final = ("fr", "en")


@dataclass(slots=True)
class Contact:
    """The contact fields as typed."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    preferred_contact: str = "email"
    contact_language: str = "fr"
    message: str = ""
    consent: bool = False
    website: str = ""  # the honeypot: hidden from people, filled in by robots

    @classmethod
    def read(cls, data: MultiMapping, lang: Lang) -> Contact:
        def text(name: str, limit: int) -> str:
            value = data.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        preferred = text("preferred_contact", 10)
        language = text("contact_language", 5)
        return cls(
            first_name=text("first_name", 300),
            last_name=text("last_name", 300),
            email=text("email", 300),
            phone=text("phone", 60),
            preferred_contact=preferred if preferred in ("email", "phone") else "",
            contact_language=language if language in CONTACT_LANGS else lang,
            message=text("message", 5000),
            consent=data.get("consent") == "yes",
            website=text("website", 200),
        )

    def fields(self) -> dict[str, str]:
        """The values to carry in hidden fields from one step to the next."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "preferred_contact": self.preferred_contact,
            "contact_language": self.contact_language,
            "message": self.message,
            "consent": "yes" if self.consent else "",
        }


@dataclass(slots=True)
class CheckedContact:
    person: PersonIn | None = None
    errors: list[FieldError] = field(default_factory=list)


def check_contact(contact: Contact, lang: Lang) -> CheckedContact:
    out = CheckedContact()

    def error(name: str, key: str, **params: object) -> None:
        out.errors.append(FieldError(name, gettext(key, lang, **params)))

    for name in ("first_name", "last_name"):
        value = getattr(contact, name)
        if not value:
            error(name, f"web.contact.{name}_missing")
        elif len(value) > NAME_MAX:
            error(name, "web.contact.name_long", n=NAME_MAX)
        elif _NAME_BAD.search(value):
            error(name, "web.contact.name_bad")
    if contact.email and (len(contact.email) > 254 or not _EMAIL.fullmatch(contact.email)):
        error("email", "web.contact.email_bad")
    if contact.phone and not _PHONE.fullmatch(contact.phone):
        error("phone", "web.contact.phone_bad")
    if not contact.preferred_contact:
        error("preferred_contact", "web.contact.preferred_missing")
    elif contact.preferred_contact == "email" and not contact.email:
        error("email", "web.contact.email_missing")
    elif contact.preferred_contact == "phone" and not contact.phone:
        error("phone", "web.contact.phone_missing")
    if len(contact.message) > MESSAGE_MAX:
        error("message", "web.contact.message_long", n=MESSAGE_MAX)
    if not contact.consent:
        error("consent", "web.contact.consent_missing")
    if not out.errors:
        out.person = PersonIn(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email or None,
            phone=contact.phone or None,
            preferred_contact=contact.preferred_contact,
            language=contact.contact_language,
        )
    return out


def consent(notice_version: str) -> ConsentIn:
    """The consent the form's one checkbox gives: the referral, under this notice."""
    return ConsentIn(notice_version=notice_version, purposes=["referral"], accepted=True)
