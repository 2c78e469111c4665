"""Failed deliveries, with every attempt, and the replay button."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.errors import NotFound
from app.services import audit, console, staff
from app.web import urls
from app.web.admin.access import FormDep, StaffDep, show
from app.web.admin.paging import page_of

router = APIRouter()


@urls.page(router, "admin-deliveries")
def deliveries(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    """Deliveries that exhausted their retries, newest first, each with its attempts."""
    paging = page_of(request, 20)
    items, total = console.failed_deliveries(session, limit=paging.size, offset=paging.offset)
    return show(
        request,
        "admin/deliveries.html",
        user,
        {
            "section": "deliveries",
            "items": items,
            "page": paging.with_total(total),
            "replayed": request.query_params.get("fait") == "1",
        },
    )


@urls.page(router, "admin-replay", methods=["POST"])
def replay(
    request: Request, session: SessionDep, user: StaffDep, form: FormDep, event_id: str
) -> Response:
    """Send a failed delivery again now (409 when its referral was answered meanwhile)."""
    try:
        eid = uuid.UUID(event_id)
    except ValueError:
        raise NotFound("delivery_not_found", event_id=event_id[:64]) from None
    staff.replay_delivery(session, eid, user.actor)
    audit.record(session, user.actor, "replay", "outbox_event", eid)
    lang = urls.lang_of_request(request)
    return RedirectResponse(urls.url("admin-deliveries", lang, {"fait": "1"}), status_code=303)
