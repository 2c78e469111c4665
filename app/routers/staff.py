"""Staff routes for requests and deliveries (admin key)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from app.deps import AdminDep, SessionDep, SettingsDep
from app.schemas.common import Strict
from app.schemas.responses import (
    ConsultationBriefPage,
    ConsultationDetail,
    FailedDeliveryPage,
    InboxEnabled,
    ReferralState,
    Replayed,
    RoutedReferral,
)
from app.services import staff
from app.services.audit import actor_of
from app.services.consultations import referral_summary

router = APIRouter(prefix="/v1/admin", tags=["admin"])
Status = Literal["routed", "unrouted", "accepted", "cancelled"]


class RouteIn(Strict):
    centre_id: uuid.UUID


class CancelIn(Strict):
    note: Annotated[str, Field(max_length=1000)] | None = None


@router.get(
    "/consultations",
    summary="Consultations (the staff queue: status=unrouted)",
    response_model=ConsultationBriefPage,
)
def list_consultations(
    _: AdminDep,
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Requests, oldest first, without personal data. `status=unrouted` is the queue of
    requests that no centre took and that wait for staff."""
    items, total = staff.list_consultations(session, status=status, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/consultations/{consultation_id}",
    summary="One consultation, with why",
    response_model=ConsultationDetail,
)
def get_consultation(
    caller: AdminDep, session: SessionDep, settings: SettingsDep, consultation_id: uuid.UUID
) -> dict[str, Any]:
    """The request, the person (a logged read), the consent, the ranking with its reasons and
    every referral with its history: what answers a request for explanation."""
    return staff.detail(session, settings, consultation_id, actor_of(caller))


@router.post(
    "/consultations/{consultation_id}/route",
    status_code=201,
    summary="Route by hand",
    response_model=RoutedReferral,
)
def route(
    caller: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    consultation_id: uuid.UUID,
    body: RouteIn,
) -> dict[str, Any]:
    """Send a request to the centre staff chose."""
    referral = staff.route_by_hand(
        session, settings, consultation_id, body.centre_id, actor_of(caller)
    )
    return referral_summary(session, referral)


@router.post(
    "/referrals/{referral_id}/cancel", summary="Cancel a referral", response_model=ReferralState
)
def cancel(
    caller: AdminDep, session: SessionDep, referral_id: uuid.UUID, body: CancelIn
) -> dict[str, Any]:
    """Withdraw a referral; a centre that already received it gets `referral.cancelled`."""
    referral = staff.cancel_referral(session, referral_id, actor_of(caller), body.note)
    return {"id": str(referral.id), "state": referral.state}


@router.get(
    "/deliveries/failed", summary="Failed webhook deliveries", response_model=FailedDeliveryPage
)
def failed_deliveries(
    _: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Deliveries that exhausted their retries, newest first, with their last error."""
    return staff.failed_deliveries(session, limit=limit, offset=offset)


@router.post("/deliveries/{event_id}/replay", summary="Replay a delivery", response_model=Replayed)
def replay(caller: AdminDep, session: SessionDep, event_id: uuid.UUID) -> dict[str, Any]:
    """Send a failed delivery again now, with the same `webhook-id` (409 when the referral it
    is about was answered, expired or withdrawn meanwhile: the centre may not have it)."""
    event = staff.replay_delivery(session, event_id, actor_of(caller))
    return {"id": str(event.id), "status": event.status, "webhook_id": event.webhook_id}


@router.post(
    "/centres/{centre_id}/inbox/enable",
    summary="Re-enable a disabled inbox",
    response_model=InboxEnabled,
)
def enable_inbox(_: AdminDep, session: SessionDep, centre_id: uuid.UUID) -> dict[str, Any]:
    """Turn a centre's webhook endpoint back on after it was disabled (410 or failures)."""
    return staff.enable_inbox(session, centre_id)
