"""The requests: the unrouted queue, one request with why each centre was chosen and its
history, routing by hand (with a confirmation step), and referrals by state and age."""

from __future__ import annotations

import uuid
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.errors import InvalidInput, field_error
from app.i18n import gettext
from app.services import console, staff
from app.settings import Settings
from app.web import urls
from app.web.admin.access import FormDep, StaffDep, show
from app.web.admin.paging import Page, page_of
from app.web.criteria import FieldError

router = APIRouter()
PER_PAGE: Final = 50


@urls.page(router, "admin-queue")
def queue(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    """Requests no centre took, oldest first: they wait for staff to route them."""
    paging = page_of(request, PER_PAGE)
    items, total = staff.list_consultations(
        session, status="unrouted", limit=paging.size, offset=paging.offset
    )
    return show(
        request,
        "admin/queue.html",
        user,
        {
            "section": "queue",
            "items": items,
            "page": paging.with_total(total),
        },
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        from app.errors import NotFound

        raise NotFound("consultation_not_found", consultation_id=value[:64]) from None


@urls.page(router, "admin-request")
def request_page(
    request: Request, session: SessionDep, user: StaffDep, consultation_id: str
) -> HTMLResponse:
    """One request: the person (a read written to the audit log), the ranking with its
    reasons, every referral with its history, and the "route to" form."""
    return _request_page(request, session, user, consultation_id, [])


def _request_page(
    request: Request,
    session: SessionDep,
    user: Any,
    consultation_id: str,
    errors: list[FieldError],
    *,
    status: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    found = staff.detail(session, settings, _uuid(consultation_id), user.actor)
    centres = console.candidate_centres(session)
    names = {str(i): (ref, name) for i, ref, name in centres}
    return show(
        request,
        "admin/request.html",
        user,
        {
            "section": "queue",
            "c": found,
            "centres": centres,
            "names": names,
            "form_errors": errors,
            "routed": request.query_params.get("fait") == "1",
        },
        status=status,
    )


@urls.page(router, "admin-route", methods=["POST"])
def route(
    request: Request, session: SessionDep, user: StaffDep, form: FormDep, consultation_id: str
) -> Response:
    """Route to the chosen centre: a confirmation page first, then the referral."""
    lang = urls.lang_of_request(request)
    chosen = form.get("centre_id")
    try:
        centre_id = uuid.UUID(chosen) if isinstance(chosen, str) else None
    except ValueError:
        centre_id = None
    if centre_id is None:
        error = FieldError("centre_id", gettext("admin.request.choose_centre", lang))
        return _request_page(request, session, user, consultation_id, [error], status=422)
    cid = _uuid(consultation_id)
    if form.get("confirm") != "yes":
        centre = next((c for c in console.candidate_centres(session) if c[0] == centre_id), None)
        if centre is None:
            error = FieldError(
                "centre_id", gettext("problems.centre_not_active", lang, centre_id=str(centre_id))
            )
            return _request_page(request, session, user, consultation_id, [error], status=422)
        return show(
            request,
            "admin/confirm_route.html",
            user,
            {
                "section": "queue",
                "consultation_id": str(cid),
                "centre": centre,
            },
        )
    settings: Settings = request.app.state.settings
    staff.route_by_hand(session, settings, cid, centre_id, user.actor)
    target = urls.url("admin-request", lang, {"fait": "1"}, consultation_id=cid)
    return RedirectResponse(target, status_code=303)


@urls.page(router, "admin-referrals")
def referrals(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    """Referrals by state and by how long ago they were sent; the list of one state."""
    state = request.query_params.get("etat", "delivered")
    if state not in console.STATES:
        raise InvalidInput(
            "invalid_input", errors=[field_error(["query", "etat"], "invalid_input")]
        )
    paging = page_of(request, PER_PAGE)
    items, total = console.referrals_in_state(
        session, state, limit=paging.size, offset=paging.offset
    )
    return show(
        request,
        "admin/referrals.html",
        user,
        {
            "section": "referrals",
            "table": console.referrals_by_state_and_age(session),
            "states": console.STATES,
            "buckets": [b[0] for b in console.AGE_BUCKETS],
            "state": state,
            "items": items,
            "page": paging.with_total(total),
        },
    )


__all__ = ["Page", "router"]
