"""The centres' web inbox (DESIGN §13): who may sign in (an address of an active centre's
`notify_emails`), and what the inbox lists. Reading the list changes no referral's state;
accepted referrals show the person's contact details, and each such reading is audited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Centre, Consultation, Referral
from app.models.states import OPEN_REFERRAL, ReferralState
from app.services import audit, referrals

LISTED = 200
GROUPS = (
    ("open", OPEN_REFERRAL),
    ("accepted", (ReferralState.ACCEPTED,)),
    ("closed", (ReferralState.DECLINED, ReferralState.EXPIRED, ReferralState.CANCELLED)),
)


def centres_for(session: Session, address: str) -> list[Centre]:
    """The active centres whose `notify_emails` hold `address` (compared in lower case)."""
    wanted = address.strip().lower()
    rows = session.scalars(select(Centre).where(col(Centre.active).is_(True))).all()
    return [c for c in rows if wanted in {a.lower() for a in c.notify_emails or []}]


def may_sign_in(session: Session, centre_id: uuid.UUID, address: str) -> Centre | None:
    """The centre, while it is active and `address` is still one of its `notify_emails`."""
    centre = session.get(Centre, centre_id)
    if centre is None or not centre.active:
        return None
    return centre if address.lower() in {a.lower() for a in centre.notify_emails or []} else None


def listing(session: Session, settings: Any, centre: Centre, actor: str) -> dict[str, list[Any]]:
    """The centre's referrals by group (open ones by deadline, the others newest first)."""
    rows = session.scalars(
        select(Referral)
        .where(col(Referral.centre_id) == centre.id)
        .order_by(col(Referral.created_at).desc())
        .limit(LISTED)
    ).all()
    out: dict[str, list[Any]] = {name: [] for name, _ in GROUPS}
    for referral in rows:
        group = next(name for name, states in GROUPS if referral.state in states)
        item: dict[str, Any] = {"referral": referral, "person": None}
        if referral.state == ReferralState.ACCEPTED:
            consultation = session.get(Consultation, referral.consultation_id)
            if consultation is not None and consultation.person_enc:
                item["person"] = referrals.person_of(settings, consultation)
                audit.record(
                    session, actor, "read_person", "consultation", consultation.id, "web inbox"
                )
        out[group].append(item)
    out["open"].sort(key=lambda item: item["referral"].expires_at)
    session.flush()
    return out
