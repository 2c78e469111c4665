"""The directory: search (inactive centres included), edit a centre, pause or resume its
intake, deactivate it (with a confirmation step) or bring it back."""

from __future__ import annotations

import uuid
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.deps import SessionDep
from app.errors import NotFound, message
from app.i18n import Lang
from app.models import Centre
from app.schemas.directory import CentreUpdate
from app.services import audit, centres, console
from app.settings import Settings
from app.web import urls
from app.web.admin.access import FormDep, StaffDep, show
from app.web.admin.paging import page_of
from app.web.criteria import FieldError

router = APIRouter()
STATUSES: Final = ("active", "paused", "inactive")
EDITABLE: Final = ("name", "email", "phone", "website", "weekly_capacity")
ACTIONS: Final = {"pause": {"intake_status": "paused"}, "resume": {"intake_status": "open"},
                  "reactivate": {"active": True}}  # fmt: skip


@urls.page(router, "admin-centres")
def centre_list(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    q = request.query_params.get("q", "")[:100]
    status = request.query_params.get("etat") or None
    status = status if status in STATUSES else None
    paging = page_of(request, 50)
    rows, total = console.search_centres(
        session, q, status=status, limit=paging.size, offset=paging.offset
    )
    return show(
        request,
        "admin/centres.html",
        user,
        {
            "section": "centres",
            "rows": rows,
            "q": q,
            "status": status or "",
            "statuses": STATUSES,
            "page": paging.with_total(total),
        },
    )


def _centre(session: SessionDep, centre_id: str) -> Centre:
    try:
        return centres.get_centre(session, uuid.UUID(centre_id))
    except ValueError:
        raise NotFound("centre_not_found", centre_id=centre_id[:64]) from None


def _page(
    request: Request,
    user: Any,
    centre: Centre,
    errors: list[FieldError],
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    shown = values or {name: getattr(centre, name) for name in EDITABLE}
    return show(
        request,
        "admin/centre.html",
        user,
        {
            "section": "centres",
            "c": centre,
            "values": shown,
            "form_errors": errors,
            "saved": request.query_params.get("fait") == "1",
        },
        status=422 if errors else 200,
    )


@urls.page(router, "admin-centre")
def centre_page(
    request: Request, session: SessionDep, user: StaffDep, centre_id: str
) -> HTMLResponse:
    return _page(request, user, _centre(session, centre_id), [])


@urls.page(router, "admin-centre", methods=["POST"])
def edit(
    request: Request, session: SessionDep, user: StaffDep, form: FormDep, centre_id: str
) -> Response:
    """Change the centre's name, contacts and weekly capacity (the API's validation)."""
    lang = urls.lang_of_request(request)
    centre = _centre(session, centre_id)
    values = {name: str(form.get(name, ""))[:600].strip() for name in EDITABLE}
    data: dict[str, Any] = {k: (v or None) for k, v in values.items()}
    data["name"] = values["name"]
    try:
        update = CentreUpdate.model_validate(data)
    except ValidationError as exc:
        return _page(request, user, centre, _errors(exc, lang), values)
    settings: Settings = request.app.state.settings
    centres.update_centre(session, centre.id, update, rules=centres.Rules.from_settings(settings))
    audit.record(session, user.actor, "centre_update", "centre", centre.id)
    target = urls.url("admin-centre", lang, {"fait": "1"}, centre_id=centre.id)
    return RedirectResponse(target, status_code=303)


def _errors(exc: ValidationError, lang: Lang) -> list[FieldError]:
    out = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else "name"
        out.append(FieldError(field, message(e["type"], lang, dict(e.get("ctx") or {}), e["msg"])))
    return out


@urls.page(router, "admin-centre-status", methods=["POST"])
def change_status(
    request: Request, session: SessionDep, user: StaffDep, form: FormDep, centre_id: str
) -> Response:
    """Pause, resume, reactivate; deactivate after a confirmation page."""
    lang = urls.lang_of_request(request)
    centre = _centre(session, centre_id)
    action = form.get("action")
    if action == "deactivate":
        if form.get("confirm") != "yes":
            return show(
                request, "admin/confirm_deactivate.html", user, {"section": "centres", "c": centre}
            )
        centres.deactivate_centre(session, centre.id)
    elif isinstance(action, str) and action in ACTIONS:
        settings: Settings = request.app.state.settings
        update = CentreUpdate.model_validate(ACTIONS[action])
        centres.update_centre(
            session, centre.id, update, rules=centres.Rules.from_settings(settings)
        )
    else:
        raise NotFound("not_found")
    audit.record(session, user.actor, f"centre_{action}", "centre", centre.id)
    target = urls.url("admin-centre", lang, {"fait": "1"}, centre_id=centre.id)
    return RedirectResponse(target, status_code=303)
