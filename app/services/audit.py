"""The audit log of personal-data reads and changes (Law 25)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.models import AuditEntry
from app.services.keys import Principal


def actor_of(principal: Principal | None) -> str:
    if principal is None:
        return "public"
    if principal.role == "centre":
        return f"centre:{principal.centre_id}"
    return f"{principal.role}:{principal.key_id}"


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID,
    detail: str | None = None,
) -> None:
    """Add one entry to the caller's transaction: the read and its trace commit together."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
        )
    )
