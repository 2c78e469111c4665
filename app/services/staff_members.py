"""Staff accounts of the console: who may sign in (`ttx staff add EMAIL`), and their second
factor (TOTP, RFC 6238, with `pyotp`): required in production, optional in development.

A staff member signs in by an e-mailed one-time link (`app.services.signin`, kind "staff");
with TOTP enrolled, the session opened by the link is verified only by a code. A code is
accepted once: the time step of the last one accepted is kept."""

from __future__ import annotations

import hmac
import re
import uuid
from datetime import datetime
from typing import Final

import pyotp
from sqlalchemy import select
from sqlmodel import Session, col

from app.crypto import decrypt_json, encrypt_json
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.models import StaffMember
from app.services import signin
from app.settings import Settings
from app.textsafe import invisible_problem

ISSUER: Final = "Trouve ton X"
# A plain address: something@domain.tld, no spaces, no display name (the console's accounts).
_EMAIL: Final = re.compile(
    r"^[^@\s<>\"',;]{1,64}@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
CODE_DIGITS: Final = 6
# Codes of the step before and after the current one are accepted too (clock drift).
DRIFT_STEPS: Final = 1


def normalise_email(value: str) -> str:
    """The address as stored: trimmed, lower case; 422 when it is not a plain address."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(
            "staff_email_invalid", errors=[field_error(["email"], "staff_email_invalid")]
        )
    return email


def actor(member: StaffMember) -> str:
    """How the audit log names this staff member."""
    return f"staff:{member.id}"


def add(session: Session, email: str, *, name: str | None = None) -> StaffMember:
    """A new staff account (or a removed one back, with a fresh second factor)."""
    address = normalise_email(email)
    if name and invisible_problem(name):
        # A name shown in the console and its audit log displays as it is (as centres' do).
        raise InvalidInput(
            "staff_name_invisible", errors=[field_error(["name"], "staff_name_invisible")]
        )
    member = session.scalars(
        select(StaffMember).where(col(StaffMember.email) == address)
    ).one_or_none()
    if member is not None and member.removed_at is None:
        raise Conflict("staff_exists", email=address)
    if member is None:
        member = StaffMember(email=address)
    member.name = name or member.name
    member.removed_at = None
    member.totp_secret = member.totp_enabled_at = member.totp_last_step = None
    session.add(member)
    session.flush()
    return member


def list_members(session: Session, *, include_removed: bool = False) -> list[StaffMember]:
    query = select(StaffMember).order_by(col(StaffMember.email))
    if not include_removed:
        query = query.where(col(StaffMember.removed_at).is_(None))
    return list(session.scalars(query).all())


def remove(session: Session, email: str) -> StaffMember:
    """Close an account: its sessions end at once and its unused links stop working."""
    member = find_active(session, email)
    if member is None:
        raise NotFound("staff_not_found", email=email.strip().lower())
    member.removed_at = utcnow()
    session.add(member)
    signin.end_all(session, kind="staff", subject_id=member.id)
    session.flush()
    return member


def find_active(session: Session, email: str) -> StaffMember | None:
    """The active account of this address, or None (never an error: the sign-in page says
    the same thing for every address)."""
    address = email.strip().lower()
    if not address or len(address) > 254:
        return None
    return session.scalars(
        select(StaffMember).where(
            col(StaffMember.email) == address, col(StaffMember.removed_at).is_(None)
        )
    ).one_or_none()


def get_active(session: Session, member_id: uuid.UUID) -> StaffMember | None:
    member = session.get(StaffMember, member_id)
    return member if member is not None and member.removed_at is None else None


def signed_in(session: Session, member: StaffMember, *, now: datetime | None = None) -> None:
    member.last_signin_at = now or utcnow()
    session.add(member)


# The second factor.


def totp_required(settings: Settings, member: StaffMember) -> bool:
    """Whether this member must pass (or first set up) TOTP to use the console."""
    return settings.env == "production" or member.totp_enabled_at is not None


def has_totp(member: StaffMember) -> bool:
    return member.totp_enabled_at is not None and member.totp_secret is not None


def pending_secret(session: Session, settings: Settings, member: StaffMember) -> str:
    """The secret to enrol (base32), made on first ask and kept until confirmed."""
    if has_totp(member):
        raise Conflict("totp_already_enabled")
    if member.totp_secret is None:
        member.totp_secret = encrypt_json(settings.secret_key, pyotp.random_base32())
        session.add(member)
        session.flush()
    return _secret(settings, member)


def otpauth_uri(secret: str, member: StaffMember) -> str:
    """The `otpauth://` URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=member.email, issuer_name=ISSUER)


def confirm_enrolment(
    session: Session,
    settings: Settings,
    member: StaffMember,
    code: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Turn TOTP on once the member typed a valid code from the pending secret."""
    if member.totp_secret is None or has_totp(member):
        return False
    if not _accept(settings, member, code, now or utcnow()):
        return False
    member.totp_enabled_at = now or utcnow()
    session.add(member)
    session.flush()
    return True


def check_code(
    session: Session,
    settings: Settings,
    member: StaffMember,
    code: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Whether `code` is the member's current code, never used before."""
    if not has_totp(member):
        return False
    accepted = _accept(settings, member, code, now or utcnow())
    session.add(member)
    session.flush()
    return accepted


def _accept(settings: Settings, member: StaffMember, code: str, now: datetime) -> bool:
    code = code.strip().replace(" ", "")
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(_secret(settings, member))
    step = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        candidate = step + offset
        if member.totp_last_step is not None and candidate <= member.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            member.totp_last_step = candidate
            return True
    return False


def reset_totp(session: Session, member: StaffMember) -> None:
    """Forget the second factor (a lost phone): the member enrols again at next sign-in."""
    member.totp_secret = member.totp_enabled_at = member.totp_last_step = None
    session.add(member)
    signin.end_all(session, kind="staff", subject_id=member.id)
    session.flush()


def _secret(settings: Settings, member: StaffMember) -> str:
    if member.totp_secret is None:
        raise ValueError("no TOTP secret for this staff member")
    return str(decrypt_json(settings.secret_key, member.totp_secret))
