"""A centre's inbox (centre key; a centre sees only its own referrals)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.deps import CentreDep, SessionDep, SettingsDep
from app.schemas.intake import DeclineIn, IntakeUpdate
from app.schemas.responses import CentreIntake, InboxReferralPage, ReferralState
from app.services import inbox, referrals
from app.services.audit import actor_of

router = APIRouter(prefix="/v1/inbox", tags=["centre inbox"])
State = Literal["pending", "delivered", "accepted", "declined", "expired", "cancelled"]


def _centre_id(caller: Any) -> uuid.UUID:
    centre_id: uuid.UUID = caller.centre_id
    return centre_id


@router.get("/referrals", summary="This centre's referrals", response_model=InboxReferralPage)
def list_referrals(
    caller: CentreDep,
    session: SessionDep,
    settings: SettingsDep,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Referrals sent to this centre, newest first, with the person's contact details.
    Reading a pending referral marks it delivered. Every read is logged."""
    items, total = inbox.list_referrals(
        session, settings, _centre_id(caller), state=state, limit=limit, offset=offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post(
    "/referrals/{referral_id}/accept", summary="Take the person on", response_model=ReferralState
)
def accept(
    caller: CentreDep, session: SessionDep, settings: SettingsDep, referral_id: uuid.UUID
) -> dict[str, Any]:
    """Accept the referral: the centre will contact the person."""
    referral = referrals.centre_referral(session, _centre_id(caller), referral_id)
    referrals.accept(session, settings, referral, actor_of(caller))
    return {"id": str(referral.id), "state": referral.state}


@router.post(
    "/referrals/{referral_id}/decline",
    summary="Decline, with a reason",
    response_model=ReferralState,
)
def decline(
    caller: CentreDep,
    session: SessionDep,
    settings: SettingsDep,
    referral_id: uuid.UUID,
    body: DeclineIn,
) -> dict[str, Any]:
    """Decline the referral; the request moves on to the next-ranked centre."""
    referral = referrals.centre_referral(session, _centre_id(caller), referral_id)
    referrals.decline(session, settings, referral, actor_of(caller), body.reason, body.note)
    return {"id": str(referral.id), "state": referral.state}


@router.patch(
    "/centre",
    summary="Pause or reopen intake, set the webhook endpoint",
    response_model=CentreIntake,
)
def update_centre(
    caller: CentreDep, session: SessionDep, settings: SettingsDep, body: IntakeUpdate
) -> CentreIntake:
    """The centre's own intake status (`open`, `paused`), weekly capacity and webhook endpoint
    (`inbox`: `{"url", "secret"}`, or `null` to read referrals through this API instead). A
    URL that may not be called is refused with 422 naming `inbox.url`."""
    production = settings.env == "production"
    centre = inbox.update_intake(session, _centre_id(caller), body, production=production)
    return CentreIntake.model_validate(centre)
