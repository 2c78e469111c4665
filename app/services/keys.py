"""API keys: shown once, stored as a SHA-256 hash, one role each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import utcnow
from app.errors import InvalidInput, NotFound, Unauthorized, field_error
from app.models import ApiKey, Centre
from app.textsafe import invisible_problem

ROLES = ("admin", "centre", "partner")
KEY_PREFIX = "ttx_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key's role, and for a centre key the centre it is bound to."""

    key_id: uuid.UUID
    role: str
    centre_id: uuid.UUID | None


def hash_key(key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, *, role: str, centre_ref: str | None = None, label: str | None = None
) -> tuple[ApiKey, str]:
    """Make a key; return the row and the plaintext, which is never stored."""
    if role not in ROLES:
        raise InvalidInput("key_role_unknown", role=role, allowed=", ".join(ROLES))
    if label and invisible_problem(label):  # shown in the console: it displays as it is
        raise InvalidInput(
            "key_label_invisible", errors=[field_error(["label"], "key_label_invisible")]
        )
    centre_id = None
    if role == "centre":
        if not centre_ref:
            raise InvalidInput("key_centre_required")
        centre = session.scalars(select(Centre).where(col(Centre.ref) == centre_ref)).one_or_none()
        if centre is None:
            raise NotFound("centre_ref_not_found", ref=centre_ref)
        centre_id = centre.id
    elif centre_ref:
        raise InvalidInput("key_centre_not_allowed")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        prefix=plaintext[:12],
        key_hash=hash_key(plaintext),
        role=role,
        centre_id=centre_id,
        label=label,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def authenticate(session: Session, authorization: str | None) -> Principal:
    """Turn an `Authorization: Bearer` header into a principal, or 401."""
    if not authorization:
        raise Unauthorized("auth_required")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise Unauthorized("auth_malformed")
    digest = hash_key(token)
    found = session.execute(
        select(ApiKey, Centre.active)  # type: ignore[call-overload]
        .outerjoin(Centre, col(Centre.id) == col(ApiKey.centre_id))
        .where(col(ApiKey.key_hash) == digest)
    ).one_or_none()
    row, centre_active = (found[0], found[1]) if found is not None else (None, None)
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at:
        raise Unauthorized("auth_key_unknown")
    if row.role == "centre" and not centre_active:
        # A deactivated (or deleted) centre's key reads nothing and changes nothing.
        raise Unauthorized("auth_centre_inactive")
    return Principal(key_id=row.id, role=row.role, centre_id=row.centre_id)


def authenticate_key(engine: Engine, authorization: str) -> Principal:
    """`authenticate` with a short session of its own (for callers without one)."""
    with Session(engine) as session:
        return authenticate(session, authorization)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(col(ApiKey.created_at))).all())


def revoke_key(session: Session, key_id: uuid.UUID) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("key_not_found", key_id=str(key_id))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return row
